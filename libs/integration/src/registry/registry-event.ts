/**
 * A thing registry event, as the IoT rule passes it, and its handling once per container.
 * Registry events arrive at least once and unordered (docs/aws.md): an event is judged against
 * the thing as the registry has it now, so a repeat or a stale event changes nothing, and one
 * this container handled already is dropped.
 */
import { thingTopic } from '@tts-aws-iot/tts';

import { InputError } from '../errors';
import type { ProvisioningDependencies } from './dependencies';
import { DEVICE_ATTRIBUTES, provisioningKind, type ProvisioningKind } from './device-attributes';
import type { ProvisioningOutcome, ProvisioningStatus } from './outcome';

/** A thing registry event (`$aws/events/thing/<name>/created|updated|deleted`, docs/aws.md). */
export interface ThingRegistryEvent {
  readonly eventId: string;
  readonly operation: 'CREATED' | 'UPDATED' | 'DELETED';
  readonly thingName: string;
  /** The thing's registry ID (AWS sends it; absent in hand-built events). */
  readonly thingId?: string;
  readonly thingTypeName: string | undefined;
  /** The thing's registry version when the event happened. */
  readonly versionNumber: number | undefined;
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * Reads a thing registry event as the IoT rule passes it.
 *
 * @throws InputError `invalid_registry_event` when it is not one
 */
export function parseThingRegistryEvent(event: unknown): ThingRegistryEvent {
  const fields =
    typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  const { eventId, operation, thingName, thingId, thingTypeName, versionNumber, attributes } =
    fields;
  const problems: string[] = [];
  if (typeof eventId !== 'string' || eventId === '') problems.push('eventId is missing');
  if (operation !== 'CREATED' && operation !== 'UPDATED' && operation !== 'DELETED')
    problems.push('operation is not CREATED, UPDATED or DELETED');
  if (typeof thingName !== 'string' || thingName === '') problems.push('thingName is missing');
  const attributeRecord =
    typeof attributes === 'object' && attributes !== null && !Array.isArray(attributes)
      ? (attributes as Record<string, unknown>)
      : {};
  if (problems.length > 0) {
    throw new InputError(
      'invalid_registry_event',
      `The event is not a thing registry event: ${problems.join('; ')}. Check that the rule selects $aws/events/thing/+/created or /deleted with SELECT *.`,
      { problems },
    );
  }
  return {
    eventId: eventId as string,
    operation: operation as ThingRegistryEvent['operation'],
    thingName: thingName as string,
    ...(typeof thingId === 'string' && thingId !== '' ? { thingId } : {}),
    thingTypeName:
      typeof thingTypeName === 'string' && thingTypeName !== '' ? thingTypeName : undefined,
    versionNumber: typeof versionNumber === 'number' ? versionNumber : undefined,
    // Registry attribute values are strings; anything else is not ours to interpret.
    attributes: Object.fromEntries(
      Object.entries(attributeRecord).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    ),
  };
}

/**
 * Event IDs this container has handled, the most recent `capacity` of them. Registry events
 * arrive at least once: a repeat that reaches the same container is dropped here; one that
 * reaches another container is caught by the thing's state (its keys are gone once done).
 */
export class RecentEvents {
  readonly #ids = new Set<string>();

  constructor(private readonly capacity = 1000) {}

  has(eventID: string): boolean {
    return this.#ids.has(eventID);
  }

