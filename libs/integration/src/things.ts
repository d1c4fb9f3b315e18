import { BoundedCache } from './bounded-cache';
import { InputError, ThingAlreadyExistsError, TransientError } from './errors';
import type { ThingRecord, ThingRegistry } from './ports';
import type { IntegrationConfig } from './config';
import {
  assertThingNameOfStack,
  assertThingOfStack,
  autoCreatedThingAttributes,
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

/**
 * The things of this stack, as far as one container has seen them. A thing found (or
 * created) is remembered (bounded in number and age), so that steady-state invocations make
 * no registry call; callers `forget` a thing that turns out gone.
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
   * The thing for a device, created (with the thing type and the attributes `devEUI`,
   * `stackName`, `deviceID`) when it does not exist yet.
   *
   * @throws StackMismatchError `stack_mismatch` when the thing belongs to another stack
   */
  ensure(thingName: string, device: DeviceIdentity): Promise<ThingRecord> {
    return this.#remember(thingName, async () => {
      const existing = await this.registry.describeThing(thingName);
      if (existing) return this.#ours(existing);
      const attributes = autoCreatedThingAttributes(this.config.stackName, device);
      try {
        await this.registry.createThing({
          thingName,
          thingTypeName: this.config.thingTypeName,
          attributes,
        });
      } catch (error) {
        if (!(error instanceof ThingAlreadyExistsError)) throw error;
        // Created meanwhile, by a concurrent invocation or the registry flow: judge that one.
        const created = await this.registry.describeThing(thingName);
        if (!created)
          throw new TransientError(
            'thing_vanished',
            `Thing ${thingName} was created and deleted concurrently.`,
            { cause: error },
          );
        return this.#ours(created);
      }
      return { thingName, thingTypeName: this.config.thingTypeName, attributes };
    });
  }

  /**
   * The existing thing of this stack with that name. A name the stack's naming scheme
   * never gives is refused without asking the registry.
   *
   * @throws InputError `thing_not_found` for a name this stack never gives; `unknown_thing`
   *   when there is no such thing
   * @throws StackMismatchError `stack_mismatch` when it belongs to another stack
   */
  async find(thingName: string): Promise<ThingRecord> {
    assertThingNameOfStack(this.config, thingName);
    return this.#remember(thingName, async () => {
      const thing = await this.registry.describeThing(thingName);
      if (!thing) {
        throw new InputError(
          'unknown_thing',
          `Thing ${thingName} does not exist. Check the thing name, or wait for the device's first uplink to create it.`,
          {
            thingName,
          },
        );
      }
      return this.#ours(thing);
    });
  }

  /** Drops a remembered thing (for example after the registry said it is gone). */
  forget(thingName: string): void {
    this.#known.delete(thingName);
  }

  #ours(thing: ThingRecord): ThingRecord {
    assertThingOfStack(thing, this.config.stackName);
    return thing;
  }

  #remember(thingName: string, lookUp: () => Promise<ThingRecord>): Promise<ThingRecord> {
    const known = this.#known.get(thingName);
    if (known) return known;
    const pending = lookUp();
    this.#known.set(thingName, pending);
    // Failures are not remembered: the next invocation asks the registry again.
    pending.catch(() => {
      if (this.#known.get(thingName) === pending) this.#known.delete(thingName);
    });
    return pending;
  }
}
