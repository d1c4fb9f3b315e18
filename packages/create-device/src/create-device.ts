/**
 * CreateThing: keeps TTS's device registry in step with the things of the integration's
 * thing type. A thing created with LoRaWAN attributes and an `appKey` becomes a TTS device
 * (IS → JS → NS → AS, undone on failure), then loses its root keys; a deleted thing's
 * device is deleted (AS → NS → JS → IS). The outcome goes to `lorawan/<thing>/provisioning`.
 *
 * Registry events arrive at least once and unordered (AWS.md): an event is judged against
 * the thing as the registry has it now, so a repeat or a stale event changes nothing.
 */
import {
  deviceIDOfThing,
  failedOutcome,
  parseOtaaDeviceAttributes,
  parseThingRegistryEvent,
  provisionedAttributes,
  provisioningKind,
  type IntegrationConfig,
  type MessagePublisher,
  type OtaaDeviceSpec,
  type ProvisioningOutcome,
  type RecentEvents,
  type ThingRegistry,
  type ThingRegistryEvent,
} from '@tts-aws-iot/integration';
import { toHex } from '@tts-aws-iot/lorawan';
import {
  deleteEndDeviceEverywhere,
  registerEndDevice,
  serverAddress,
  thingTopic,
  type EndDeviceRegistryApi,
} from '@tts-aws-iot/tts';

