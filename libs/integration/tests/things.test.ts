import { ThingDirectory } from '../src/things';
import { InMemoryThingRegistry } from '../src/testing/in-memory';
import type { ThingRecord } from '../src/ports';

const config = { stackName: 's1', thingTypeName: 'lorawan', thingNameScheme: 'DevEUI' } as const;
const DEV_EUI = '0004A30B001C0530';
const device = { deviceID: 'eui-0004a30b001c0530', devEUI: DEV_EUI };

function thing(
  thingName: string,
  attributes: Record<string, string>,
  thingTypeName: string | null = 'lorawan',
): ThingRecord {
  return { thingName, ...(thingTypeName ? { thingTypeName } : {}), attributes };
}

function registryWith(...things: ThingRecord[]): InMemoryThingRegistry {
  const registry = new InMemoryThingRegistry();
  for (const record of things) registry.things.set(record.thingName, record);
  return registry;
}

const methods = (registry: InMemoryThingRegistry) => registry.calls.map((call) => call.method);

describe('ThingDirectory.ensure: the thing of a device is found by its devEUI attribute', () => {
  it('creates a thing for a DevEUI that has none, named by the scheme, with the type and device attributes', async () => {
    const registry = new InMemoryThingRegistry();
    const found = await new ThingDirectory(registry, config).ensure(device);
    expect(found.thingName).toBe(DEV_EUI);
    expect(registry.things.get(DEV_EUI)).toMatchObject({
      thingTypeName: 'lorawan',
      attributes: { devEUI: DEV_EUI, stackName: 's1', deviceID: 'eui-0004a30b001c0530' },
    });
    expect(registry.calls[0]).toEqual({
      method: 'findThings',
      args: [
        { attributeName: 'devEUI', attributeValue: DEV_EUI, thingTypeName: 'lorawan', limit: 10 },
      ],
    });
  });

  it('uses a thing created by hand under any name, and creates no second one', async () => {
    const registry = registryWith(thing('greenhouse-7', { devEUI: DEV_EUI, stackName: 's1' }));
    const found = await new ThingDirectory(registry, config).ensure(device);
    expect(found.thingName).toBe('greenhouse-7');
    // Upper and lower case, so that one case cannot hide a thing of the other.
    expect(methods(registry)).toEqual(['findThings', 'findThings']);
    expect(registry.things.has(DEV_EUI)).toBe(false);
  });

  it('finds a devEUI attribute written in lower case', async () => {
    const registry = registryWith(
      thing('sensor', { devEUI: DEV_EUI.toLowerCase(), stackName: 's1' }),
    );
    const found = await new ThingDirectory(registry, config).ensure(device);
    expect(found.thingName).toBe('sensor');
    expect(methods(registry)).toEqual(['findThings', 'findThings']);
  });

  it('uses this stack’s thing, never another stack’s thing of the same DevEUI', async () => {
    const registry = registryWith(
      thing('theirs', { devEUI: DEV_EUI, stackName: 'other' }),
      thing('ours', { devEUI: DEV_EUI, stackName: 's1' }),
    );
    await expect(new ThingDirectory(registry, config).ensure(device)).resolves.toMatchObject({
      thingName: 'ours',
    });
  });

  it('refuses a DevEUI whose only things are another stack’s (or none’s), and creates none beside them', async () => {
    for (const owner of [{ stackName: 'other' }, {}] as Record<string, string>[]) {
      const registry = registryWith(thing('theirs', { devEUI: DEV_EUI, ...owner }));
      await expect(new ThingDirectory(registry, config).ensure(device)).rejects.toMatchObject({
        code: 'stack_mismatch',
        retryable: false,
        message: expect.stringContaining(`DevEUI ${DEV_EUI} is registered for mismatching stack`),
      });
      expect(methods(registry)).not.toContain('createThing');
    }
  });

  it('ignores things of another thing type with the DevEUI', async () => {
    const registry = registryWith(
      thing('elsewhere', { devEUI: DEV_EUI, stackName: 's1' }, 'other-type'),
    );
    await expect(new ThingDirectory(registry, config).ensure(device)).resolves.toMatchObject({
      thingName: DEV_EUI,
    });
  });

  it('refuses a second thing in upper case beside a thing whose devEUI is in lower case: it takes no traffic', async () => {
    const registry = registryWith(
      thing('victim', { devEUI: DEV_EUI.toLowerCase(), stackName: 's1' }),
      thing('intruder', { devEUI: DEV_EUI, stackName: 's1' }),
    );
    const directory = new ThingDirectory(registry, config);
    await expect(directory.ensure(device)).rejects.toMatchObject({
      code: 'duplicate_things',
      attributes: { thingNames: ['intruder', 'victim'] },
    });
    await expect(directory.find('intruder')).rejects.toMatchObject({ code: 'duplicate_things' });
  });

  it('refuses two things of this stack with one DevEUI, naming both, instead of picking one', async () => {
    const registry = registryWith(
      thing('a', { devEUI: DEV_EUI, stackName: 's1' }),
      thing('b', { devEUI: DEV_EUI, stackName: 's1' }),
    );
    const directory = new ThingDirectory(registry, config);
    await expect(directory.ensure(device)).rejects.toMatchObject({
      code: 'duplicate_things',
      retryable: false,
      attributes: { devEUI: DEV_EUI, thingNames: ['a', 'b'] },
      message: expect.stringMatching(/has 2 things of this stack \(a, b\).*Delete all but one/),
    });
    // Not remembered: once the duplicate is gone, the next uplink finds the thing.
    registry.things.delete('b');
    await expect(directory.ensure(device)).resolves.toMatchObject({ thingName: 'a' });
  });

  it('asks the registry once per device for the life of the container', async () => {
    const registry = new InMemoryThingRegistry();
    const directory = new ThingDirectory(registry, config);
    await Promise.all([directory.ensure(device), directory.ensure(device)]);
    await directory.ensure(device);
    // Upper and lower case looked for, then created.
    expect(methods(registry)).toEqual(['findThings', 'findThings', 'createThing']);
  });

  it('remembers a bounded number of devices, least recently used out, and none past an hour', async () => {
    const registry = new InMemoryThingRegistry();
    let now = 0;
    const directory = new ThingDirectory(registry, config, { maxThings: 2, now: () => now });
    const devices = ['0004A30B001C0A01', '0004A30B001C0A02', '0004A30B001C0A03'].map((eui) => ({
      deviceID: `eui-${eui.toLowerCase()}`,
      devEUI: eui,
    }));
    for (const each of devices)
      registry.things.set(
        each.devEUI,
        thing(each.devEUI, { devEUI: each.devEUI, stackName: 's1' }),
      );
    const lookups = () => registry.calls.filter((call) => call.method === 'findThings').length;
    await directory.ensure(devices[0]!);
    await directory.ensure(devices[1]!);
    await directory.ensure(devices[0]!); // used again: the second is now the oldest
    await directory.ensure(devices[2]!);
    expect(lookups()).toBe(6);
    await directory.ensure(devices[0]!);
    expect(lookups()).toBe(6);
    await directory.ensure(devices[1]!);
    expect(lookups()).toBe(8);
    now += 60 * 60 * 1000;
    await directory.ensure(devices[1]!);
    expect(lookups()).toBe(10);
  });

  it('adopts a thing of that name that the registry flow created meanwhile', async () => {
    const registry = new InMemoryThingRegistry();
    const create = registry.createThing.bind(registry);
    // The thing appears between our search and our create (created with more attributes).
    registry.createThing = async (input) => {
      registry.things.set(
        input.thingName,
        thing(input.thingName, {
          stackName: 's1',
          devEUI: DEV_EUI,
          joinEUI: '70B3D57ED0000000',
        }),
      );
      return create(input);
    };
    const found = await new ThingDirectory(registry, config).ensure(device);
    expect(found.attributes['joinEUI']).toBe('70B3D57ED0000000');
  });

  it('refuses when the name to create is a thing of this stack for another DevEUI', async () => {
    const registry = registryWith(thing(DEV_EUI, { devEUI: '0004A30B001C0999', stackName: 's1' }));
    await expect(new ThingDirectory(registry, config).ensure(device)).rejects.toMatchObject({
      code: 'thing_name_taken',
      message: expect.stringContaining(`exists with devEUI 0004A30B001C0999`),
    });
  });

  it('looks a device without DevEUI up by the name the DeviceID scheme gives it', async () => {
    const registry = new InMemoryThingRegistry();
    const directory = new ThingDirectory(registry, { ...config, thingNameScheme: 'DeviceID' });
    const found = await directory.ensure({ deviceID: 'abp-1', devEUI: undefined });
    expect(found.thingName).toBe('s1_abp-1');
    expect(methods(registry)).toEqual(['describeThing', 'createThing']);
  });
});

