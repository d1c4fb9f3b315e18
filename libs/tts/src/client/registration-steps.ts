/**
 * The steps of a TTS device registration, one per component that serves the device, each with
 * its work and its undo, and the two orders they are taken in: {@link OTAA_REGISTRATION} with
 * the device's root keys, {@link CLAIM_REGISTRATION} after a claim. `registerEndDevice`
 * (registration.ts) takes them and undoes those taken when one fails.
 */
import { TtsApiError, TtsRegistrationError, TtsRegistrationPendingError } from '../errors';
import type {
  ClaimActivation,
  EndDeviceActivation,
  EndDeviceRegistration,
  EndDeviceRegistryApi,
  RootKeysActivation,
} from './registration';
import type { IdentityServerDevice, OtaaDeviceIDs } from './types';

/** What a step works with: TTS, the registration, and the run's answers to a 409. */
export interface StepContext<TActivation extends EndDeviceActivation = EndDeviceActivation> {
  readonly tts: EndDeviceRegistryApi;
  readonly registration: EndDeviceRegistration<TActivation>;
  /**
   * A 409 that an earlier run of this registration explains: checks that the device is that
   * run's (same EUIs, marker, registrant), then completes it and never undoes it.
   */
  completeEarlierRun(conflict: TtsApiError): Promise<void>;
  /** A 409 that this run's own unanswered attempt explains: checks that the device is ours. */
  confirmOwnDevice(conflict: TtsApiError): Promise<void>;
}

/** One TTS component's part of a registration. */
export interface RegistrationStep<TActivation extends EndDeviceActivation = EndDeviceActivation> {
  /** Names the step to an `UndoFailureListener`. */
  readonly name: string;
  readonly work: (context: StepContext<TActivation>) => Promise<void>;
  /** Removes what the work wrote; resolves `false` when there was nothing to remove. */
  readonly undo: (tts: EndDeviceRegistryApi, ids: OtaaDeviceIDs) => Promise<boolean>;
}

/** The claim on the external Join Server that serves the device's JoinEUI (the DCS's). */
export const CLAIM_STEP: RegistrationStep<ClaimActivation> = {
  name: 'unclaim',
  work: claim,
  undo: (tts, ids) => tts.unclaimEndDevice(ids),
};

/** The Identity Server registration, marked as this integration's. */
export const IDENTITY_SERVER_STEP: RegistrationStep = {
  name: 'Identity Server',
  work: async (context) => {
    try {
      await context.tts.createEndDevice(identityServerDevice(context.registration));
    } catch (error) {
      if (!(error instanceof TtsApiError && error.status === 409)) throw error;
      // Our own create, landed on an attempt that got no answer: this run's, so undone
      // with the rest if a later step fails.
      if (error.afterUnansweredAttempt) await context.confirmOwnDevice(error);
      else await context.completeEarlierRun(error);
    }
  },
  undo: (tts, ids) => tts.deleteEndDevice(ids),
};

/** The root keys on the cluster's Join Server. */
export const JOIN_SERVER_STEP: RegistrationStep<RootKeysActivation> = {
  name: 'Join Server',
  work: async ({ tts, registration: { ids, serverAddress, activation } }) => {
    await tts.setJoinServerDevice({
      ids,
      networkServerAddress: serverAddress,
      applicationServerAddress: serverAddress,
      appKey: activation.appKey,
      ...(activation.nwkKey ? { nwkKey: activation.nwkKey } : {}),
    });
  },
  undo: (tts, ids) => tts.deleteJoinServerDevice(ids),
};

/** The Network Server registration: MAC and PHY versions, frequency plan, model. */
export const NETWORK_SERVER_STEP: RegistrationStep = {
  name: 'Network Server',
  work: async ({ tts, registration }) => {
    await tts.setNetworkServerDevice({
      ids: registration.ids,
      lorawanVersion: registration.lorawanVersion,
      lorawanPhyVersion: registration.lorawanPhyVersion,
      frequencyPlanID: registration.frequencyPlanID,
      ...(registration.versionIDs ? { versionIDs: registration.versionIDs } : {}),
    });
  },
  undo: (tts, ids) => tts.deleteNetworkServerDevice(ids),
};

/** The Application Server registration (with a model, its repository formatters). */
export const APPLICATION_SERVER_STEP: RegistrationStep = {
  name: 'Application Server',
  work: async ({ tts, registration }) => {
    await tts.setApplicationServerDevice({
      ids: registration.ids,
      ...(registration.versionIDs ? { versionIDs: registration.versionIDs } : {}),
    });
  },
  undo: (tts, ids) => tts.deleteApplicationServerDevice(ids),
};

/** A device with its root keys, as the TTS CLI registers it: IS → JS → NS → AS. */
export const OTAA_REGISTRATION: readonly RegistrationStep<RootKeysActivation>[] = Object.freeze([
  IDENTITY_SERVER_STEP,
  JOIN_SERVER_STEP,
  NETWORK_SERVER_STEP,
  APPLICATION_SERVER_STEP,
]);

/**
 * A claimed device: claim → IS → NS → AS. Its Join Server is the external one the claim
 * reached, so the cluster's has no step and the IS registration names no Join Server.
 */
export const CLAIM_REGISTRATION: readonly RegistrationStep<ClaimActivation>[] = Object.freeze([
  CLAIM_STEP,
  IDENTITY_SERVER_STEP,
  NETWORK_SERVER_STEP,
  APPLICATION_SERVER_STEP,
]);

/** The Identity Server's device: the components' addresses, the model, the marker. */
function identityServerDevice(registration: EndDeviceRegistration): IdentityServerDevice {
  const { ids, serverAddress: address, activation, marker, registrant } = registration;
  return {
    ids,
    ...(activation.kind === 'keys' ? { joinServerAddress: address } : {}),
    networkServerAddress: address,
    applicationServerAddress: address,
    ...(registration.versionIDs ? { versionIDs: registration.versionIDs } : {}),
    attributes: {
      [marker.key]: marker.value,
      ...(registrant ? { [registrant.key]: registrant.value } : {}),
    },
  };
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

async function claim(context: StepContext<ClaimActivation>): Promise<void> {
  const { ids, activation } = context.registration;
  try {
    await context.tts.claimEndDevice({
      devEUI: ids.devEUI,
      joinEUI: ids.joinEUI,
      authenticationCode: activation.authenticationCode,
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
        return await context.completeEarlierRun(error);
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
    throw claimRefusal(ids, error);
  }
}

/** The request itself was refused: wrong code, unsupported JoinEUI, missing rights. */
function claimRefusal(ids: OtaaDeviceIDs, error: TtsApiError): TtsRegistrationError {
  const advice =
    CLAIM_ADVICE[error.code] ??
    (error.status === 403 ||
    error.status === 401 ||
    error.code === 'invalid_argument' ||
    error.status === 400
      ? "check the claim authentication code on the device's label, and that the API key may write devices"
      : "see TTS's answer");
  return new TtsRegistrationError(
    error.code,
    `TTS refused to claim DevEUI ${ids.devEUI} with JoinEUI ${ids.joinEUI}: ${advice}. ${error.message}`,
    { devEUI: ids.devEUI, joinEUI: ids.joinEUI },
    { cause: error },
  );
}
