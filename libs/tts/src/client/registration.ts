import { TtsApiError, TtsRegistrationError, TtsRegistrationPendingError } from '../errors';
import type { TtsClient } from './client';
import {
  CLAIM_REGISTRATION,
  CLAIM_STEP,
  IDENTITY_SERVER_STEP,
  OTAA_REGISTRATION,
  type RegistrationStep,
  type StepContext,
} from './registration-steps';
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

/** A device that joins through the cluster's Join Server, with its root keys. */
export interface RootKeysActivation {
  readonly kind: 'keys';
  readonly appKey: Uint8Array;
  readonly nwkKey?: Uint8Array;
}

/** A device that joins through the external Join Server of its JoinEUI, once claimed. */
export interface ClaimActivation {
  readonly kind: 'claim';
  readonly authenticationCode: string;
}

/** How a device joins, which decides the steps of its registration. */
export type EndDeviceActivation = RootKeysActivation | ClaimActivation;

/** An OTAA device to register in every TTS component that serves it. */
export interface EndDeviceRegistration<
  TActivation extends EndDeviceActivation = EndDeviceActivation,
> {
  readonly ids: OtaaDeviceIDs;
  /** The cluster's `host[:port]` (see `serverAddress`). */
  readonly serverAddress: string;
  /**
   * How the device joins: through the cluster's Join Server with its root keys, or through
   * the external Join Server that serves its JoinEUI, after a claim with its code.
   */
  readonly activation: TActivation;
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
 * Registers a device in each TTS component that serves it, taking `steps` in order: by
 * default {@link OTAA_REGISTRATION} (IS → JS with the root keys → NS → AS, as the TTS CLI
 * does) or, for a claim, {@link CLAIM_REGISTRATION} (claim → IS → NS → AS). When a step
 * fails, the steps taken so far are undone in reverse, and the error is rethrown: no
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
export async function registerEndDevice<TActivation extends EndDeviceActivation>(
  tts: EndDeviceRegistryApi,
  registration: EndDeviceRegistration<TActivation>,
  onUndoFailure: UndoFailureListener = () => undefined,
  steps: readonly RegistrationStep<TActivation>[] = stepsFor(registration.activation),
): Promise<{ existed: boolean }> {
  const run = new RegistrationRun(tts, registration);
  try {
    for (const step of steps) await run.take(step);
  } catch (error) {
    await run.undo(onUndoFailure);
    throw error;
  }
  return { existed: run.existed };
}

/** The steps of a registration whose caller names none: those of its activation. */
function stepsFor<TActivation extends EndDeviceActivation>(
  activation: TActivation,
): readonly RegistrationStep<TActivation>[] {
  // Each list's steps read only the activation of its own kind, which the test here ensures.
  const steps = activation.kind === 'keys' ? OTAA_REGISTRATION : CLAIM_REGISTRATION;
  return steps as readonly RegistrationStep<EndDeviceActivation>[];
}

/**
 * One run of a registration: the undo of each step taken, and whether the device existed
 * (an earlier run's, completed and never undone).
 */
class RegistrationRun<TActivation extends EndDeviceActivation> implements StepContext<TActivation> {
  /** Whether an earlier run had registered the device (this run then undoes nothing). */
  existed = false;
  private readonly undoSteps: { step: string; run: () => Promise<boolean> }[] = [];

  constructor(
    readonly tts: EndDeviceRegistryApi,
    readonly registration: EndDeviceRegistration<TActivation>,
  ) {}

  /** Takes `step`, its undo kept unless TTS refused it or the device is an earlier run's. */
  async take(step: RegistrationStep<TActivation>): Promise<void> {
    const entry = { step: step.name, run: () => step.undo(this.tts, this.registration.ids) };
    if (!this.existed) {
      // Undo runs in reverse, except that a claim is released before the Identity Server
      // registration goes: the Device Claiming Server may look the device up there.
      const unclaim = this.undoSteps.findIndex((item) => item.step === CLAIM_STEP.name);
      const afterClaim = step.name === IDENTITY_SERVER_STEP.name && unclaim >= 0;
      this.undoSteps.splice(afterClaim ? unclaim : this.undoSteps.length, 0, entry);
    }
    try {
      await step.work(this);
    } catch (error) {
      // A refusal means the step did not land, and what it collided with is not ours to
      // remove (another device, someone else's claim). Only an unanswered step is undone.
      const at = this.undoSteps.indexOf(entry);
      if (isRefusal(error) && at >= 0) this.undoSteps.splice(at, 1);
      throw error;
    }
  }

  /** An earlier run registered the device: complete that, but never undo it (nor its claim). */
  async completeEarlierRun(conflict: TtsApiError): Promise<void> {
    await this.confirmOwnDevice(conflict);
    this.existed = true;
    this.undoSteps.length = 0;
  }

  /** The device met is this registration's: same EUIs, marker and registrant (if any). */
  async confirmOwnDevice(conflict: TtsApiError): Promise<void> {
    const { ids, marker, registrant } = this.registration;
    const existing = await assertSameDevice(this.tts, ids, marker, conflict);
    assertSameRegistrant(existing, ids, registrant, conflict);
  }

  /** Undoes the steps taken, in reverse; one that fails is told and the rest still run. */
  async undo(onUndoFailure: UndoFailureListener): Promise<void> {
    for (const { step, run } of this.undoSteps.reverse()) {
      try {
        await run();
      } catch (undoError) {
        // Keep going: the earlier steps must go too.
        onUndoFailure(step, undoError);
      }
    }
  }
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
