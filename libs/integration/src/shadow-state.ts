/**
 * The `lorawan` named shadow (ARCHITECTURE.md "Shadow"): what uplinks and join-accepts
 * report into `state.reported`, and the E2E session a downlink reads back.
 *
 * Two kinds of fields: metrics (`lastSeen`, `gateways`, `fCntUp`, `rssi`, `snr`,
 * `activated`, `payload`), which `ThingShadowMetrics=false` turns off, and the E2E session
 * (`devAddr`, `sessionID`, `fCntDown`, `lastAFCntDown`, `appSKeyEnvelope`), which downlinks
 * need and which is always kept. `devAddr` and `sessionID` are metrics too without E2E.
 *
 * Downlink counters: `fCntDown` is the last counter the integration reserved (reset to 0
 * at join); `lastAFCntDown` is the last one the network reported on an uplink. Uplinks
 * write only the latter, without reading the shadow: writing `fCntDown` blindly could
 * lower it under a counter a concurrent downlink just reserved, and a reused counter
 * reuses the AES keystream. The next counter is `max(fCntDown, lastAFCntDown) + 1`, which
 * is how every uplink "raises fCntDown to at least last_a_f_cnt_down".
 */
import { parseKeyEnvelope, type KeyEnvelope, type WrappedKeyEnvelope } from '@tts-aws-iot/keywrap';
import { IntegrationError, InputError } from './errors';
import type { ShadowDocument } from './ports';

/** The name of the integration's named shadow. */
export const LORAWAN_SHADOW_NAME = 'lorawan';

/** AWS IoT's limit for a shadow document's state (desired + reported). */
export const MAX_SHADOW_STATE_BYTES = 8 * 1024;

/** AWS IoT's limit for the nesting depth of a shadow document (`state` counts as 1). */
export const MAX_SHADOW_DEPTH = 6;

/**
 * Room kept for the shadow fields that one update does not carry but the document holds
 * (session envelope, location, activation time, …): they count towards the 8 KB as well.
 */
const RESERVED_BYTES = 1024;

const MAX_F_CNT = 0xffff_ffff;

/** The wrapped AppSKey as the shadow keeps it: never the plaintext key. */
export interface ShadowKeyEnvelope {
  /** base64 of the RFC 3394-wrapped key (24 bytes). */
  readonly encryptedKey: string;
  readonly kekLabel: string;
}

/** The reported fields of one update; `null` deletes a field. */
export type ShadowReport = Record<string, unknown>;

/** What a join-accept reports. */
export interface JoinAcceptReportInput {
  /** `ThingShadowMetrics`. */
  readonly metrics: boolean;
  /** TTS's `received_at` of the join. */
  readonly receivedAt: string | undefined;
  readonly devAddr: string | undefined;
  readonly sessionID: string | undefined;
  /** The session's wrapped AppSKey; set with E2E. */
  readonly appSKeyEnvelope: ShadowKeyEnvelope | undefined;
}

/** The shadow fields a join-accept sets: a new session starts its counters at 0. */
export function joinAcceptReport(input: JoinAcceptReportInput): ShadowReport {
  const report: ShadowReport = {};
  if (input.metrics) {
    if (input.receivedAt !== undefined) {
      report['activated'] = input.receivedAt;
      report['lastSeen'] = input.receivedAt;
    }
    report['fCntUp'] = 0;
  }
  if (input.metrics || input.appSKeyEnvelope) {
    if (input.devAddr !== undefined) report['devAddr'] = input.devAddr;
    if (input.sessionID !== undefined) report['sessionID'] = input.sessionID;
  }
  if (input.appSKeyEnvelope) {
    report['appSKeyEnvelope'] = input.appSKeyEnvelope;
    report['fCntDown'] = 0;
    report['lastAFCntDown'] = 0;
  }
  return report;
}

/** One gateway's reception, as the metrics use it. */
export interface Reception {
  readonly gatewayID: string;
  readonly gatewayEUI: string | undefined;
  readonly rssi: number | undefined;
  readonly snr: number | undefined;
}

/** What an uplink reports. */
export interface UplinkReportInput {
  readonly metrics: boolean;
  readonly receivedAt: string | undefined;
  readonly devAddr: string | undefined;
  readonly sessionID: string | undefined;
  readonly fCnt: number;
  readonly rxMetadata: readonly Reception[];
  /** With E2E: the network's last application downlink counter. */
  readonly lastAFCntDown: number | undefined;
  /** With E2E: the session's wrapped AppSKey (so downlinks work without a join seen). */
  readonly appSKeyEnvelope: ShadowKeyEnvelope | undefined;
}

/** The shadow fields an uplink sets. */
export function uplinkReport(input: UplinkReportInput): ShadowReport {
  const report: ShadowReport = {};
  if (input.metrics) {
    if (input.receivedAt !== undefined) report['lastSeen'] = input.receivedAt;
    report['fCntUp'] = input.fCnt;
    let rssi: number | undefined;
    let snr: number | undefined;
    const gateways = new Set<string>();
    for (const rx of input.rxMetadata) {
      gateways.add(rx.gatewayEUI === undefined ? rx.gatewayID : `${rx.gatewayID}/${rx.gatewayEUI}`);
      if (rx.rssi !== undefined && (rssi === undefined || rx.rssi > rssi)) rssi = rx.rssi;
      if (rx.snr !== undefined && (snr === undefined || rx.snr > snr)) snr = rx.snr;
    }
    report['gateways'] = gateways.size;
    if (rssi !== undefined) report['rssi'] = rssi;
    if (snr !== undefined) report['snr'] = snr;
  }
  if (input.metrics || input.appSKeyEnvelope) {
    if (input.devAddr !== undefined) report['devAddr'] = input.devAddr;
    if (input.sessionID !== undefined) report['sessionID'] = input.sessionID;
  }
  if (input.appSKeyEnvelope) {
    report['appSKeyEnvelope'] = input.appSKeyEnvelope;
    if (input.lastAFCntDown !== undefined) report['lastAFCntDown'] = input.lastAFCntDown;
  }
  return report;
}

