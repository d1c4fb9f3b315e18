/**
 * What the registry flows work with, built once per container by each registry Lambda's
 * handler: the ports, the TTS client, the KEK ring and the memory of handled events.
 */
import type { KekRing } from '@tts-aws-iot/keywrap';
import type { EndDeviceRegistryApi } from '@tts-aws-iot/tts';

import type { RegistryConfig } from '../config';
import type { Log, MessagePublisher, RefreshableSecretReader, ThingRegistry } from '../ports';
import { KekRingSource } from '../traffic/e2e-session';
import { createTtsClient } from '../tts-client';
import { RecentEvents } from './registry-event';

/** What the registry flows work with; the handler builds it once per container. */
export interface ProvisioningDependencies {
  readonly config: Pick<
    RegistryConfig,
    | 'stackName'
    | 'thingTypeName'
    | 'thingNameScheme'
    | 'applicationID'
    | 'clusterURL'
    | 'defaultFrequencyPlanID'
  > &
    Partial<Pick<RegistryConfig, 'deleteUnmarkedDevices' | 'kekSecretID'>>;
  readonly registry: ThingRegistry;
  readonly publisher: MessagePublisher;
  readonly tts: EndDeviceRegistryApi;
  /** Event IDs handled by this container (lives as long as it). */
  readonly recentEvents: RecentEvents;
  readonly log: Pick<Log, 'info' | 'warn'>;
  /**
   * The stack's KEK ring (the KEK secret), for wrapped `appKey`, `nwkKey` and
   * `claimAuthenticationCode` attributes; absent when the stack has no KEK secret.
   */
  readonly kekRing?: (options?: { readonly refresh?: boolean }) => Promise<KekRing>;
}

/** The ports the registry flows talk through. */
export interface ProvisioningPorts {
  readonly registry: ThingRegistry;
  readonly publisher: MessagePublisher;
  /** For the TTS API key and the KEK ring. */
  readonly secrets: RefreshableSecretReader;
}

/**
 * The registry-flow dependencies of one container: a TTS client that reads the API key
 * through `ports.secrets`, with end-to-end encryption the KEK ring of `KEK_SECRET_ID` (read
 * only for things with wrapped secrets), and the memory of the events this container handled.
 */
export function provisioningDependencies(
  config: RegistryConfig,
  ports: ProvisioningPorts,
  log: ProvisioningDependencies['log'],
): ProvisioningDependencies {
  // The KEK ring is the stack's only with end-to-end encryption (the functions may read it then).
  const kekSecretID = config.e2eEnabled ? config.kekSecretID : undefined;
  const keks = kekSecretID ? new KekRingSource(ports.secrets, kekSecretID) : undefined;
  return {
    config,
    registry: ports.registry,
    publisher: ports.publisher,
    tts: createTtsClient(config, ports.secrets),
    recentEvents: new RecentEvents(),
    log,
    ...(keks && kekSecretID
      ? {
          kekRing: ({ refresh = false } = {}) => {
            // A KEK added to the ring since the secret was cached: read the secret again.
            if (refresh) ports.secrets.invalidate?.(kekSecretID);
            return keks.ring();
          },
        }
      : {}),
  };
}
