/**
 * The registry flows (docs/architecture.md "Thing attributes"): a thing of the integration's thing
 * type created with LoRaWAN attributes becomes a TTS device, registered with its root keys
 * (CreateThing) or claimed with its authentication code (ClaimThing), and undone on failure.
 * Once that succeeded the root keys or the code leave the thing's attributes, and the outcome
 * goes to `lorawan/<thing>/provisioning` either way; after a failure no retry can change they
 * leave too. The TTS devices this stack provisions carry its marker (`aws-iot-stack=<stack>`
 * in their Identity Server attributes), the only proof that a device is the stack's to
 * complete or delete. Secret attributes may be given wrapped under the KEK ring
 * (`wrapped:<kekLabel>:<hex>`, see device-attributes.ts).
 *
 * Registry events arrive at least once and unordered (docs/aws.md): an event is judged against the
 * thing as the registry has it now, so a repeat or a stale event changes nothing.
 */
import type { KekRing } from '@tts-aws-iot/keywrap';
import { toHex } from '@tts-aws-iot/lorawan';
import {
  hasMarker,
  registerEndDevice,
  serverAddress,
  thingTopic,
  type DeviceMarker,
  type EndDeviceRegistration,
  type EndDeviceRegistryApi,
  type RegisteredEndDevice,
} from '@tts-aws-iot/tts';

import type { RegistryConfig } from '../config';
import {
  DEVICE_ATTRIBUTES,
  failedProvisioningAttributes,
  parseClaimDeviceAttributes,
  parseOtaaDeviceAttributes,
  provisionedAttributes,
  provisioningKind,
  type ClaimDeviceSpec,
  type DeviceAttributeContext,
  type OtaaDeviceSpec,
  type ProvisioningKind,
  wrappedSecretLabels,
} from './device-attributes';
import { InputError } from '../errors';
import { thingNameFor } from '../thing-name';
import type { Log, MessagePublisher, RefreshableSecretReader, ThingRegistry } from '../ports';
import { KekRingSource } from '../traffic/e2e-session';
import { duplicateThingError, otherThingsOfDevEUI } from '../things';
import { createTtsClient } from '../tts-client';

/**
 * The TTS end-device attribute (on the Identity Server) that marks a device as provisioned
 * by this stack: `aws-iot-stack=<stack name>`. CreateThing and ClaimThing write it; only it
 * makes a device this stack's to complete or delete, since only holders of the TTS API key
 * can set it (thing attributes can be set by anyone allowed to create or update things).
 */
const STACK_MARKER_KEY = 'aws-iot-stack';

/**
 * The TTS end-device attribute that names the thing a device was provisioned for, by the
 * thing's registry ID (`aws-iot-thing-id=<thingId>`): a thing deleted and created again
 * under the same name has another ID, so it neither completes nor deletes the earlier
 * thing's device.
 */
const THING_ID_KEY = 'aws-iot-thing-id';

/** This stack's marker on the TTS devices it provisions. */
function stackMarker(stackName: string): DeviceMarker {
  return { key: STACK_MARKER_KEY, value: stackName };
}

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

/** What `lorawan/<thing>/provisioning` reports. */
export type ProvisioningStatus = 'created' | 'claimed' | 'deleted' | 'skipped' | 'failed';

/** The payload published on `lorawan/<thing>/provisioning`. */
export interface ProvisioningOutcome {
  readonly status: ProvisioningStatus;
  readonly deviceID?: string;
  /** With `skipped`: why nothing was changed, and what to do. */
  readonly reason?: string;
  /** With `failed`: the error's snake_case name and a sentence that says what to do. */
  readonly error?: { readonly name: string; readonly message: string };
}

/** The `failed` outcome for an error (its `code` as the name when it has one). */
export function failedOutcome(deviceID: string | undefined, error: unknown): ProvisioningOutcome {
  const code = (error as { code?: unknown } | undefined)?.code;
  const name = typeof code === 'string' && code !== '' ? code : 'internal';
  const message = error instanceof Error ? error.message : String(error);
  return { status: 'failed', ...(deviceID ? { deviceID } : {}), error: { name, message } };
}