/** The outcome of {@link withDecodedPayload}. */
export type PayloadPlacement =
  | { readonly included: true; readonly report: ShadowReport }
  | { readonly included: false; readonly report: ShadowReport; readonly reason: string };

/**
 * Adds TTS's `decoded_payload` to a report as `payload`, when the shadow document stays
 * within AWS IoT's 8 KB and nesting limits. Otherwise the report clears `payload` (so that
 * an older one is not mistaken for current) and the reason says why it was left out.
 */
export function withDecodedPayload(
  report: ShadowReport,
  payload: Readonly<Record<string, unknown>>,
): PayloadPlacement {
  // state → reported → payload are the first three levels of the document.
  const depth = 3 + depthOf(payload);
  if (depth > MAX_SHADOW_DEPTH) {
    return {
      included: false,
      report: { ...report, payload: null },
      reason: `the decoded payload nests ${depth} levels deep in the shadow; AWS IoT allows ${MAX_SHADOW_DEPTH}`,
    };
  }
  const candidate = { ...report, payload };
  const bytes =
    Buffer.byteLength(JSON.stringify({ state: { reported: candidate } })) + RESERVED_BYTES;
  if (bytes > MAX_SHADOW_STATE_BYTES) {
    return {
      included: false,
      report: { ...report, payload: null },
      reason: `the shadow document would be about ${bytes} bytes with the decoded payload; AWS IoT allows ${MAX_SHADOW_STATE_BYTES}`,
    };
  }
  return { included: true, report: candidate };
}

function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child));
  return 1 + deepest;
}

/** Writes an envelope in the shadow's form. */
export function toShadowEnvelope(envelope: WrappedKeyEnvelope): ShadowKeyEnvelope {
  return {
    encryptedKey: Buffer.from(envelope.encryptedKey).toString('base64'),
    kekLabel: envelope.kekLabel,
  };
}

/** The E2E session a downlink needs, read from the shadow. */
export interface DownlinkSession {
  /** 8 uppercase hex digits. */
  readonly devAddr: string;
  /** base64, as TTS's `session_key_id`. */
  readonly sessionID: string;
  readonly appSKeyEnvelope: KeyEnvelope;
  /** The last downlink counter in use: `max(fCntDown, lastAFCntDown)`. */
  readonly lastFCntDown: number;
  /** The shadow version the session was read at (for a versioned reservation). */
  readonly version: number;
}

const DEV_ADDR = /^[0-9A-F]{8}$/;

/**
 * The E2E session in a shadow document.
 *
 * @throws InputError `no_session` when the shadow holds none (the device has not joined,
 *   or sent no uplink, since E2E was enabled); `invalid_session_state` when its fields are
 *   damaged
 */
export function readDownlinkSession(
  thingName: string,
  shadow: ShadowDocument | undefined,
): DownlinkSession {
  const reported = shadow?.state.reported;
  if (
    !shadow ||
    !reported ||
    reported['appSKeyEnvelope'] === undefined ||
    reported['appSKeyEnvelope'] === null
  ) {
    throw new InputError(
      'no_session',
      `Thing ${thingName} has no end-to-end encrypted session in its ${LORAWAN_SHADOW_NAME} shadow yet. Wait for the device to join or send an uplink, then retry the downlink.`,
      { thingName },
    );
  }
  const damaged = (field: string): InputError =>
    new InputError(
      'invalid_session_state',
      `The ${LORAWAN_SHADOW_NAME} shadow of ${thingName} has an invalid ${field}. Let the device rejoin (or send an uplink) to rewrite the session.`,
      { thingName, field },
    );
  const devAddr = reported['devAddr'];
  if (typeof devAddr !== 'string' || !DEV_ADDR.test(devAddr)) throw damaged('devAddr');
  const sessionID = reported['sessionID'];
  if (typeof sessionID !== 'string' || sessionID === '') throw damaged('sessionID');
  let appSKeyEnvelope: KeyEnvelope;
  try {
    appSKeyEnvelope = parseKeyEnvelope(reported['appSKeyEnvelope']);
  } catch (error) {
    throw new InputError(
      'invalid_session_state',
      `The ${LORAWAN_SHADOW_NAME} shadow of ${thingName} has an invalid appSKeyEnvelope. Let the device rejoin (or send an uplink) to rewrite the session.`,
      { thingName, field: 'appSKeyEnvelope' },
      { cause: error },
    );
  }
  const counter = (field: string): number => {
    const value = reported[field] ?? 0;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_F_CNT)
      throw damaged(field);
    return value;
  };
  return {
    devAddr,
    sessionID,
    appSKeyEnvelope,
    lastFCntDown: Math.max(counter('fCntDown'), counter('lastAFCntDown')),
    version: shadow.version,
  };
}

/**
 * The counter for the next downlink of a session: one past the last one in use, and at
 * least `minFCnt` when the network asked for it (`f_cnt_too_low`).
 *
 * @throws IntegrationError `f_cnt_exhausted` past 2^32 - 1: the device must rejoin
 */
export function nextFCntDown(session: Pick<DownlinkSession, 'lastFCntDown'>, minFCnt = 0): number {
  const next = Math.max(session.lastFCntDown + 1, minFCnt);
  if (next > MAX_F_CNT) {
    throw new IntegrationError(
      'f_cnt_exhausted',
      'The session has used every downlink frame counter; the device must rejoin before it can take more downlinks.',
      false,
    );
  }
  return next;
}
