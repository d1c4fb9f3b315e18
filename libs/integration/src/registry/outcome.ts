/**
 * What a registry flow reports on the thing's `lorawan/<thing>/provisioning` topic (and, through
 * the publisher, in the thing's provisioning history).
 */
import { thingTopic } from '@tts-aws-iot/tts';

import type { Log, MessagePublisher } from '../ports';

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

/**
 * Publishes the `failed` outcome on the thing's provisioning topic. A publish that fails is
 * logged, not thrown: the failure itself, which the caller rethrows, matters more than its
 * report.
 */
export async function publishFailedOutcome(
  deps: { readonly publisher: MessagePublisher; readonly log: Pick<Log, 'warn'> },
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
