/**
 * What the traffic Lambdas (HandleUplink, HandleDownlink) work with: the stack's things,
 * their `lorawan` shadows, the publisher and, with end-to-end encryption, the KEK ring.
 */
import type { IntegrationConfig } from './config';
import { KnownSessions } from './downlink-counter';
import { KekRingSource } from './e2e-session';
import type {
  Counters,
  Log,
  MessagePublisher,
  RefreshableSecretReader,
  ShadowStore,
  ThingRegistry,
} from './ports';
import { ThingDirectory } from './things';

/** The dependencies of the traffic Lambdas; the handler builds them once per container. */
export interface TrafficDependencies {
  readonly config: IntegrationConfig;
  readonly things: ThingDirectory;
  readonly shadows: ShadowStore;
  readonly publisher: MessagePublisher;
  /** The KEK ring; set when E2E is enabled. */
  readonly keks: KekRingSource | undefined;
  /** The sessions and downlink counters this container knows the shadows hold (E2E). */
  readonly sessions: KnownSessions;
  readonly log: Log;
  readonly counters: Counters;
  /** For the jittered retries of a downlink counter reservation. */
  readonly delay: (ms: number) => Promise<void>;
  readonly random: () => number;
  /** Milliseconds since the epoch (default `Date.now`): the age of downlink reservations. */
  readonly now?: () => number;
}

/** The ports the traffic Lambdas talk through. */
export interface TrafficPorts {
  readonly registry: ThingRegistry;
  readonly shadows: ShadowStore;
  readonly publisher: MessagePublisher;
  /** Read only with E2E, for the KEK ring. */
  readonly secrets: RefreshableSecretReader;
}

/**
 * The traffic dependencies of one container: the things of the stack over `ports.registry`,
 * and with E2E the KEK ring of `config.kekSecretID` over `ports.secrets` (not touched
 * without E2E, so a lazily built reader is never built).
 *
 * @param runtime what the container adds: log lines, metrics, and how to wait and draw jitter
 */
export function trafficDependencies(
  config: IntegrationConfig,
  ports: TrafficPorts,
  runtime: Pick<TrafficDependencies, 'log' | 'counters' | 'delay' | 'random' | 'now'>,
): TrafficDependencies {
  return {
    config,
    things: new ThingDirectory(ports.registry, config, { now: runtime.now }),
    shadows: ports.shadows,
    publisher: ports.publisher,
    sessions: new KnownSessions({ now: runtime.now }),
    keks:
      config.e2eEnabled && config.kekSecretID
        ? new KekRingSource(ports.secrets, config.kekSecretID, {
            allowPlaintextKeys: config.allowPlaintextSessionKeys === true,
            now: runtime.now,
          })
        : undefined,
    ...runtime,
  };
}
