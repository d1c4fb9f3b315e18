/**
 * Which thing is a device's (docs/architecture.md "Names"): the thing of the stack's thing type
 * whose `devEUI` attribute is the device's DevEUI and whose `stackName` is the stack's, whatever
 * its name. A thing created by hand may have any name; the uplink Lambda names the things it
 * creates by the `ThingNameScheme`, and creates one only for a DevEUI that has none.
 */
import { BoundedCache } from './bounded-cache';
import { InputError, ThingAlreadyExistsError, TransientError } from './errors';
import type { ThingRecord, ThingRegistry } from './ports';
import type { IntegrationConfig } from './config';
import {
  assertThingOfStack,
  autoCreatedThingAttributes,
  thingNameFor,
  type DeviceIdentity,
} from './thing-name';

/** What the directory needs of the configuration. */
export type ThingDirectoryConfig = Pick<
  IntegrationConfig,
  'stackName' | 'thingTypeName' | 'thingNameScheme'
>;

/** Things a container remembers at most, least recently used out. */
const MAX_KNOWN_THINGS = 10_000;
/** How long a container remembers a thing before asking the registry again. */
const KNOWN_THING_TTL_MS = 60 * 60 * 1000;
/** Things of one DevEUI read at most: enough to name the duplicates in an error. */
const MAX_MATCHES = 10;
/** The searchable attribute that ties a thing to its device. */
const DEV_EUI_ATTRIBUTE = 'devEUI';

/**
 * The things of this stack, as far as one container has seen them. A thing found (or
 * created) is remembered (bounded in number and age) by DevEUI and by name, so that
 * steady-state invocations make no registry call; callers `forget` a thing that turns out gone.
 */
export class ThingDirectory {
  // Promises, so that concurrent first lookups of one thing share a registry call.
  readonly #known: BoundedCache<string, Promise<ThingRecord>>;

  constructor(
    private readonly registry: ThingRegistry,
    private readonly config: ThingDirectoryConfig,
    options: { readonly maxThings?: number; readonly now?: (() => number) | undefined } = {},
  ) {
    this.#known = new BoundedCache(
      options.maxThings ?? MAX_KNOWN_THINGS,
      KNOWN_THING_TTL_MS,
      options.now ?? Date.now,
    );
  }

  /**
   * The thing of a device: the thing of the stack's type and stack with the device's DevEUI
   * (`ListThings` by the searchable `devEUI` attribute), else, for a device without a
   * DevEUI, the thing the naming scheme gives it. When there is none it is created, named by
   * the scheme, with the thing type and the attributes `devEUI`, `stackName`, `deviceID`.
   *
   * @throws StackMismatchError `stack_mismatch` when the DevEUI's things are all another
   *   stack's (or none's): none is used, and no second one is created
   * @throws InputError `duplicate_things` when two things of this stack have the DevEUI;
   *   `thing_name_taken` when the name to create is a thing that is not the device's
   */
  ensure(device: DeviceIdentity): Promise<ThingRecord> {
    const { devEUI } = device;
    if (devEUI === undefined) {
      const thingName = thingNameFor(this.config, device);
      return this.#remember(nameKey(thingName), async () => {
        const existing = await this.registry.describeThing(thingName);
        return existing ? this.#ours(existing) : this.#create(thingName, device);
      });
    }
    return this.#remember(
      euiKey(devEUI),
      async () =>
        (await this.#thingOfDevEUI(devEUI)) ??
        this.#create(thingNameFor(this.config, device), device),
    );
  }

  /**
   * The existing thing of this stack with that name (a downlink request names it): of the
   * stack's thing type, with `stackName` the stack's, and, when it has a `devEUI`, the one
   * thing of this stack with that DevEUI.
   *
   * @throws InputError `unknown_thing` when there is no such thing of this stack (absent, of
   *   another type, or without `stackName`: the answer does not tell these apart);
   *   `duplicate_things` when another thing of this stack has its DevEUI
   * @throws StackMismatchError `stack_mismatch` when it belongs to another stack
   */
  find(thingName: string): Promise<ThingRecord> {
    return this.#remember(nameKey(thingName), async () => {
      const thing = await this.registry.describeThing(thingName);
      const owner = thing?.attributes['stackName'] || undefined;
      if (thing && owner !== undefined && owner !== this.config.stackName)
        assertThingOfStack(thing, this.config.stackName);
      if (!thing || owner === undefined || thing.thingTypeName !== this.config.thingTypeName)
        throw this.#unknownThing(thingName);
      const devEUI = thing.attributes[DEV_EUI_ATTRIBUTE];
      if (!devEUI) return thing;
      const own = await this.#remember(
        euiKey(devEUI),
        async () => (await this.#thingOfDevEUI(devEUI)) ?? thing,
      );
      if (own.thingName !== thing.thingName) throw duplicateThings(devEUI, [own, thing]);
      return thing;
    });
  }

  /** Drops a remembered thing (for example after the registry said it is gone). */
  forget(thingName: string, device?: DeviceIdentity): void {
    this.#known.delete(nameKey(thingName));
    if (device?.devEUI !== undefined) this.#known.delete(euiKey(device.devEUI));
  }

  /**
   * The one thing of this stack with the DevEUI, `undefined` when the DevEUI has no thing.
   * Upper case (TTS's form) and lower case are both looked for: a thing of one case must not
   * hide a thing of the other (a second thing made in upper case would take a lower-case
   * thing's traffic).
   */
  async #thingOfDevEUI(devEUI: string): Promise<ThingRecord | undefined> {
    const found: ThingRecord[] = [];
    for (const value of new Set([devEUI.toUpperCase(), devEUI.toLowerCase()])) {
      found.push(
        ...(await this.registry.findThings({
          attributeName: DEV_EUI_ATTRIBUTE,
          attributeValue: value,
          thingTypeName: this.config.thingTypeName,
          limit: MAX_MATCHES,
        })),
      );
    }
    const ours = found.filter((thing) => thing.attributes['stackName'] === this.config.stackName);
    if (ours.length > 1) throw duplicateThings(devEUI, ours);
    if (ours.length === 1) return ours[0];
    // Another stack's thing (or one without stackName) has the DevEUI: neither is used, and
    // no second thing is created beside it.
    if (found[0]) assertThingOfStack(found[0], this.config.stackName);
    return undefined;
  }

  async #create(thingName: string, device: DeviceIdentity): Promise<ThingRecord> {
    const attributes = autoCreatedThingAttributes(this.config.stackName, device);
    try {
      await this.registry.createThing({
        thingName,
        thingTypeName: this.config.thingTypeName,
        attributes,
      });
    } catch (error) {
      if (!(error instanceof ThingAlreadyExistsError)) throw error;
      // Created meanwhile (a concurrent invocation, the registry flow), or a thing of that
      // name that is not the device's: judge the one there.
      const existing = await this.registry.describeThing(thingName);
      if (!existing)
        throw new TransientError(
          'thing_vanished',
          `Thing ${thingName} was created and deleted concurrently.`,
          { cause: error },
        );
      const ours = this.#ours(existing);
      const devEUI = ours.attributes[DEV_EUI_ATTRIBUTE];
      if (devEUI && device.devEUI && devEUI.toUpperCase() !== device.devEUI.toUpperCase())
        throw new InputError(
          'thing_name_taken',
          `Thing ${thingName} exists with devEUI ${devEUI}, so it cannot be the thing of DevEUI ${device.devEUI}, and no thing of that name can be created for it. Create a thing for the device (any name; thing type ${this.config.thingTypeName}, devEUI ${device.devEUI}, stackName ${this.config.stackName}).`,
          { thingName, devEUI: device.devEUI },
        );
      return ours;
    }
    return { thingName, thingTypeName: this.config.thingTypeName, attributes };
  }

  #ours(thing: ThingRecord): ThingRecord {
    assertThingOfStack(thing, this.config.stackName);
    if (thing.thingTypeName !== this.config.thingTypeName)
      throw new InputError(
        'thing_name_taken',
        `Thing ${thing.thingName} has thing type ${thing.thingTypeName ?? '(none)'}, not ${this.config.thingTypeName}: it is not one of stack ${this.config.stackName}'s things. Give the device a thing of type ${this.config.thingTypeName}.`,
        { thingName: thing.thingName },
      );
    return thing;
  }

  #unknownThing(thingName: string): InputError {
    const { stackName, thingTypeName } = this.config;
    return new InputError(
      'unknown_thing',
      `Stack ${stackName} has no thing ${thingName}: its things have thing type ${thingTypeName} and the attribute stackName=${stackName}. Check the thing name, or wait for the device's first uplink to create its thing.`,
      { thingName },
    );
  }

  #remember(key: string, lookUp: () => Promise<ThingRecord>): Promise<ThingRecord> {
    const known = this.#known.get(key);
    if (known) return known;
    const pending = lookUp();
    this.#known.set(key, pending);
    // Failures are not remembered: the next invocation asks the registry again.
    pending.catch(() => {
      if (this.#known.get(key) === pending) this.#known.delete(key);
    });
    return pending;
  }
}

