import { TtsApiError, TtsRegistrationError, TtsRegistrationPendingError } from '../errors';
import type { TtsClient } from './client';
import type {
  EndDeviceVersionIDs,
  MacVersion,
  OtaaDeviceIDs,
  PhyVersion,
  RegisteredEndDevice,
} from './types';

/**
 * The Identity Server attribute that marks a device as registered by one integration: its
 * key (a TTS attribute key, `^[a-z0-9](?:-?[a-z0-9]){2,}$`) and the value that names the
 * registering party. Only holders of the TTS API key can write it, so it tells the
 * integration's own devices from the others.
 */
export interface DeviceMarker {
  readonly key: string;
  readonly value: string;
}

/** Whether the Identity Server's device carries `marker`. */
export function hasMarker(
  device: Pick<RegisteredEndDevice, 'attributes'>,
  marker: DeviceMarker,
): boolean {
  return (
    Object.hasOwn(device.attributes, marker.key) && device.attributes[marker.key] === marker.value
  );
}

/** The TTS calls a registration makes. */
export type EndDeviceRegistryApi = Pick<
  TtsClient,
  | 'claimEndDevice'
  | 'unclaimEndDevice'
  | 'createEndDevice'
  | 'getEndDevice'
  | 'deleteEndDevice'
  | 'setJoinServerDevice'
  | 'deleteJoinServerDevice'
  | 'setNetworkServerDevice'
  | 'deleteNetworkServerDevice'
  | 'setApplicationServerDevice'
  | 'deleteApplicationServerDevice'
>;

/** An OTAA device to register in every TTS component that serves it. */
export interface EndDeviceRegistration {
  readonly ids: OtaaDeviceIDs;
  /** The cluster's `host[:port]` (see `serverAddress`). */
  readonly serverAddress: string;
  /**
   * How the device joins: through the cluster's Join Server with its root keys, or through
   * the external Join Server that serves its JoinEUI, after a claim with its code.
   */
  readonly activation:
    | { readonly kind: 'keys'; readonly appKey: Uint8Array; readonly nwkKey?: Uint8Array }
    | { readonly kind: 'claim'; readonly authenticationCode: string };
  readonly lorawanVersion: MacVersion;
  readonly lorawanPhyVersion: PhyVersion;
  readonly frequencyPlanID: string;
  /**
   * The Device Repository model (`version_ids`): registered on IS, NS and AS, and on the AS
   * with `FORMATTER_REPOSITORY` both ways, so that the repository's codec formats payloads.
   */
  readonly versionIDs?: EndDeviceVersionIDs;
  /**
   * Written into the Identity Server registration's `attributes`. A device that exists
   * already is taken for an earlier run of this registration only when it carries it.
   */
  readonly marker: DeviceMarker;
  /**
   * Names this very registration (for a thing, its registry ID, which a thing created again
   * under the same name does not share), written next to `marker`. A marked device whose
   * registrant differs was registered for another thing: it is not completed, so a thing
   * deleted and created again cannot re-key the earlier thing's device before that device
   * is deleted. A marked device without a registrant (registered before registrants were
   * written) is completed as before.
   */
  readonly registrant?: DeviceMarker;
}

/** Told about each undo step that failed (the device is then partly registered). */
export type UndoFailureListener = (step: string, error: unknown) => void;

/**
 * Registers a device as the TTS CLI does: (claim →) IS → JS (with keys) → NS → AS. When a
 * step fails, the steps taken so far are undone in reverse, and the error is rethrown: no
 * half-registered device remains. A step that got no answer (timeout, 5xx) is undone too,
 * as it may have landed; one that TTS refused is not. A device ID that IS has with the
 * same EUIs and `registration.marker` (an earlier run of the same registration) is
 * completed instead, never undone; a 409 to a create or claim whose earlier attempt went
 * unanswered is this run's own. A device without the marker is somebody else's: nothing is
 * written to it (its root keys stay).
 *
 * @returns whether the device existed already
 * @throws TtsRegistrationError `device_exists` for a device of that ID and EUIs without the
 *   marker; `device_id_taken` for an ID registered with other EUIs;
 *   a claim that TTS refuses, with TTS's error name as its code; `TtsApiError`/
 *   `TtsConnectionError` from the failing step otherwise
 */
