import { InputError, StackMismatchError } from '../src/errors';
import {
  assertThingOfStack,
  autoCreatedThingAttributes,
  deviceIDOfThing,
  thingNameFor,
} from '../src/thing-name';

const device = { deviceID: 'eui-0004a30b001c0530', devEUI: '0004A30B001C0530' };

describe('thingNameFor', () => {
  it('names a thing by DevEUI under the DevEUI scheme', () => {
    expect(thingNameFor({ stackName: 's1', thingNameScheme: 'DevEUI' }, device)).toBe(
      '0004A30B001C0530',
    );
  });

  it('names a thing <stackName>_<deviceID> under the DeviceID scheme', () => {
    expect(thingNameFor({ stackName: 's1', thingNameScheme: 'DeviceID' }, device)).toBe(
      's1_eui-0004a30b001c0530',
    );
  });

  it('refuses a device without DevEUI under the DevEUI scheme', () => {
    expect(() =>
      thingNameFor(
        { stackName: 's1', thingNameScheme: 'DevEUI' },
        { deviceID: 'abp-1', devEUI: undefined },
      ),
    ).toThrow(expect.objectContaining({ code: 'missing_dev_eui' }));
  });

  it('refuses a DeviceID name longer than the registry allows', () => {
    const stackName = `s${'x'.repeat(100)}`;
    expect(() =>
      thingNameFor(
        { stackName, thingNameScheme: 'DeviceID' },
        { deviceID: 'd'.repeat(36), devEUI: undefined },
      ),
    ).toThrow(expect.objectContaining({ code: 'thing_name_too_long' }));
  });
});

describe('assertThingOfStack', () => {
  it('accepts a thing of the stack', () => {
    expect(() =>
      assertThingOfStack({ thingName: 'T', attributes: { stackName: 's1' } }, 's1'),
    ).not.toThrow();
  });

  it('refuses a thing of another stack with the anchor’s sentence', () => {
    let error: unknown;
    try {
      assertThingOfStack(
        {
          thingName: '0004A30B001C0530',
          attributes: { stackName: 'other', devEUI: '0004A30B001C0530' },
        },
        's1',
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InputError);
    expect(error).toBeInstanceOf(StackMismatchError);
    expect(error).toMatchObject({
      code: 'stack_mismatch',
      owner: 'other',
      attributes: { stackName: 'other' },
    });
    expect((error as InputError).message).toContain(
      'DevEUI 0004A30B001C0530 is registered for mismatching stack other',
    );
  });

  it('refuses a thing that no stack claims', () => {
    expect(() => assertThingOfStack({ thingName: 'T', attributes: {} }, 's1')).toThrow(
      /mismatching stack \(none\)/,
    );
    expect(() =>
      assertThingOfStack({ thingName: 'T', attributes: { stackName: '' } }, 's1'),
    ).toThrow(expect.objectContaining({ owner: undefined }));
  });
});

describe('thing attributes and device IDs', () => {
  it('gives an auto-created thing devEUI, stackName and deviceID only', () => {
    expect(autoCreatedThingAttributes('s1', device)).toEqual({
      devEUI: '0004A30B001C0530',
      stackName: 's1',
      deviceID: 'eui-0004a30b001c0530',
    });
    expect(autoCreatedThingAttributes('s1', { deviceID: 'abp-1', devEUI: undefined })).toEqual({
      stackName: 's1',
      deviceID: 'abp-1',
    });
  });

  it('reads the device ID from the attribute, the DeviceID name, or the TTS default', () => {
    const devEUI = { stackName: 's1', thingNameScheme: 'DevEUI' } as const;
    const deviceID = { stackName: 's1', thingNameScheme: 'DeviceID' } as const;
    expect(deviceIDOfThing(devEUI, { thingName: 'X', attributes: { deviceID: 'dev-9' } })).toBe(
      'dev-9',
    );
    expect(deviceIDOfThing(deviceID, { thingName: 's1_dev-2', attributes: {} })).toBe('dev-2');
    expect(
      deviceIDOfThing(devEUI, { thingName: 'X', attributes: { devEUI: '0004A30B001C0530' } }),
    ).toBe('eui-0004a30b001c0530');
    expect(deviceIDOfThing(devEUI, { thingName: 'X', attributes: {} })).toBeUndefined();
  });
});
