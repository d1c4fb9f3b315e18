import { ThingTable } from '../src/aws-api/thing-table';
import type { LocalThing } from '../src/aws-api/iot';

const thing = (thingName: string, attributes: Record<string, string>): LocalThing => ({
  thingName,
  thingArn: `arn:aws:iot:us-east-1:123456789012:thing/${thingName}`,
  thingId: thingName,
  thingTypeName: undefined,
  attributes,
  version: 1,
});

describe('the things table', () => {
  it('finds things by an exact attribute value, following every set, delete and clear', () => {
    const table = new ThingTable();
    table.set('a', thing('a', { devEUI: '01', stackName: 'local' }));
    table.set('b', thing('b', { devEUI: '02', stackName: 'local' }));
    const names = (name: string, value: string) =>
      table
        .withAttribute(name, value)
        .map((t) => t.thingName)
        .sort();
    expect(names('stackName', 'local')).toEqual(['a', 'b']);
    expect(names('devEUI', '01')).toEqual(['a']);

    // An update replaces the old values: the old one no longer finds the thing.
    table.set('a', thing('a', { devEUI: '03', stackName: 'local' }));
    expect(names('devEUI', '01')).toEqual([]);
    expect(names('devEUI', '03')).toEqual(['a']);
    expect(names('devEUI', '0')).toEqual([]);

    table.delete('b');
    expect(names('stackName', 'local')).toEqual(['a']);
    expect(names('devEUI', '02')).toEqual([]);

    table.clear();
    expect(names('devEUI', '03')).toEqual([]);
    expect(table.size).toBe(0);
  });
});