export async function registerEndDevice(
  tts: EndDeviceRegistryApi,
  registration: EndDeviceRegistration,
  onUndoFailure: UndoFailureListener = () => undefined,
): Promise<{ existed: boolean }> {
  const { ids, serverAddress: address, activation } = registration;
  const undo: { step: string; run: () => Promise<boolean> }[] = [];
  let existed = false;
  // An earlier run registered the device: complete that, but never undo it (nor its claim).
  const completeEarlierRun = async (conflict: TtsApiError): Promise<void> => {
    const existing = await assertSameDevice(tts, ids, registration.marker, conflict);
    assertSameRegistrant(existing, ids, registration.registrant, conflict);
    existed = true;
    undo.length = 0;
  };
  // Undo runs in reverse, except that a claim is released before the Identity Server
  // registration goes: the Device Claiming Server may look the device up there.
  const step = async (
    name: string,
    remove: () => Promise<boolean>,
    work: () => Promise<void>,
  ): Promise<void> => {
    const entry = { step: name, run: remove };
    const unclaim = undo.findIndex((item) => item.step === 'unclaim');
    if (!existed)
      undo.splice(name === 'Identity Server' && unclaim >= 0 ? unclaim : undo.length, 0, entry);
    try {
      await work();
    } catch (error) {
      // A refusal means the step did not land, and what it collided with is not ours to
      // remove (another device, someone else's claim). Only an unanswered step is undone.
      const at = undo.indexOf(entry);
      if (isRefusal(error) && at >= 0) undo.splice(at, 1);
      throw error;
    }
  };
  try {
    if (activation.kind === 'claim') {
      await step(
        'unclaim',
        () => tts.unclaimEndDevice(ids),
        () => claim(tts, ids, activation.authenticationCode, completeEarlierRun),
      );
    }
    await step(
      'Identity Server',
      () => tts.deleteEndDevice(ids),
      async () => {
        try {
          await tts.createEndDevice({
            ids,
            ...(activation.kind === 'keys' ? { joinServerAddress: address } : {}),
            networkServerAddress: address,
            applicationServerAddress: address,
            ...(registration.versionIDs ? { versionIDs: registration.versionIDs } : {}),
            attributes: {
              [registration.marker.key]: registration.marker.value,
              ...(registration.registrant
                ? { [registration.registrant.key]: registration.registrant.value }
                : {}),
            },
          });
        } catch (error) {
          if (!(error instanceof TtsApiError && error.status === 409)) throw error;
          // Our own create, landed on an attempt that got no answer: this run's, so undone
          // with the rest if a later step fails.
          if (error.afterUnansweredAttempt) {
            const existing = await assertSameDevice(tts, ids, registration.marker, error);
            assertSameRegistrant(existing, ids, registration.registrant, error);
          } else await completeEarlierRun(error);
        }
      },
    );
    if (activation.kind === 'keys') {
      await step(
        'Join Server',
        () => tts.deleteJoinServerDevice(ids),
        () =>
          tts.setJoinServerDevice({
            ids,
            networkServerAddress: address,
            applicationServerAddress: address,
            appKey: activation.appKey,
            ...(activation.nwkKey ? { nwkKey: activation.nwkKey } : {}),
          }),
      );
    }
    await step(
      'Network Server',
      () => tts.deleteNetworkServerDevice(ids),
      () =>
        tts.setNetworkServerDevice({
          ids,
          lorawanVersion: registration.lorawanVersion,
          lorawanPhyVersion: registration.lorawanPhyVersion,
          frequencyPlanID: registration.frequencyPlanID,
          ...(registration.versionIDs ? { versionIDs: registration.versionIDs } : {}),
        }),
    );
    await step(
      'Application Server',
      () => tts.deleteApplicationServerDevice(ids),
      () =>
        tts.setApplicationServerDevice({
          ids,
          ...(registration.versionIDs ? { versionIDs: registration.versionIDs } : {}),
        }),
    );
  } catch (error) {
    for (const { step, run } of undo.reverse()) {
      try {
        await run();
      } catch (undoError) {
        // Keep going: the earlier steps must go too.
        onUndoFailure(step, undoError);
      }
    }
    throw error;
  }
  return { existed };
}

/**
 * Deletes a device from every component, AS → NS → JS → IS (the reverse of creation, so
 * that no component keeps a device the Identity Server no longer lists). A component that
 * does not have it is fine. A claimed device has no registration on the cluster's Join
 * Server; its claim on the external one is released instead, before the Identity Server
 * registration goes (the Device Claiming Server finds the device there), so that the
 * device can be claimed again, here or elsewhere.
 */
export async function deleteEndDeviceEverywhere(
  tts: EndDeviceRegistryApi,
  ids: { readonly applicationID: string; readonly deviceID: string },
  options: { readonly claimed?: boolean } = {},
): Promise<void> {
  await tts.deleteApplicationServerDevice(ids);
  await tts.deleteNetworkServerDevice(ids);
  if (options.claimed) await tts.unclaimEndDevice(ids);
  else await tts.deleteJoinServerDevice(ids);
  await tts.deleteEndDevice(ids);
}

function isRefusal(error: unknown): boolean {
  return (
    (error instanceof TtsApiError && !error.retryable) ||
    error instanceof TtsRegistrationError ||
    // Retryable, but what it met is another registration's: not this run's to undo.
    error instanceof TtsRegistrationPendingError
  );
}

