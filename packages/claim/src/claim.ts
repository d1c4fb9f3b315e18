/**
 * ClaimThing: a thing of the integration's thing type created with a
 * `claimAuthenticationCode` is claimed through TTS's Device Claiming Server (the device's
 * external Join Server now serves this application), then registered on IS, NS and AS; on
 * failure all of it is undone. The code then leaves the thing's attributes, and the outcome
 * goes to `lorawan/<thing>/provisioning`. Deleting a claimed thing is CreateThing's job.
 *
 * Registry events arrive at least once and unordered (AWS.md): an event is judged against
 * the thing as the registry has it now, so a repeat or a stale event changes nothing.
 */
import {
  failedOutcome,
  parseClaimDeviceAttributes,
  parseThingRegistryEvent,
  provisionedAttributes,
  provisioningKind,
  type ClaimDeviceSpec,
  type IntegrationConfig,
  type MessagePublisher,
  type ProvisioningOutcome,
  type RecentEvents,
  type ThingRegistry,
} from '@tts-aws-iot/integration';
import { toHex } from '@tts-aws-iot/lorawan';
import {
  registerEndDevice,
  serverAddress,
  thingTopic,
  type EndDeviceRegistryApi,
} from '@tts-aws-iot/tts';

/** The log lines this function writes (a Powertools `Logger` fits). */
export interface ClaimLog {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface ClaimDeps {
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
  readonly log: ClaimLog;
}

/** What an invocation did; `ignored` says why nothing was done. */
export type ClaimResult =
  | { readonly result: 'ignored'; readonly reason: string }
  | { readonly result: 'claimed'; readonly thingName: string; readonly deviceID: string };

/**
 * Handles one `created` registry event. Errors are thrown after the `failed` outcome is
 * published: those that are not retryable (bad attributes, a refused claim) are reported
 * and dropped by the Lambda error policy; the others make Lambda retry the event.
 */
export async function handleThingCreated(input: unknown, deps: ClaimDeps): Promise<ClaimResult> {
  const event = parseThingRegistryEvent(input);
  const ignored = (reason: string): ClaimResult => {
    deps.log.info(`Ignored: ${reason}.`, { thing_name: event.thingName, event_id: event.eventId });
    return { result: 'ignored', reason };
  };
  if (event.operation !== 'CREATED')
    return ignored(`ClaimThing handles created things, not ${event.operation.toLowerCase()} ones`);
  if (event.thingTypeName !== deps.config.thingTypeName)
    return ignored(
      `thing type ${event.thingTypeName ?? '(none)'} is not ${deps.config.thingTypeName}`,
    );
  if (event.attributes['stackName'] !== deps.config.stackName)
    return ignored(`the thing belongs to stack ${event.attributes['stackName'] ?? '(none)'}`);
  // Things with an appKey are CreateThing's, also when they carry a claim code too.
  if (provisioningKind(event.attributes) !== 'claim')
    return ignored('the thing carries no claimAuthenticationCode (or an appKey)');
  if (deps.recentEvents.has(event.eventId)) return ignored('the event was handled already');

  let result: ClaimResult;
  try {
    result = await claimThing(event.thingName, deps, ignored);
  } catch (error) {
    // Retryable failures come again; only a final answer is remembered.
    if ((error as { retryable?: unknown }).retryable === false)
      deps.recentEvents.add(event.eventId);
    throw error;
  }
  deps.recentEvents.add(event.eventId);
  return result;
}

async function claimThing(
  thingName: string,
  deps: ClaimDeps,
  ignored: (reason: string) => ClaimResult,
): Promise<ClaimResult> {
  // The registry's current state decides: the event may be a repeat, or the thing gone since.
  const thing = await deps.registry.describeThing(thingName);
  if (!thing) return ignored('the thing was deleted since');
  if (thing.attributes['stackName'] !== deps.config.stackName)
    return ignored('the thing was handed to another stack since');
  if (provisioningKind(thing.attributes) !== 'claim')
    return ignored('the device was claimed already');

  const topic = thingTopic(thingName, 'provisioning');
  let spec: ClaimDeviceSpec | undefined;
  try {
    spec = parseClaimDeviceAttributes(thing.attributes, {
      thingName,
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
    const registration = {
      ids,
      serverAddress: serverAddress(deps.config.clusterURL),
      activation: { kind: 'claim' as const, authenticationCode: spec.authenticationCode },
      lorawanVersion: spec.lorawanVersion,
      lorawanPhyVersion: spec.lorawanPhyVersion,
      frequencyPlanID: spec.frequencyPlanID,
    };
    const { existed } = await registerEndDevice(deps.tts, registration, (step, error) =>
      deps.log.warn(
        `Could not undo the ${step} step of a failed claim: release the claim and delete the device in TTS by hand.`,
        {
          device_id: ids.deviceID,
          error_code: (error as { code?: unknown }).code,
          reason: (error as Error).message,
        },
      ),
    );
    if (existed)
      deps.log.info('The TTS device was claimed and registered already: completed it.', {
        device_id: ids.deviceID,
      });
  } catch (error) {
    try {
      await deps.publisher.publish(
        topic,
        failedOutcome(spec?.deviceID ?? thing.attributes['deviceID'], error),
      );
    } catch (publishError) {
      // The failure itself matters more than its report.
      deps.log.warn('Could not publish the provisioning outcome.', {
        topic,
        reason: (publishError as Error).message,
      });
    }
    throw error;
  }
  await deps.registry.updateThingAttributes(thingName, provisionedAttributes(spec));
  await deps.publisher.publish(topic, {
    status: 'claimed',
    deviceID: spec.deviceID,
  } satisfies ProvisioningOutcome);
  deps.log.info('Claimed the device.', {
    thing_name: thingName,
    device_id: spec.deviceID,
    dev_eui: toHex(spec.devEUI),
  });
  return { result: 'claimed', thingName, deviceID: spec.deviceID };
}