  add(eventID: string): void {
    this.#ids.delete(eventID);
    this.#ids.add(eventID);
    // A Set iterates in insertion order: the first entry is the oldest.
    if (this.#ids.size > this.capacity) this.#ids.delete(this.#ids.values().next().value!);
  }
}

/** What became of one registry event; `ignored` says why nothing was done. */
export type RegistryFlowResult<TStatus extends ProvisioningStatus> =
  | { readonly result: 'ignored'; readonly reason: string }
  | { readonly result: TStatus; readonly thingName: string; readonly deviceID: string }
  | {
      readonly result: 'skipped';
      readonly thingName: string;
      readonly deviceID: string;
      readonly reason: string;
    };

/** Ends the handling of an event without doing anything; the reason is logged at info. */
export type IgnoreEvent = (reason: string) => {
  readonly result: 'ignored';
  readonly reason: string;
};

/**
 * Hands a registry event about one of this stack's things to `handle`, once per container.
 * Events of another thing type, of a thing of another stack (by its `stackName` attribute) or
 * handled already are ignored without a call to any port. An event is remembered once it
 * has its final answer (done, ignored, or refused for good); one that failed retryably
 * comes again, and is judged again.
 *
 * A created thing of the stack's type without a `stackName` attribute, carrying what flow
 * `options.reports` provisions (an `appKey`, a claim code), is answered `skipped` on its
 * provisioning topic, naming the missing attribute: each flow reports its own kind, so the
 * stack says it once; a thing with another stack's `stackName` is that stack's to answer.
 *
 * @throws InputError `invalid_registry_event` for what is no registry event; what `handle` throws
 */
export async function handleRegistryEventOnce<TStatus extends ProvisioningStatus>(
  input: unknown,
  deps: ProvisioningDependencies,
  handle: (event: ThingRegistryEvent, ignore: IgnoreEvent) => Promise<RegistryFlowResult<TStatus>>,
  options: { readonly reports?: ProvisioningKind } = {},
): Promise<RegistryFlowResult<TStatus>> {
  const event = parseThingRegistryEvent(input);
  const ignore: IgnoreEvent = (reason) => {
    deps.log.info(`Ignored: ${reason}.`, { thing_name: event.thingName, event_id: event.eventId });
    return { result: 'ignored', reason };
  };
  const { thingTypeName, stackName } = deps.config;
  if (event.thingTypeName !== thingTypeName)
    return ignore(`thing type ${event.thingTypeName ?? '(none)'} is not ${thingTypeName}`);
  const owner = event.attributes['stackName'] || undefined;
  if (deps.recentEvents.has(event.eventId)) return ignore('the event was handled already');
  if (
    owner === undefined &&
    event.operation === 'CREATED' &&
    options.reports !== undefined &&
    provisioningKind(event.attributes) === options.reports
  ) {
    const skipped = await skipWithoutStackName(event, deps);
    deps.recentEvents.add(event.eventId);
    return skipped;
  }
  if (owner !== stackName) return ignore(`the thing belongs to stack ${owner ?? '(none)'}`);
  let result: RegistryFlowResult<TStatus>;
  try {
    result = await handle(event, ignore);
  } catch (error) {
    // Retryable failures come again; only a final answer is remembered.
    if ((error as { retryable?: unknown }).retryable === false)
      deps.recentEvents.add(event.eventId);
    throw error;
  }
  deps.recentEvents.add(event.eventId);
  return result;
}

/**
 * The `skipped` outcome of a thing without `stackName`: nothing is provisioned, and the reason
 * names the attribute (and no key or code of the thing).
 */
async function skipWithoutStackName(
  event: ThingRegistryEvent,
  deps: Pick<ProvisioningDependencies, 'config' | 'publisher' | 'log'>,
): Promise<{
  readonly result: 'skipped';
  readonly thingName: string;
  readonly deviceID: string;
  readonly reason: string;
}> {
  const { stackName } = deps.config;
  const reason = `The thing has no stackName attribute, which every thing of the integration needs: nothing was provisioned. Delete the thing, and create it again with the attribute stackName=${stackName} (the stack that serves it).`;
  const deviceID = event.attributes[DEVICE_ATTRIBUTES.deviceID] ?? '';
  await deps.publisher.publish(thingTopic(event.thingName, 'provisioning'), {
    status: 'skipped',
    ...(deviceID ? { deviceID } : {}),
    reason,
  } satisfies ProvisioningOutcome);
  deps.log.warn('Skipped a thing without stackName.', {
    thing_name: event.thingName,
    event_id: event.eventId,
    missing_attribute: DEVICE_ATTRIBUTES.stackName,
  });
  return { result: 'skipped', thingName: event.thingName, deviceID, reason };
}
