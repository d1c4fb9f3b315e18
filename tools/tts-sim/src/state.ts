import { TtsError } from './errors';
import type { JsonObject } from './fields';

/** The TTS components that keep an end device registry. */
export type Component = 'is' | 'js' | 'ns' | 'as';

/** A claim registered through the Device Claiming Server. */
export interface Claim {
  readonly applicationID: string;
  readonly deviceID: string;
  readonly devEUI: string;
  readonly joinEUI: string;
  readonly authenticationCode: string;
}

/**
 * A device's current session on the Network Server, for checking end-to-end encrypted
 * downlinks: TTS refuses another `session_key_id` (`unknown_session`) and an `f_cnt` below
 * `minFCnt` or not above the last queued one (`f_cnt_too_low`).
 */
export interface DownlinkSession {
  /** base64, as in TTS JSON. */
  readonly sessionKeyID: string;
  /** The lowest frame counter the next downlink may use. */
  minFCnt: number;
}

/**
 * Everything the simulator holds, in TTS JSON (snake_case, as sent). Keys of device-level
 * maps are `<application_id>/<device_id>` (see {@link deviceKey}). Tests may read and seed it.
 */
export interface SimState {
  /** End devices per component registry. */
  readonly devices: Readonly<Record<Component, Map<string, JsonObject>>>;
  /** Application Server pub/subs, keyed `<application_id>/<pub_sub_id>`. */
  readonly pubsubs: Map<string, JsonObject>;
  /** Application Server link settings (`skip_payload_crypto`), by application ID. */
  readonly links: Map<string, JsonObject>;
  /** Join Server application activation settings (`kek_label`, `kek`), by application ID. */
  readonly kekSettings: Map<string, JsonObject>;
  /** Claims on the Device Claiming Server. */
  readonly claims: Map<string, Claim>;
  /** Application Server downlink queues (`ApplicationDownlink` JSON). */
  readonly downlinkQueues: Map<string, JsonObject[]>;
  /** Network Server sessions that downlinks are checked against, when set. */
  readonly sessions: Map<string, DownlinkSession>;
  /**
   * Device Repository codecs (`MessagePayloadDecoder`/`Encoder` JSON: `formatter`,
   * `formatter_parameter`), keyed by {@link repositoryKey}. Tests seed them.
   */
  readonly repository: Map<string, JsonObject>;
}

/** The state key of a device (also of a pub/sub: `deviceKey(app, pubSubID)`). */
export function deviceKey(applicationID: string, deviceID: string): string {
  return `${applicationID}/${deviceID}`;
}

/** The state key of a Device Repository codec: `<brand>/<model>/<firmware>/<band>/<direction>`. */
export function repositoryKey(
  model: {
    readonly brandID: string;
    readonly modelID: string;
    readonly firmwareVersion: string;
    readonly bandID: string;
  },
  direction: string,
): string {
  return [model.brandID, model.modelID, model.firmwareVersion, model.bandID, direction].join('/');
}

/** An empty state. */
export function createState(): SimState {
  return {
    devices: { is: new Map(), js: new Map(), ns: new Map(), as: new Map() },
    pubsubs: new Map(),
    links: new Map(),
    kekSettings: new Map(),
    claims: new Map(),
    downlinkQueues: new Map(),
    sessions: new Map(),
    repository: new Map(),
  };
}

/** Empties every map of `state`, keeping the objects (tests may hold references). */
export function clearState(state: SimState): void {
  for (const registry of Object.values(state.devices)) registry.clear();
  for (const map of [
    state.pubsubs,
    state.links,
    state.kekSettings,
    state.claims,
    state.downlinkQueues,
    state.sessions,
    state.repository,
  ]) {
    map.clear();
  }
}

/** The maps of {@link SimState} besides the device registries. */
const STATE_MAPS = [
  'pubsubs',
  'links',
  'kekSettings',
  'claims',
  'downlinkQueues',
  'sessions',
] as const;
const COMPONENTS: readonly Component[] = ['is', 'js', 'ns', 'as'];

/** The state as plain data (each map as its entries), for saving it; see {@link restoreState}. */
export interface SimStateSnapshot {
  readonly devices: Readonly<Record<Component, [string, JsonObject][]>>;
  readonly maps: Readonly<Record<(typeof STATE_MAPS)[number], [string, unknown][]>>;
}

/** A copy of everything `state` holds, as plain data. */
export function snapshotState(state: SimState): SimStateSnapshot {
  const copy = <T>(value: T): T => structuredClone(value);
  return {
    devices: Object.fromEntries(
      COMPONENTS.map((component) => [component, copy([...state.devices[component]])]),
    ) as SimStateSnapshot['devices'],
    maps: Object.fromEntries(
      STATE_MAPS.map((name) => [name, copy([...(state[name] as Map<string, unknown>)])]),
    ) as SimStateSnapshot['maps'],
  };
}

/**
 * Replaces what `state` holds with a {@link snapshotState} copy, keeping the map objects.
 *
 * @throws TtsError `invalid_snapshot` naming the part that is missing when `snapshot` is not such a copy
 */
export function restoreState(state: SimState, snapshot: unknown): void {
  const saved = snapshot as Partial<SimStateSnapshot> | undefined;
  const entries = (value: unknown, name: string): [string, unknown][] => {
    if (!Array.isArray(value))
      throw new TtsError({
        status: 500,
        namespace: 'tools/tts-sim',
        name: 'invalid_snapshot',
        messageFormat: 'the saved state has no `{part}`: it is not a snapshot of the TTS stand-in',
        attributes: { part: name },
      });
    return value as [string, unknown][];
  };
  const restored = {
    devices: COMPONENTS.map((c) => entries(saved?.devices?.[c], `devices.${c}`)),
    maps: STATE_MAPS.map((name) => entries(saved?.maps?.[name], name)),
  };
  clearState(state);
  COMPONENTS.forEach((component, i) => {
    for (const [key, device] of restored.devices[i]!)
      state.devices[component].set(key, device as JsonObject);
  });
  STATE_MAPS.forEach((name, i) => {
    const map = state[name] as Map<string, unknown>;
    for (const [key, value] of restored.maps[i]!) map.set(key, value);
  });
}
