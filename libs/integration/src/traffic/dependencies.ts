/**
 * What the traffic Lambdas (HandleUplink, HandleDownlink) work with: the stack's things,
 * their `lorawan` shadows, the publisher and, with end-to-end encryption, the KEK ring.
 */
import { BoundedCache } from '../bounded-cache';
import type { IntegrationConfig } from '../config';
import { KnownSessions } from './downlink-session/reservation';
import { KekRingSource } from './e2e-session';
import type {
  Counters,
  Log,
  MessagePublisher,
  RefreshableSecretReader,
  ShadowStore,
  ThingRegistry,
} from '../ports';
import type { UplinkPosition } from './shadow-state';
import { ThingDirectory } from '../things';

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
  /** Per thing: the `lorawan` shadow's version this container last saw, and its newest uplink. */
  readonly shadowVersions: KnownShadows;
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
    shadowVersions: new KnownShadows({ now: runtime.now }),
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

/** What a container knows of one thing's `lorawan` shadow. */
export interface KnownShadow {
  /** The version its last write returned (or its last read found). */
  readonly version: number;
  /** The newest uplink (or join-accept) the shadow held at that version. */
  readonly position: UplinkPosition;
}

const MAX_KNOWN_SHADOWS = 10_000;
const KNOWN_SHADOW_TTL_MS = 60 * 60 * 1000;

/**
 * The shadow versions and uplink positions a container wrote or read, so that a steady-state
 * uplink is written at the version it expects without a read (bounded in size and age; a miss
 * costs one read).
 */
export class KnownShadows {
  readonly #known: BoundedCache<string, KnownShadow>;

  constructor(options: { readonly now?: (() => number) | undefined } = {}) {
    this.#known = new BoundedCache(MAX_KNOWN_SHADOWS, KNOWN_SHADOW_TTL_MS, options.now ?? Date.now);
  }

  get(thingName: string): KnownShadow | undefined {
    return this.#known.get(thingName);
  }

  remember(thingName: string, version: number, position: UplinkPosition): void {
    this.#known.set(thingName, { version, position });
  }

  forget(thingName: string): void {
    this.#known.delete(thingName);
  }
}
