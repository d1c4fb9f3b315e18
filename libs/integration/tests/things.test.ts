import { ThingDirectory } from '../src/things';
import { InMemoryThingRegistry } from '../src/in-memory';

const config = { stackName: 's1', thingTypeName: 'lorawan', thingNameScheme: 'DevEUI' } as const;
const [T1, T2] = ['0004A30B001C0531', '0004A30B001C0532'];
const device = { deviceID: 'eui-0004a30b001c0530', devEUI: '0004A30B001C0530' };

describe('ThingDirectory', () => {
  it('creates a missing thing with the thing type and the device attributes', async () => {
    const registry = new InMemoryThingRegistry();
    await new ThingDirectory(registry, config).ensure('0004A30B001C0530', device);
    expect(registry.things.get('0004A30B001C0530')).toMatchObject({
      thingTypeName: 'lorawan',
      attributes: { devEUI: '0004A30B001C0530', stackName: 's1', deviceID: 'eui-0004a30b001c0530' },
    });
  });

  it('asks the registry once per thing for the life of the container', async () => {
    const registry = new InMemoryThingRegistry();
    const directory = new ThingDirectory(registry, config);
    await Promise.all([
      directory.ensure('0004A30B001C0530', device),
      directory.ensure('0004A30B001C0530', device),
    ]);
    await directory.ensure('0004A30B001C0530', device);
    expect(registry.calls.map((call) => call.method)).toEqual(['describeThing', 'createThing']);
  });

  it('remembers a bounded number of things, least recently used out, and none past an hour', async () => {
    const registry = new InMemoryThingRegistry();
    let now = 0;
    const directory = new ThingDirectory(registry, config, { maxThings: 2, now: () => now });
    const names = ['0004A30B001C0A01', '0004A30B001C0A02', '0004A30B001C0A03'];
    const lookups = () => registry.calls.filter((call) => call.method === 'describeThing').length;
    await directory.ensure(names[0]!, device);
    await directory.ensure(names[1]!, device);
    await directory.ensure(names[0]!, device); // used again: the second is now the oldest
    await directory.ensure(names[2]!, device);
    expect(lookups()).toBe(3);
    await directory.ensure(names[0]!, device);
    expect(lookups()).toBe(3);
    await directory.ensure(names[1]!, device);
    expect(lookups()).toBe(4);
    now += 60 * 60 * 1000;
    await directory.ensure(names[1]!, device);
    expect(lookups()).toBe(5);
  });

  it('adopts a thing that the registry flow created meanwhile', async () => {
    const registry = new InMemoryThingRegistry();
    const describe = registry.describeThing.bind(registry);
    let first = true;
    // The thing appears between our describe and create (created with more attributes).
    registry.describeThing = async (name) => {
      const result = await describe(name);
      if (first) {
        first = false;
        registry.things.set(name, {
          thingName: name,
          thingTypeName: 'lorawan',
          attributes: { stackName: 's1', devEUI: name, joinEUI: '70B3D57ED0000000' },
        });
      }
      return result;
    };
    const thing = await new ThingDirectory(registry, config).ensure('0004A30B001C0530', device);
    expect(thing.attributes['joinEUI']).toBe('70B3D57ED0000000');
  });

  it('refuses, and does not remember, a thing of another stack', async () => {
    const registry = new InMemoryThingRegistry();
    registry.things.set('0004A30B001C0530', {
      thingName: '0004A30B001C0530',
      attributes: { stackName: 'other', devEUI: '0004A30B001C0530' },
    });
    const directory = new ThingDirectory(registry, config);
    await expect(directory.ensure('0004A30B001C0530', device)).rejects.toMatchObject({
      code: 'stack_mismatch',
    });
    await expect(directory.ensure('0004A30B001C0530', device)).rejects.toMatchObject({
      code: 'stack_mismatch',
    });
    expect(registry.calls.filter((call) => call.method === 'describeThing')).toHaveLength(2);
    expect(registry.calls.some((call) => call.method === 'createThing')).toBe(false);
  });

  it('finds an existing thing and refuses an unknown one', async () => {
    const registry = new InMemoryThingRegistry();
    registry.things.set(T1, { thingName: T1, attributes: { stackName: 's1' } });
    const directory = new ThingDirectory(registry, config);
    await expect(directory.find(T1)).resolves.toMatchObject({ thingName: T1 });
    await expect(directory.find(T2)).rejects.toMatchObject({ code: 'unknown_thing' });
  });

  it('refuses a name the stack never gives without asking the registry', async () => {
    const registry = new InMemoryThingRegistry();
    const directory = new ThingDirectory(registry, config);
    await expect(directory.find('s2_sensor-1')).rejects.toMatchObject({
      code: 'thing_not_found',
      retryable: false,
    });
    expect(registry.calls).toEqual([]);
  });

  it('asks again after forgetting a thing', async () => {
    const registry = new InMemoryThingRegistry();
    registry.things.set(T1, { thingName: T1, attributes: { stackName: 's1' } });
    const directory = new ThingDirectory(registry, config);
    await directory.find(T1);
    directory.forget(T1);
    await directory.find(T1);
    expect(registry.calls).toHaveLength(2);
  });
});