/** What the registry flows work with; the handler builds it once per container. */
export interface ProvisioningDependencies {
  readonly config: Pick<
    RegistryConfig,
    | 'stackName'
    | 'thingTypeName'
    | 'thingNameScheme'
    | 'applicationID'
    | 'clusterURL'
    | 'defaultFrequencyPlanID'
  > &
    Partial<Pick<RegistryConfig, 'deleteUnmarkedDevices' | 'kekSecretID'>>;
  readonly registry: ThingRegistry;
  readonly publisher: MessagePublisher;
  readonly tts: EndDeviceRegistryApi;
  /** Event IDs handled by this container (lives as long as it). */
  readonly recentEvents: RecentEvents;
  readonly log: Pick<Log, 'info' | 'warn'>;
  /**
   * The stack's KEK ring (the KEK secret), for wrapped `appKey`, `nwkKey` and
   * `claimAuthenticationCode` attributes; absent when the stack has no KEK secret.
   */
  readonly kekRing?: (options?: { readonly refresh?: boolean }) => Promise<KekRing>;
}

/** The ports the registry flows talk through. */
export interface ProvisioningPorts {
  readonly registry: ThingRegistry;
  readonly publisher: MessagePublisher;
  /** For the TTS API key and the KEK ring. */
  readonly secrets: RefreshableSecretReader;
}

/**
 * The registry-flow dependencies of one container: a TTS client that reads the API key
 * through `ports.secrets`, with end-to-end encryption the KEK ring of `KEK_SECRET_ID` (read
 * only for things with wrapped secrets), and the memory of the events this container handled.
 */