/**
 * The names of this stack's things of the stack's type, other than `thingName`, whose `devEUI`
 * attribute is `devEUI` (upper or lower case): a thing created for a device that has one
 * already, or a deleted thing whose device still has another.
 */
export async function otherThingsOfDevEUI(
  registry: Pick<ThingRegistry, 'findThings'>,
  config: Pick<ThingDirectoryConfig, 'stackName' | 'thingTypeName'>,
  devEUI: string,
  thingName: string,
): Promise<string[]> {
  const names = new Set<string>();
  for (const value of new Set([devEUI.toUpperCase(), devEUI.toLowerCase()])) {
    const found = await registry.findThings({
      attributeName: DEV_EUI_ATTRIBUTE,
      attributeValue: value,
      thingTypeName: config.thingTypeName,
      limit: MAX_MATCHES,
    });
    for (const thing of found)
      if (thing.attributes['stackName'] === config.stackName && thing.thingName !== thingName)
        names.add(thing.thingName);
  }
  return [...names];
}

/** The refusal of a thing created for a DevEUI that has a thing of this stack already. */
export function duplicateThingError(devEUI: string, thingName: string, others: readonly string[]) {
  return duplicateThings(
    devEUI,
    [thingName, ...others].map((name) => ({ thingName: name, attributes: {} })),
  );
}

function nameKey(thingName: string): string {
  return `name:${thingName}`;
}

function euiKey(devEUI: string): string {
  return `eui:${devEUI.toUpperCase()}`;
}

/** Two or more things of this stack claim one DevEUI: none is chosen. */
function duplicateThings(devEUI: string, things: readonly ThingRecord[]): InputError {
  const names = things.map((thing) => thing.thingName);
  return new InputError(
    'duplicate_things',
    `DevEUI ${devEUI} has ${names.length} things of this stack (${names.join(', ')}): the integration uses none of them rather than guess. Delete all but one, or change the others' devEUI attribute.`,
    { devEUI, thingNames: names },
  );
}
