/**
 * CreateThing: keeps TTS's device registry in step with the things of the integration's
 * thing type; each outcome goes to `lorawan/<thing>/provisioning`.
 *
 * A thing created with LoRaWAN attributes and an `appKey` becomes a TTS device registered with
 * its root keys ({@link CREATE_FLOW}, run by `provisionThing`), in order:
 *
 * 1. The thing as the registry has it now decides: one deleted, handed to another stack,
 *    without its `appKey` (created already) or whose provisioning failed before is ignored.
 * 2. The KEK ring is read if an attribute is wrapped (`wrapped:<kekLabel>:<hex>`).
 * 3. Another thing of this stack with the same `devEUI` refuses it (`duplicate_things`).
 * 4. The attributes are validated (`parseOtaaDeviceAttributes`, every problem at once).
 * 5. TTS registers the device IS → JS (root keys) → NS → AS, with this stack's
 *    `aws-iot-stack` marker; when a step fails, the steps taken are undone in reverse.
 * 6. `appKey` and `nwkKey` leave the thing, `deviceID` records the device.
 * 7. `{status: "created", deviceID}` is published.
 *
 * A failure publishes `failed` and is rethrown; one that no retry can change removes the keys
 * from the thing too and records `provisioningFailed`.
 *
 * A deleted thing's device ({@link deleted}) is deleted AS → NS → JS → IS (a claimed one's
 * claim released instead of JS) when TTS shows it is the thing's and this stack's (same EUIs,
 * the marker), and otherwise left alone with a `skipped` outcome.
 */
import { deviceIDOfThing, otherThingsOfDevEUI } from '@tts-aws-iot/integration';
import {
  DEVICE_ATTRIBUTES,
  deviceDeletionRefusal,
  handleRegistryEventOnce,
  parseOtaaDeviceAttributes,
  provisioningKind,
  provisionThing,
  publishFailedOutcome,
  type IgnoreEvent,
  type OtaaDeviceSpec,
  type ProvisioningDependencies,
  type ProvisioningFlow,
  type ProvisioningOutcome,
  type RegistryFlowResult,
  type ThingRegistryEvent,
} from '@tts-aws-iot/integration/registry';
import { deleteEndDeviceEverywhere, thingTopic } from '@tts-aws-iot/tts';

/** What CreateThing works with; the handler builds it once per container. */
export type CreateDeviceDeps = ProvisioningDependencies;

/** What an invocation did; `ignored` and `skipped` say why nothing was done. */
export type RegistryEventResult = RegistryFlowResult<'created' | 'deleted'>;

/** The create flow as the runner takes it: its things, attributes, registration and words. */
export const CREATE_FLOW: ProvisioningFlow<'created', OtaaDeviceSpec> = {
  kind: 'create',
  status: 'created',
  parse: parseOtaaDeviceAttributes,
  activation: (spec) => ({
    kind: 'keys',
    appKey: spec.appKey,
    ...(spec.nwkKey ? { nwkKey: spec.nwkKey } : {}),
  }),
  provisionedAttributes: (spec) => ({
    [DEVICE_ATTRIBUTES.appKey]: null,
    [DEVICE_ATTRIBUTES.nwkKey]: null,
    [DEVICE_ATTRIBUTES.deviceID]: spec.deviceID,
  }),
  doneBefore: 'the device was created already',
  existed: 'The TTS device existed with the same identifiers: completed it.',
  undoFailed: (step) =>
    `Could not undo the ${step} registration of a failed create: delete the device in TTS by hand.`,
  done: 'Created the TTS device.',
};

/**
 * Handles one registry event. Errors are thrown after the `failed` outcome is published:
 * those that are not retryable (bad attributes, a request TTS refuses) are reported and
 * dropped by the Lambda error policy; the others make Lambda retry the event.
 */
export function handleRegistryEvent(
  input: unknown,
  deps: CreateDeviceDeps,
): Promise<RegistryEventResult> {
  return handleRegistryEventOnce(
    input,
    deps,
    async (event, ignore) => {
      switch (event.operation) {
        case 'CREATED':
          if (provisioningKind(event.attributes) !== 'create')
            return ignore('the thing carries no appKey');
          return provisionThing(event.thingName, CREATE_FLOW, deps, ignore);
        case 'DELETED':
          return deleted(event, deps, ignore);
        default:
          return ignore('updates do not change the TTS device');
      }
    },
    { reports: CREATE_FLOW.kind },
  );
}

/** CreateThing's deletion of a deleted thing's TTS device (see the module comment). */
async function deleted(
  event: ThingRegistryEvent,
  deps: CreateDeviceDeps,
  ignore: IgnoreEvent,
): Promise<RegistryEventResult> {
  // Its keys or claim code are still there: the device was never provisioned from this thing
  // (a create TTS refused, say, because the device ID belongs to another device), so the TTS
  // device of that ID, if any, is not this thing's to delete.
  if (provisioningKind(event.attributes) !== undefined)
    return ignore('the thing was never provisioned: it still carries its appKey or claim code');
  // Its create or claim failed for good (the device ID may well be someone else's device).
  const failed = event.attributes[DEVICE_ATTRIBUTES.provisioningFailed];
  if (failed) return ignore(`the thing was never provisioned: its provisioning failed (${failed})`);
  // A thing of that name that exists again is a new thing for the same device: keep the device.
  if (await deps.registry.describeThing(event.thingName))
    return ignore('a thing of that name exists again');
  // The device's traffic goes to the thing of its DevEUI: while it has another, it stays.
  const devEUI = event.attributes[DEVICE_ATTRIBUTES.devEUI];
  const others = devEUI
    ? await otherThingsOfDevEUI(deps.registry, deps.config, devEUI, event.thingName)
    : [];
  if (others.length > 0) return ignore(`the device has another thing (${others.join(', ')})`);
  const deviceID = deviceIDOfThing(deps.config, {
    thingName: event.thingName,
    attributes: event.attributes,
  });
  if (!deviceID) return ignore('the thing names no TTS device');
  const ids = { applicationID: deps.config.applicationID, deviceID };
  try {
    // The thing's attributes prove nothing (anyone who may update things sets them): TTS's
    // own record of the device decides.
    const device = await deps.tts.getEndDevice(ids);
    const reason = deviceDeletionRefusal(device, event, deviceID, deps.config);
    if (reason !== undefined) {
      await deps.publisher.publish(thingTopic(event.thingName, 'provisioning'), {
        status: 'skipped',
        deviceID,
        reason,
      } satisfies ProvisioningOutcome);
      deps.log.info('Left the TTS device alone.', {
        thing_name: event.thingName,
        device_id: deviceID,
        reason,
      });
      return { result: 'skipped', thingName: event.thingName, deviceID, reason };
    }
    await deleteEndDeviceEverywhere(deps.tts, ids, {
      claimed: event.attributes[DEVICE_ATTRIBUTES.claimed] === 'true',
    });
  } catch (error) {
    await publishFailedOutcome(deps, event.thingName, deviceID, error);
    throw error;
  }
  await deps.publisher.publish(thingTopic(event.thingName, 'provisioning'), {
    status: 'deleted',
    deviceID,
  } satisfies ProvisioningOutcome);
  deps.log.info('Deleted the TTS device.', { thing_name: event.thingName, device_id: deviceID });
  return { result: 'deleted', thingName: event.thingName, deviceID };
}
