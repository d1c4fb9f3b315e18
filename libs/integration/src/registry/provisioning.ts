/**
 * The runner of the registry flows (docs/architecture.md "Registry create, claim, delete"): a
 * thing of the integration's thing type created with LoRaWAN attributes becomes a TTS device.
 * Each flow is its Lambda package's ({@link ProvisioningFlow}): CreateThing's with the root
 * keys (`packages/create-device/src/create-device.ts`), ClaimThing's with the claim
 * authentication code (`packages/claim/src/claim.ts`). Each says which things it takes, how it
 * reads their attributes, which TTS registration it makes and how it speaks of it. The runner
 * does what both share: the thing's current state, the KEK ring, the duplicate-DevEUI
 * refusal, the registration undone on failure, the secrets leaving the thing, the outcome on
 * `lorawan/<thing>/provisioning`; after a failure no retry can change, the secrets leave too.
 * The TTS devices this stack provisions carry its marker (device-marker.ts). Secret
 * attributes may be given wrapped under the KEK ring (`wrapped:<kekLabel>:<hex>`, see
 * device-attributes.ts).
 */
import type { KekRing } from '@tts-aws-iot/keywrap';
import { toHex } from '@tts-aws-iot/lorawan';
import {
  registerEndDevice,
  serverAddress,
  thingTopic,
  type EndDeviceRegistration,
} from '@tts-aws-iot/tts';

import type { RegistryConfig } from '../config';
import type { ThingRecord } from '../ports';
import { duplicateThingError, otherThingsOfDevEUI } from '../things';
import type { ProvisioningDependencies } from './dependencies';
import {
  DEVICE_ATTRIBUTES,
  failedProvisioningAttributes,
  provisioningKind,
  wrappedSecretLabels,
  type ClaimDeviceSpec,
  type DeviceAttributeContext,
  type OtaaDeviceSpec,
  type ProvisioningKind,
} from './device-attributes';
import { stackMarker, THING_ID_KEY } from './device-marker';
import { publishFailedOutcome, type ProvisioningOutcome } from './outcome';
import type { IgnoreEvent, RegistryFlowResult } from './registry-event';

/**
 * One registry flow, as its Lambda package defines it: the things it takes, how it reads
 * their attributes, the TTS registration it makes, what leaves the thing afterwards, and its
 * words in the outcome and the log.
 */
export interface ProvisioningFlow<
  TStatus extends 'created' | 'claimed',
  TSpec extends OtaaDeviceSpec | ClaimDeviceSpec,
> {
  /** The things it provisions: those {@link provisioningKind} gives this kind. */
  readonly kind: ProvisioningKind;
  /** The outcome's status after a success. */
  readonly status: TStatus;
  /** Reads the thing's attributes; throws `invalid_device_attributes`. */
  readonly parse: (
    attributes: Readonly<Record<string, string>>,
    context: DeviceAttributeContext,
  ) => TSpec;
  /**
   * How the device joins, which decides the registration's steps (libs/tts
   * `registerEndDevice`): with root keys IS → JS → NS → AS, by a claim claim → IS → NS → AS,
   * the steps taken undone in reverse when one fails.
   */
  readonly activation: (spec: TSpec) => EndDeviceRegistration['activation'];
  /** The attribute update after a success: the secrets leave, the device is recorded. */
  readonly provisionedAttributes: (spec: TSpec) => Record<string, string | null>;
  /** Why a thing that no longer carries its secrets is ignored. */
  readonly doneBefore: string;
  /** Logged at info when TTS had the device from an earlier run, which was completed. */
  readonly existed: string;
  /** Logged at warn for each registration step whose undo failed, saying what to do. */
  readonly undoFailed: (step: string) => string;
  /** Logged at info after a success. */
  readonly done: string;
}

/**
 * Provisions the TTS device of a created thing the way `flow` says, all of it undone when a
 * step fails. The thing as the registry has it now decides: one deleted, handed to another
 * stack, or provisioned since is ignored. After a success the secrets leave its attributes
 * and the outcome is published; a failure is published as `failed`, then rethrown.
 */
export async function provisionThing<
  TStatus extends 'created' | 'claimed',
  TSpec extends OtaaDeviceSpec | ClaimDeviceSpec,