describe('ThingDirectory.find: the thing a downlink request names', () => {
  it('finds a thing of this stack by any name, and checks that it is its DevEUI’s only thing', async () => {
    const registry = registryWith(thing('greenhouse-7', { devEUI: DEV_EUI, stackName: 's1' }));
    const directory = new ThingDirectory(registry, config);
    await expect(directory.find('greenhouse-7')).resolves.toMatchObject({
      thingName: 'greenhouse-7',
    });
    await directory.find('greenhouse-7');
    expect(methods(registry)).toEqual(['describeThing', 'findThings', 'findThings']);
  });

  it('shares what it learnt with the uplink’s lookup of the device', async () => {
    const registry = registryWith(thing('greenhouse-7', { devEUI: DEV_EUI, stackName: 's1' }));
    const directory = new ThingDirectory(registry, config);
    await directory.find('greenhouse-7');
    await directory.ensure(device);
    expect(methods(registry)).toEqual(['describeThing', 'findThings', 'findThings']);
  });

  it('refuses one of two things of this stack with its DevEUI', async () => {
    const registry = registryWith(
      thing('a', { devEUI: DEV_EUI, stackName: 's1' }),
      thing('b', { devEUI: DEV_EUI, stackName: 's1' }),
    );
    await expect(new ThingDirectory(registry, config).find('b')).rejects.toMatchObject({
      code: 'duplicate_things',
    });
  });

  it('answers the same for a missing thing, one of another type and one without stackName', async () => {
    const registry = registryWith(
      thing('typed-otherwise', { devEUI: DEV_EUI, stackName: 's1' }, 'other-type'),
      thing('untyped', { devEUI: DEV_EUI, stackName: 's1' }, null),
      thing('ownerless', { devEUI: DEV_EUI }),
    );
    const directory = new ThingDirectory(registry, config);
    for (const name of ['missing', 'typed-otherwise', 'untyped', 'ownerless']) {
      await expect(directory.find(name)).rejects.toMatchObject({
        code: 'unknown_thing',
        message: `Stack s1 has no thing ${name}: its things have thing type lorawan and the attribute stackName=s1. Check the thing name, or wait for the device's first uplink to create its thing.`,
      });
    }
  });

  it('says a thing of another stack is that stack’s', async () => {
    const registry = registryWith(thing('theirs', { devEUI: DEV_EUI, stackName: 'other' }));
    await expect(new ThingDirectory(registry, config).find('theirs')).rejects.toMatchObject({
      code: 'stack_mismatch',
      owner: 'other',
    });
  });

  it('asks again after forgetting a thing', async () => {
    const registry = registryWith(thing('t1', { stackName: 's1' }));
    const directory = new ThingDirectory(registry, config);
    await directory.find('t1');
    directory.forget('t1');
    await directory.find('t1');
    expect(methods(registry)).toEqual(['describeThing', 'describeThing']);
  });
});
