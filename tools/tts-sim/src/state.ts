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
}

/** The state key of a device (also of a pub/sub: `deviceKey(app, pubSubID)`). */
export function deviceKey(applicationID: string, deviceID: string): string {
  return `${applicationID}/${deviceID}`;
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
  ]) {
    map.clear();
  }
}