>(
  thingName: string,
  flow: ProvisioningFlow<TStatus, TSpec>,
  deps: ProvisioningDependencies,
  ignore: IgnoreEvent,
): Promise<RegistryFlowResult<TStatus>> {
  // The registry's current state decides: the event may be a repeat, or the thing gone since.
  const thing = await deps.registry.describeThing(thingName);
  if (!thing) return ignore('the thing was deleted since');
  const refusal = currentStateRefusal(thing, flow, deps.config.stackName);
  if (refusal !== undefined) return ignore(refusal);
  let spec: TSpec | undefined;
  try {
    const context = await attributeContext(thing, deps);
    await refuseSecondThing(deps, thing);
    spec = flow.parse(thing.attributes, context);
    await register(spec, flow, thing.thingId, deps);
  } catch (error) {
    const deviceID = spec?.deviceID ?? thing.attributes[DEVICE_ATTRIBUTES.deviceID];
    if ((error as { retryable?: unknown }).retryable === false)
      await removeSecretsAfterFailure(deps, thing.thingName, error);
    await publishFailedOutcome(deps, thing.thingName, deviceID, error);
    throw error;
  }
  await deps.registry.updateThingAttributes(thing.thingName, flow.provisionedAttributes(spec));
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

/** Why the thing as the registry has it now is not the flow's to provision, if it is not. */
function currentStateRefusal(
  thing: ThingRecord,
  flow: { readonly kind: ProvisioningKind; readonly doneBefore: string },
  stackName: string,
): string | undefined {
  if (thing.attributes['stackName'] !== stackName)
    return 'the thing was handed to another stack since';
  if (provisioningKind(thing.attributes) !== flow.kind) return flow.doneBefore;
  const failedBefore = thing.attributes[DEVICE_ATTRIBUTES.provisioningFailed];
  if (failedBefore) return `the thing's provisioning failed before (${failedBefore})`;
  return undefined;
}

/** What the attribute parsers need: the stack's settings, and the KEK ring if the thing needs it. */
async function attributeContext(
  thing: ThingRecord,
  deps: Pick<ProvisioningDependencies, 'config' | 'kekRing'>,
): Promise<DeviceAttributeContext> {
  const { config } = deps;
  return {
    thingName: thing.thingName,
    stackName: config.stackName,
    thingNameScheme: config.thingNameScheme,
    defaultFrequencyPlanID: config.defaultFrequencyPlanID,
    ...(config.kekSecretID ? { kekSecretID: config.kekSecretID } : {}),
    // The KEK secret is read only for a thing that needs it.
    ...(deps.kekRing ? await kekRingFor(thing.attributes, deps.kekRing) : {}),
  };
}

/** Registers the device in TTS, logging each undo that failed and a device completed. */
async function register<TSpec extends OtaaDeviceSpec | ClaimDeviceSpec>(
  spec: TSpec,
  flow: ProvisioningFlow<'created' | 'claimed', TSpec>,
  thingId: string | undefined,
  deps: Pick<ProvisioningDependencies, 'tts' | 'config' | 'log'>,
): Promise<void> {
  const { deviceID } = spec;
  const { existed } = await registerEndDevice(
    deps.tts,
    endDeviceRegistration(spec, flow.activation(spec), deps.config, thingId),
    (step, error) =>
      deps.log.warn(flow.undoFailed(step), {
        device_id: deviceID,
        error_code: (error as { code?: unknown }).code,
        reason: (error as Error).message,
      }),
  );
  if (existed) deps.log.info(flow.existed, { device_id: deviceID });
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

/** The TTS registration of a validated device, joining as `activation` says. */
function endDeviceRegistration(
  spec: OtaaDeviceSpec | ClaimDeviceSpec,
  activation: EndDeviceRegistration['activation'],
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
    activation,
    lorawanVersion: spec.lorawanVersion,
    lorawanPhyVersion: spec.lorawanPhyVersion,
    frequencyPlanID: spec.frequencyPlanID,
    ...(spec.versionIDs ? { versionIDs: spec.versionIDs } : {}),
    marker: stackMarker(config.stackName),
    ...(thingId ? { registrant: { key: THING_ID_KEY, value: thingId } } : {}),
  };
}