async function assertSameDevice(
  tts: EndDeviceRegistryApi,
  ids: OtaaDeviceIDs,
  marker: DeviceMarker,
  conflict: TtsApiError,
): Promise<RegisteredEndDevice> {
  const existing = await tts.getEndDevice(ids);
  // Not found by ID: the EUIs are registered as another device, which TTS's message names.
  if (!existing) throw conflict;
  if (
    existing.devEUI.toUpperCase() === ids.devEUI.toUpperCase() &&
    existing.joinEUI.toUpperCase() === ids.joinEUI.toUpperCase()
  ) {
    if (hasMarker(existing, marker)) return existing;
    // Same identifiers, but not registered by us: someone else's device, whose keys stay.
    throw new TtsRegistrationError(
      'device_exists',
      `TTS device ${ids.deviceID} in application ${ids.applicationID} exists already with DevEUI ${existing.devEUI} and JoinEUI ${existing.joinEUI}, and was not registered by this integration (it lacks the ${marker.key}=${marker.value} attribute): nothing was written to it. To manage it from AWS, delete it in TTS and create the thing again, or leave it and give the thing no root keys.`,
      { deviceID: ids.deviceID, applicationID: ids.applicationID },
      { cause: conflict },
    );
  }
  throw new TtsRegistrationError(
    'device_id_taken',
    `TTS device ${ids.deviceID} in application ${ids.applicationID} exists already with DevEUI ${existing.devEUI} and JoinEUI ${existing.joinEUI}: choose another device ID, or delete that device in TTS.`,
    { deviceID: ids.deviceID },
    { cause: conflict },
  );
}

/**
 * A marked device registered for another registrant (an earlier thing of the same name,
 * whose deletion has not been handled yet) is not this registration's to complete. Retryable:
 * once the earlier thing's deletion removes the device, the registration succeeds.
 */
function assertSameRegistrant(
  existing: RegisteredEndDevice,
  ids: OtaaDeviceIDs,
  registrant: DeviceMarker | undefined,
  conflict: TtsApiError,
): void {
  if (!registrant || !Object.hasOwn(existing.attributes, registrant.key)) return;
  const recorded = existing.attributes[registrant.key];
  if (recorded === registrant.value) return;
  throw new TtsRegistrationPendingError(
    'device_of_earlier_thing',
    `TTS device ${ids.deviceID} in application ${ids.applicationID} was registered by this integration for another thing of this name (${registrant.key}=${recorded}), not for this one (${registrant.value}): nothing was written to it. The earlier thing's deletion should remove it; this is retried until then. If it persists, delete the device in TTS.`,
    { deviceID: ids.deviceID, applicationID: ids.applicationID },
    { cause: conflict },
  );
}

/** What to do about the claim refusals TTS names; others get TTS's own message. */
const CLAIM_ADVICE: Readonly<Record<string, string>> = {
  claiming_not_supported:
    'no Join Server that supports claiming serves this JoinEUI: register the device with its root keys instead',
  already_claimed:
    'the device is claimed already, by another application: ask its owner to release it',
  already_exists:
    'the device is claimed already, by another application: ask its owner to release it',
};

async function claim(
  tts: EndDeviceRegistryApi,
  ids: OtaaDeviceIDs,
  authenticationCode: string,
  completeEarlierRun: (conflict: TtsApiError) => Promise<void>,
): Promise<void> {
  try {
    await tts.claimEndDevice({
      devEUI: ids.devEUI,
      joinEUI: ids.joinEUI,
      authenticationCode,
      applicationID: ids.applicationID,
      deviceID: ids.deviceID,
    });
  } catch (error) {
    if (!(error instanceof TtsApiError) || error.retryable) throw error;
    // Claimed already: by this very call when an attempt went unanswered (the retry then
    // meets the claim that attempt made), or by an earlier run of this registration when IS
    // has the device. (409 is also TTS's status for claiming_not_supported, no repeat.)
    if (error.status === 409 && error.code !== 'claiming_not_supported') {
      if (error.afterUnansweredAttempt) return;
      try {
        return await completeEarlierRun(error);
      } catch (completeError) {
        // A device of those identifiers that this integration did not register: say so.
        if (
          completeError instanceof TtsRegistrationPendingError ||
          (completeError instanceof TtsRegistrationError && completeError.code === 'device_exists')
        )
          throw completeError;
        // Someone else's claim: refused below.
      }
    }
    // The request itself was refused: wrong code, unsupported JoinEUI, missing rights.
    const advice =
      CLAIM_ADVICE[error.code] ??
      (error.status === 403 ||
      error.status === 401 ||
      error.code === 'invalid_argument' ||
      error.status === 400
        ? "check the claim authentication code on the device's label, and that the API key may write devices"
        : "see TTS's answer");
    throw new TtsRegistrationError(
      error.code,
      `TTS refused to claim DevEUI ${ids.devEUI} with JoinEUI ${ids.joinEUI}: ${advice}. ${error.message}`,
      { devEUI: ids.devEUI, joinEUI: ids.joinEUI },
      { cause: error },
    );
  }
}