/** The log lines this function writes (a Powertools `Logger` fits). */
export interface RegistryLog {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface CreateDeviceDeps {
  readonly config: Pick<
    IntegrationConfig,
    'stackName' | 'thingTypeName' | 'thingNameScheme' | 'applicationID' | 'clusterURL'
  >;
  /** For devices whose thing names no `frequencyPlanID`. */
  readonly defaultFrequencyPlanID: string;
  readonly registry: ThingRegistry;
  readonly publisher: MessagePublisher;
  readonly tts: EndDeviceRegistryApi;
  /** Event IDs handled by this container (lives as long as it). */
  readonly recentEvents: RecentEvents;
  readonly log: RegistryLog;
}

/** What an invocation did; `ignored` says why nothing was done. */
export type RegistryEventResult =
  | { readonly result: 'ignored'; readonly reason: string }
  | {
      readonly result: 'created' | 'deleted';
      readonly thingName: string;
      readonly deviceID: string;
    };

/**
 * Handles one registry event. Errors are thrown after the `failed` outcome is published:
 * those that are not retryable (bad attributes, a request TTS refuses) are reported and
 * dropped by the Lambda error policy; the others make Lambda retry the event.
 */
export async function handleRegistryEvent(
  input: unknown,
  deps: CreateDeviceDeps,
): Promise<RegistryEventResult> {
  const event = parseThingRegistryEvent(input);
  const ignored = (reason: string): RegistryEventResult => {
    deps.log.info(`Ignored: ${reason}.`, { thing_name: event.thingName, event_id: event.eventId });
    return { result: 'ignored', reason };
  };
  if (event.thingTypeName !== deps.config.thingTypeName)
    return ignored(
      `thing type ${event.thingTypeName ?? '(none)'} is not ${deps.config.thingTypeName}`,
    );
  if (event.attributes['stackName'] !== deps.config.stackName)
    return ignored(`the thing belongs to stack ${event.attributes['stackName'] ?? '(none)'}`);
  if (deps.recentEvents.has(event.eventId)) return ignored('the event was handled already');

  let result: RegistryEventResult;
  try {
    if (event.operation === 'CREATED') result = await created(event, deps, ignored);
    else if (event.operation === 'DELETED') result = await deleted(event, deps, ignored);
    else result = ignored('updates do not change the TTS device');
  } catch (error) {
    // Retryable failures come again; only a final answer is remembered.
    if ((error as { retryable?: unknown }).retryable === false)
      deps.recentEvents.add(event.eventId);
    throw error;
  }
  deps.recentEvents.add(event.eventId);
  return result;
}

async function created(
  event: ThingRegistryEvent,
  deps: CreateDeviceDeps,
  ignored: (reason: string) => RegistryEventResult,
): Promise<RegistryEventResult> {
  if (provisioningKind(event.attributes) !== 'create')
    return ignored('the thing carries no appKey');
  // The registry's current state decides: the event may be a repeat, or the thing gone since.
  const thing = await deps.registry.describeThing(event.thingName);
  if (!thing) return ignored('the thing was deleted since');
  if (thing.attributes['stackName'] !== deps.config.stackName)
    return ignored('the thing was handed to another stack since');
  if (provisioningKind(thing.attributes) !== 'create')
    return ignored('the device was created already');

  const topic = thingTopic(event.thingName, 'provisioning');
  let spec: OtaaDeviceSpec | undefined;
  try {
    spec = parseOtaaDeviceAttributes(thing.attributes, {
      thingName: thing.thingName,
      stackName: deps.config.stackName,
      thingNameScheme: deps.config.thingNameScheme,
      defaultFrequencyPlanID: deps.defaultFrequencyPlanID,
    });
    const ids = {
      applicationID: deps.config.applicationID,
      deviceID: spec.deviceID,
      devEUI: toHex(spec.devEUI),
      joinEUI: toHex(spec.joinEUI),
    };
    const activation = {
      kind: 'keys' as const,
      appKey: spec.appKey,
      ...(spec.nwkKey ? { nwkKey: spec.nwkKey } : {}),
    };
    const registration = {
      ids,
      serverAddress: serverAddress(deps.config.clusterURL),
      activation,
      lorawanVersion: spec.lorawanVersion,
      lorawanPhyVersion: spec.lorawanPhyVersion,
      frequencyPlanID: spec.frequencyPlanID,
    };
    const { existed } = await registerEndDevice(deps.tts, registration, (step, error) =>
      deps.log.warn(
        `Could not undo the ${step} registration of a failed create: delete the device in TTS by hand.`,
        {
          device_id: ids.deviceID,
          error_code: (error as { code?: unknown }).code,
          reason: (error as Error).message,
        },
      ),
    );
    if (existed)
      deps.log.info('The TTS device existed with the same identifiers: completed it.', {
        device_id: ids.deviceID,
      });
  } catch (error) {
    await publishOutcome(
      deps,
      topic,
      failedOutcome(spec?.deviceID ?? thing.attributes['deviceID'], error),
    );
    throw error;
  }
  await deps.registry.updateThingAttributes(thing.thingName, provisionedAttributes(spec));
  await deps.publisher.publish(topic, {
    status: 'created',
    deviceID: spec.deviceID,
  } satisfies ProvisioningOutcome);
  deps.log.info('Created the TTS device.', {
    thing_name: thing.thingName,
    device_id: spec.deviceID,
    dev_eui: toHex(spec.devEUI),
  });
  return { result: 'created', thingName: thing.thingName, deviceID: spec.deviceID };
}

async function deleted(
  event: ThingRegistryEvent,
  deps: CreateDeviceDeps,
  ignored: (reason: string) => RegistryEventResult,
): Promise<RegistryEventResult> {
  // A thing of that name that exists again is a new thing for the same device: keep the device.
  if (await deps.registry.describeThing(event.thingName))
    return ignored('a thing of that name exists again');
  const deviceID = deviceIDOfThing(deps.config, {
    thingName: event.thingName,
    attributes: event.attributes,
  });
  if (!deviceID) return ignored('the thing names no TTS device');
  const ids = { applicationID: deps.config.applicationID, deviceID };
  const topic = thingTopic(event.thingName, 'provisioning');
  try {
    await deleteEndDeviceEverywhere(deps.tts, ids);
  } catch (error) {
    await publishOutcome(deps, topic, failedOutcome(deviceID, error));
    throw error;
  }
  await deps.publisher.publish(topic, {
    status: 'deleted',
    deviceID,
  } satisfies ProvisioningOutcome);
  deps.log.info('Deleted the TTS device.', { thing_name: event.thingName, device_id: deviceID });
  return { result: 'deleted', thingName: event.thingName, deviceID };
}

/** Publishes a failure without letting a publish problem hide the failure itself. */
async function publishOutcome(
  deps: CreateDeviceDeps,
  topic: string,
  outcome: ProvisioningOutcome,
): Promise<void> {
  try {
    await deps.publisher.publish(topic, outcome);
  } catch (error) {
    deps.log.warn('Could not publish the provisioning outcome.', {
      topic,
      reason: (error as Error).message,
    });
  }
}
