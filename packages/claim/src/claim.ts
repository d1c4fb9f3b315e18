/**
 * ClaimThing: a thing of the integration's thing type created with a
 * `claimAuthenticationCode` is claimed through TTS's Device Claiming Server (the device's
 * external Join Server now serves this application), then registered on IS, NS and AS; on
 * failure all of it is undone. The device carries this stack's `aws-iot-stack` marker on the
 * Identity Server; one of the same identifiers without it is refused (`device_exists`). The
 * code (plaintext, or wrapped as `wrapped:<kekLabel>:<hex>`) then leaves the thing's
 * attributes, and the outcome goes to `lorawan/<thing>/provisioning`. Deleting a claimed
 * thing is CreateThing's job.
 */
import {
  handleRegistryEventOnce,
  provisioningKind,
  provisionThing,
  type ProvisioningDependencies,
  type RegistryFlowResult,
} from '@tts-aws-iot/integration/registry';

/** What ClaimThing works with; the handler builds it once per container. */
export type ClaimDeps = ProvisioningDependencies;

/** What an invocation did; `ignored` says why nothing was done. */
export type ClaimResult = RegistryFlowResult<'claimed'>;

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
      return provisionThing(event.thingName, 'claim', deps, ignore);
    },
    { reports: 'claim' },
  );
}