export function provisioningDependencies(
  config: RegistryConfig,
  ports: ProvisioningPorts,
  log: ProvisioningDependencies['log'],
): ProvisioningDependencies {
  // The KEK ring is the stack's only with end-to-end encryption (the functions may read it then).
  const kekSecretID = config.e2eEnabled ? config.kekSecretID : undefined;
  const keks = kekSecretID ? new KekRingSource(ports.secrets, kekSecretID) : undefined;
  return {
    config,
    registry: ports.registry,
    publisher: ports.publisher,
    tts: createTtsClient(config, ports.secrets),
    recentEvents: new RecentEvents(),
    log,
    ...(keks && kekSecretID
      ? {
          kekRing: ({ refresh = false } = {}) => {
            // A KEK added to the ring since the secret was cached: read the secret again.
            if (refresh) ports.secrets.invalidate?.(kekSecretID);
            return keks.ring();
          },
        }
      : {}),
  };
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

/**
 * Refuses to provision a thing whose DevEUI has another thing of this stack already: the
 * device's traffic could go to either (`duplicate_things`, naming them).
 */
async function refuseSecondThing(
  deps: Pick<ProvisioningDependencies, 'registry' | 'config'>,
  thing: { readonly thingName: string; readonly attributes: Readonly<Record<string, string>> },
): Promise<void> {
  const devEUI = thing.attributes[DEVICE_ATTRIBUTES.devEUI];
  if (!devEUI) return;
  const others = await otherThingsOfDevEUI(deps.registry, deps.config, devEUI, thing.thingName);
  if (others.length > 0) throw duplicateThingError(devEUI, thing.thingName, others);
}

/**
 * How each flow speaks of itself, in its outcome and its log lines. The flow itself stays one,
 * here, for both Lambdas: CreateThing (`packages/create-device`, kind `create`) and ClaimThing
 * (`packages/claim`, kind `claim`) run the same steps and differ only in these words and in
 * the attribute parser ({@link provisionThing}), so a copy per package would repeat the whole
 * sequence. Each package names its kind in its one call to `provisionThing`.
 */
const FLOWS = {
  create: {
    status: 'created',
    doneBefore: 'the device was created already',
    existed: 'The TTS device existed with the same identifiers: completed it.',
    undoFailed: (step: string) =>
      `Could not undo the ${step} registration of a failed create: delete the device in TTS by hand.`,
    done: 'Created the TTS device.',
  },
  claim: {
    status: 'claimed',
    doneBefore: 'the device was claimed already',
    existed: 'The TTS device was claimed and registered already: completed it.',
    undoFailed: (step: string) =>
      `Could not undo the ${step} step of a failed claim: release the claim and delete the device in TTS by hand.`,
    done: 'Claimed the device.',
  },
} as const;

/**
 * Provisions the TTS device of a created thing: with its root keys (`create`: IS → JS → NS
 * → AS) or by a claim (`claim`: claim → IS → NS → AS), all of it undone when a step fails.
 * The thing as the registry has it now decides: one deleted, handed to another stack, or
 * provisioned since is ignored. After a success the keys or the code leave its attributes
 * and the outcome is published; a failure is published as `failed`, then rethrown.
 */
export function provisionThing(
  thingName: string,
  kind: 'create',
  deps: ProvisioningDependencies,
  ignore: IgnoreEvent,
): Promise<RegistryFlowResult<'created'>>;
export function provisionThing(
  thingName: string,
  kind: 'claim',
  deps: ProvisioningDependencies,
  ignore: IgnoreEvent,
): Promise<RegistryFlowResult<'claimed'>>;
export async function provisionThing(
  thingName: string,
  kind: 'create' | 'claim',
  deps: ProvisioningDependencies,
  ignore: IgnoreEvent,
): Promise<RegistryFlowResult<'created' | 'claimed'>> {
  const flow = FLOWS[kind];
  // The registry's current state decides: the event may be a repeat, or the thing gone since.
  const thing = await deps.registry.describeThing(thingName);
  if (!thing) return ignore('the thing was deleted since');
  if (thing.attributes['stackName'] !== deps.config.stackName)
    return ignore('the thing was handed to another stack since');
  if (provisioningKind(thing.attributes) !== kind) return ignore(flow.doneBefore);
  const failedBefore = thing.attributes[DEVICE_ATTRIBUTES.provisioningFailed];
  if (failedBefore) return ignore(`the thing's provisioning failed before (${failedBefore})`);

  const { config } = deps;
  let spec: OtaaDeviceSpec | ClaimDeviceSpec | undefined;
  try {
    const context: DeviceAttributeContext = {
      thingName: thing.thingName,
      stackName: config.stackName,
      thingNameScheme: config.thingNameScheme,
      defaultFrequencyPlanID: config.defaultFrequencyPlanID,
      ...(config.kekSecretID ? { kekSecretID: config.kekSecretID } : {}),
      // The KEK secret is read only for a thing that needs it.
      ...(deps.kekRing ? await kekRingFor(thing.attributes, deps.kekRing) : {}),
    };
    await refuseSecondThing(deps, thing);
    spec =
      kind === 'create'
        ? parseOtaaDeviceAttributes(thing.attributes, context)
        : parseClaimDeviceAttributes(thing.attributes, context);
    const deviceID = spec.deviceID;
    const { existed } = await registerEndDevice(
      deps.tts,
      endDeviceRegistration(spec, config, thing.thingId),
      (step, error) =>
        deps.log.warn(flow.undoFailed(step), {
          device_id: deviceID,
          error_code: (error as { code?: unknown }).code,
          reason: (error as Error).message,
        }),
    );
    if (existed) deps.log.info(flow.existed, { device_id: deviceID });
  } catch (error) {
    const deviceID = spec?.deviceID ?? thing.attributes['deviceID'];
    if ((error as { retryable?: unknown }).retryable === false)
      await removeSecretsAfterFailure(deps, thing.thingName, error);
    await publishFailedOutcome(deps, thing.thingName, deviceID, error);
    throw error;
  }
  await deps.registry.updateThingAttributes(thing.thingName, provisionedAttributes(spec));
  await deps.publisher.publish(thingTopic(thing.thingName, 'provisioning'), {
    status: flow.status,
    deviceID: spec.deviceID,
  } satisfies ProvisioningOutcome);
  deps.log.info(flow.done, {
    thing_name: thing.thingName,
    device_id: spec.deviceID,
    dev_eui: toHex(spec.devEUI),
  });
  return { result: flow.status, thingName: thing.thingName, deviceID: spec.deviceID };
}

/**
 * The KEK ring for a thing's wrapped secrets (none without them). A label the cached ring
 * lacks makes the secret be read again once, so that a KEK added since counts.
 */
async function kekRingFor(
  attributes: Readonly<Record<string, string>>,
  readRing: NonNullable<ProvisioningDependencies['kekRing']>,
): Promise<{ kekRing?: KekRing }> {
  const labels = wrappedSecretLabels(attributes);
  if (labels.length === 0) return {};
  const ring = await readRing();
  if (labels.every((label) => ring.labels.includes(label))) return { kekRing: ring };
  return { kekRing: await readRing({ refresh: true }) };
}

/**
 * After a failure no retry can change: the keys and the code leave the thing's attributes
 * (they would otherwise stay readable to anyone who may describe things, and in every
 * registry event), and `provisioningFailed` records the error code. A failing update is
 * logged, not thrown: the failure itself matters more.
 */
async function removeSecretsAfterFailure(
  deps: Pick<ProvisioningDependencies, 'registry' | 'log'>,
  thingName: string,
  error: unknown,
): Promise<void> {
  const code = (error as { code?: unknown }).code;
  try {
    await deps.registry.updateThingAttributes(
      thingName,
      failedProvisioningAttributes(typeof code === 'string' ? code : 'internal'),
    );
  } catch (updateError) {
    deps.log.warn(
      'Could not remove the root keys or claim code from the thing after a failed provisioning: remove them by hand.',
      { thing_name: thingName, reason: (updateError as Error).message },
    );
  }
}

/**
 * Why deleting a thing must leave the TTS device of its `deviceID` alone, or `undefined`
 * when the device is demonstrably the thing's and this stack's: TTS has it, with the
 * thing's DevEUI (and JoinEUI, when the thing names one), and with this stack's marker; a
 * device without any marker only under `DELETE_UNMARKED_DEVICES=true`. A thing's
 * attributes are no proof: anyone allowed to create or update things can set them.
 */
export function deviceDeletionRefusal(
  device: RegisteredEndDevice | undefined,
  thing: {
    readonly thingName: string;
    readonly thingId?: string;
    readonly attributes: Readonly<Record<string, string>>;
  },
  deviceID: string,
  config: Pick<RegistryConfig, 'stackName' | 'applicationID' | 'thingNameScheme'> &
    Partial<Pick<RegistryConfig, 'deleteUnmarkedDevices'>>,
): string | undefined {
  const name = `TTS device ${deviceID} in application ${config.applicationID}`;
  if (!device) return `${name} does not exist: nothing to delete.`;
  const thingDevEUI =
    thing.attributes[DEVICE_ATTRIBUTES.devEUI] ||
    (config.thingNameScheme === 'DevEUI' ? thing.thingName : '');
  if (!thingDevEUI)
    return `The thing names no DevEUI to check ${name} against: left it alone; delete it in TTS if it is this thing's.`;
  if (thingDevEUI.toUpperCase() !== device.devEUI.toUpperCase())
    return `${name} has DevEUI ${device.devEUI || '(none)'}, but the thing has ${thingDevEUI}: it is not this thing's device, left it alone.`;
  const thingJoinEUI =
    thing.attributes[DEVICE_ATTRIBUTES.joinEUI] || thing.attributes[DEVICE_ATTRIBUTES.appEUI];
  if (thingJoinEUI && thingJoinEUI.toUpperCase() !== device.joinEUI.toUpperCase())
    return `${name} has JoinEUI ${device.joinEUI || '(none)'}, but the thing has ${thingJoinEUI}: it is not this thing's device, left it alone.`;
  // Only the device's own thing deletes it, not another thing copying its identifiers. A
  // device provisioned for a thing names it by registry ID (checked below; the thing may have
  // any name); one without (provisioned before, or never through a thing) by the name the
  // naming scheme gives it, which no other thing can have.
  if (!Object.hasOwn(device.attributes, THING_ID_KEY)) {
    let ownThing: string | undefined;
    try {
      ownThing = thingNameFor(config, {
        deviceID,
        devEUI: device.devEUI.toUpperCase() || undefined,
      });
    } catch {
      ownThing = undefined;
    }
    if (ownThing !== thing.thingName)
      return `${name} belongs to the thing ${ownThing ?? '(none)'} under the ${config.thingNameScheme} thing name scheme, not to ${thing.thingName}: left it alone.`;
  }
  const marker = stackMarker(config.stackName);
  const provisionedFor = Object.hasOwn(device.attributes, THING_ID_KEY)
    ? device.attributes[THING_ID_KEY]
    : undefined;
  // With any thing name allowed, a device that names its thing is deleted only by that thing.
  if (hasMarker(device, marker) && provisionedFor && provisionedFor !== thing.thingId)
    return `${name} was provisioned for another thing named ${thing.thingName} (its ${THING_ID_KEY} attribute is ${provisionedFor}; the deleted thing had ID ${thing.thingId ?? '(none given)'}): left it alone.`;
  if (hasMarker(device, marker)) return undefined;
  const owner = Object.hasOwn(device.attributes, marker.key)
    ? device.attributes[marker.key]
    : undefined;
  if (owner !== undefined)
    return `${name} was provisioned by stack ${JSON.stringify(owner)} (its ${marker.key} attribute), not by ${config.stackName}: left it alone.`;
  if (config.deleteUnmarkedDevices) return undefined;
  return `${name} was not provisioned by this stack (it has no ${marker.key}=${config.stackName} attribute): left it alone. Delete it in TTS, or deploy with DELETE_UNMARKED_DEVICES=true to let deleting a thing delete such devices.`;
}

/** The TTS registration of a validated device: with its root keys, or by a claim. */
function endDeviceRegistration(
  spec: OtaaDeviceSpec | ClaimDeviceSpec,
  config: Pick<RegistryConfig, 'applicationID' | 'clusterURL' | 'stackName'>,
  thingId: string | undefined,
): EndDeviceRegistration {
  return {
    ids: {
      applicationID: config.applicationID,
      deviceID: spec.deviceID,
      devEUI: toHex(spec.devEUI),
      joinEUI: toHex(spec.joinEUI),
    },
    serverAddress: serverAddress(config.clusterURL),
    activation:
      spec.kind === 'create'
        ? { kind: 'keys', appKey: spec.appKey, ...(spec.nwkKey ? { nwkKey: spec.nwkKey } : {}) }
        : { kind: 'claim', authenticationCode: spec.authenticationCode },
    lorawanVersion: spec.lorawanVersion,
    lorawanPhyVersion: spec.lorawanPhyVersion,
    frequencyPlanID: spec.frequencyPlanID,
    ...(spec.versionIDs ? { versionIDs: spec.versionIDs } : {}),
    marker: stackMarker(config.stackName),
    ...(thingId ? { registrant: { key: THING_ID_KEY, value: thingId } } : {}),
  };
}

/**
 * Publishes the `failed` outcome on the thing's provisioning topic. A publish that fails is
 * logged, not thrown: the failure itself, which the caller rethrows, matters more than its
 * report.
 */
export async function publishFailedOutcome(
  deps: Pick<ProvisioningDependencies, 'publisher' | 'log'>,
  thingName: string,
  deviceID: string | undefined,
  error: unknown,
): Promise<void> {
  const topic = thingTopic(thingName, 'provisioning');
  try {
    await deps.publisher.publish(topic, failedOutcome(deviceID, error));
  } catch (publishError) {
    deps.log.warn('Could not publish the provisioning outcome.', {
      topic,
      reason: (publishError as Error).message,
    });
  }
}
