import * as v from 'valibot';

import { objectOf, ProblemList } from '../src';

const port = v.pipe(v.number('fPort is not a number'), v.maxValue(223, 'fPort is above 223'));

describe('ProblemList', () => {
  it('returns what a schema read, and collects what each refused, in order', () => {
    const list = new ProblemList();
    expect(list.read(port, 1)).toBe(1);
    expect(list.read(port, 'one')).toBeUndefined();
    list.add('fPort and bytes disagree');
    expect(list.read(port, 300)).toBeUndefined();
    expect(list.problems).toEqual([
      'fPort is not a number',
      'fPort and bytes disagree',
      'fPort is above 223',
    ]);
  });

  it('reads every entry of an object, with the first problem of each', () => {
    const name = v.pipe(
      v.optional(v.string(), ''),
      v.nonEmpty('Name is missing'),
      v.regex(/^[a-z]+$/, 'Name is invalid'),
    );
    const schema = objectOf({ Name: name, Port: port, Other: name }, 'an object');
    const list = new ProblemList();
    expect(list.readEntries(schema, { Name: 'a', Port: 2, Other: 'b' })).toEqual({
      Name: 'a',
      Port: 2,
      Other: 'b',
    });
    expect(list.readEntries(schema, { Port: 'x', Other: 'B' })).toBeUndefined();
    expect(list.problems).toEqual(['Name is missing', 'fPort is not a number', 'Name is invalid']);
  });
});
