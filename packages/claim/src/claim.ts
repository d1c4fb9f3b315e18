/**
 * ClaimThing: a thing of the integration's thing type created with a
 * `claimAuthenticationCode` (and no `appKey`) is claimed through TTS's Device Claiming Server
 * (the device's external Join Server now serves this application), then registered. In order:
 *
 * 1. The thing as the registry has it now decides: one deleted, handed to another stack,
 *    without its code (claimed already) or whose provisioning failed before is ignored.
 * 2. The KEK ring is read if the code is wrapped (`wrapped:<kekLabel>:<hex>`).
 * 3. Another thing of this stack with the same `devEUI` refuses it (`duplicate_things`).
 * 4. The attributes are validated (`parseClaimDeviceAttributes`, every problem at once).
 * 5. TTS claims the device, then registers it IS (no Join Server address) → NS → AS, with
 *    this stack's `aws-iot-stack` marker on the Identity Server (a device of the same
 *    identifiers without it is refused, `device_exists`); when a step fails, the steps taken
 *    are undone in reverse, the claim released before the IS registration goes.
 * 6. The code leaves the thing, `deviceID` records the device and `claimed=true` says that
 *    deleting the thing releases the claim (deleting is CreateThing's job).
 * 7. `{status: "claimed", deviceID}` goes to `lorawan/<thing>/provisioning`.
 *
 * A failure publishes `failed` and is rethrown; one that no retry can change removes the code
 * from the thing too and records `provisioningFailed`. The runner (`provisionThing`,
 * `@tts-aws-iot/integration/registry`) does what both registry flows share; what is this
 * flow's is {@link CLAIM_FLOW}.
 */
import {
  DEVICE_ATTRIBUTES,
  handleRegistryEventOnce,
  parseClaimDeviceAttributes,
  provisioningKind,
  provisionThing,
  type ClaimDeviceSpec,
  type ProvisioningDependencies,
  type ProvisioningFlow,
  type RegistryFlowResult,
} from '@tts-aws-iot/integration/registry';

/** What ClaimThing works with; the handler builds it once per container. */
export type ClaimDeps = ProvisioningDependencies;

/** What an invocation did; `ignored` says why nothing was done. */
export type ClaimResult = RegistryFlowResult<'claimed'>;

/** The claim flow as the runner takes it: its things, attributes, registration and words. */
export const CLAIM_FLOW: ProvisioningFlow<'claimed', ClaimDeviceSpec> = {
  kind: 'claim',
  status: 'claimed',
  parse: parseClaimDeviceAttributes,
  activation: (spec) => ({ kind: 'claim', authenticationCode: spec.authenticationCode }),
  provisionedAttributes: (spec) => ({
    [DEVICE_ATTRIBUTES.claimAuthenticationCode]: null,
    [DEVICE_ATTRIBUTES.deviceID]: spec.deviceID,
    [DEVICE_ATTRIBUTES.claimed]: 'true',
  }),
  doneBefore: 'the device was claimed already',
  existed: 'The TTS device was claimed and registered already: completed it.',
  undoFailed: (step) =>
    `Could not undo the ${step} step of a failed claim: release the claim and delete the device in TTS by hand.`,
  done: 'Claimed the device.',
};

/**
 * Handles one `created` registry event. Errors are thrown after the `failed` outcome is
 * published: those that are not retryable (bad attributes, a refused claim) are reported
 * and dropped by the Lambda error policy; the others make Lambda retry the event.
 */
export function handleThingCreated(input: unknown, deps: ClaimDeps): Promise<ClaimResult> {
  return handleRegistryEventOnce(
    input,
    deps,
    async (event, ignore) => {
      if (event.operation !== 'CREATED')
        return ignore(
          `ClaimThing handles created things, not ${event.operation.toLowerCase()} ones`,
        );
      // Things with an appKey are CreateThing's, also when they carry a claim code too.
      if (provisioningKind(event.attributes) !== 'claim')
        return ignore('the thing carries no claimAuthenticationCode (or an appKey)');
      return provisionThing(event.thingName, CLAIM_FLOW, deps, ignore);
    },
    { reports: CLAIM_FLOW.kind },
  );
}
