/**
 * HandleUplink: every message TTS publishes for the stack (the uplink rule's `SELECT *`).
 * Makes sure the device's thing exists, keeps the `lorawan` shadow, decrypts the payload
 * when end-to-end encryption is on, and republishes on the thing's topics.
 */
import { isJsonObject } from '@tts-aws-iot/input';
import { IntegrationError, InputError } from '@tts-aws-iot/integration';
import {
  DECRYPT_FAILURES_METRIC,
  decodeUplinkPayload,
  decryptUplinkPayload,
  followDownlinkEvent,
  joinAcceptReport,
  LORAWAN_SHADOW_NAME,
  readApplicationUp,
  REFUSED_SESSION_KEYS_METRIC,
  republishedMessage,
  THING_EVENT_OF,
  unwrapCounted,
  JOIN_F_CNT,
  parseReceivedAt,
  uplinkReport,
  withDecodedPayload,
  type PayloadFormatting,
  type ShadowKeyEnvelope,
  type ReportedSession,
  type ShadowReport,
  type TrafficDependencies,
  type UplinkFormatting,
  type UplinkPosition,
} from '@tts-aws-iot/integration/traffic';
import {
  thingTopic,
  type ApplicationUp,
  type ApplicationUplink,
  type ApplicationJoinAccept,
} from '@tts-aws-iot/tts';

import { STALE_REPORTS_METRIC, writeUplinkReport } from './shadow-report';

/** What HandleUplink works with; the handler builds it once per container. */
export interface UplinkDependencies extends TrafficDependencies {
  /**
   * With E2E: the devices' payload formatters, run after decryption as the Application
   * Server would run them. Absent, uplinks are republished undecoded.
   */
  readonly formatting?: PayloadFormatting;
}

/** What became of one message. */
export type UplinkOutcome =
  | { readonly status: 'handled'; readonly type: string; readonly thingName: string }
  | { readonly status: 'ignored'; readonly type: string; readonly reason: string };

/** A message of a type that HandleUplink handles. */
type HandledUp = ApplicationUp & { readonly type: keyof typeof THING_EVENT_OF };

/** Metric names. */
const UplinkMetric = {
  UPLINKS: 'Uplinks',
  JOINS: 'Joins',
  DECRYPT_FAILURES: DECRYPT_FAILURES_METRIC,
  REFUSED_SESSION_KEYS: REFUSED_SESSION_KEYS_METRIC,
  PAYLOADS_LEFT_OUT: 'ShadowPayloadsLeftOut',
  STALE_REPORTS: STALE_REPORTS_METRIC,
} as const;

/** Refuses a message of another TTS application than the stack's. */
function checkApplication(up: ApplicationUp, applicationID: string): void {
  if (up.ids.applicationID === applicationID) return;
  throw new InputError(
    'foreign_application',
    `The message is for TTS application ${up.ids.applicationID}, but this stack serves ${applicationID}. Point that application's pub/sub at its own stack.`,
    { applicationID: up.ids.applicationID },
  );
}

/**
 * Whether E2E is on, yet the message's session key came in the clear: the network saw it, and
 * taking it would quietly downgrade the device to hop-by-hop encryption. Counted and logged.
 */
function refusesPlaintextSessionKey(up: ApplicationUp, deps: UplinkDependencies): boolean {
  const sessionKey =
    up.type === 'uplink_message'
      ? up.uplink.appSKey
      : up.type === 'join_accept'
        ? up.joinAccept.appSKey
        : undefined;
  if (!deps.keks || !sessionKey || !deps.keks.refuses(sessionKey)) return false;
  deps.counters.count(UplinkMetric.REFUSED_SESSION_KEYS);
  deps.log.warn(
    'Session key refused: the Join Server sent the AppSKey in the clear, so it has no KEK for this device. Nothing stored, nothing decrypted. Configure the KEK on the Join Server for this device (ALLOW_PLAINTEXT_SESSION_KEYS=true accepts such keys)',
    { device_id: up.ids.deviceID, message_type: up.type },
  );
  return true;
}

/**
 * Handles one TTS `ApplicationUp`.
 *
 * @throws InputError for a malformed message, one of another application, or a thing of
 *   another stack (not retryable); IntegrationError from the ports (retryable or not)
 */
export async function handleUplink(
  input: unknown,
  deps: UplinkDependencies,
): Promise<UplinkOutcome> {
  const up = readApplicationUp(input);
  checkApplication(up, deps.config.applicationID);
  // The device's thing is known once the message has been read (and, with E2E, decrypted):
  // until then, errors and log lines name the device.
  const device = deviceLabel(up.ids);

  if (refusesPlaintextSessionKey(up, deps))
    return { status: 'ignored', type: up.type, reason: 'plaintext session key refused' };

  let thingName: string | undefined;
  switch (up.type) {
    case 'unsupported':
      // The uplink rule takes every topic under TTS's base (docs/architecture.md): of the
      // others, only the downlink session's (with E2E) are handled, below.
      break;
    case 'uplink_message':
      thingName = await onUplink(up, up.uplink, device, deps);
      break;
    case 'join_accept':
      thingName = await onJoinAccept(up, up.joinAccept, device, deps);
      break;
    case 'location_solved':
      // Where the device is, is state rather than a metric: kept with ThingShadowMetrics=false too.
      thingName = (await deps.things.ensure(up.ids)).thingName;
      await Promise.all([
        updateShadow(deps, thingName, up, { location: up.location.location }),
        republish(deps, up, thingName),
      ]);
      break;
    case 'downlink_failed':
      thingName = (await deps.things.ensure(up.ids)).thingName;
      await republish(deps, up, thingName);
      break;
    default:
      thingName = (await deps.things.ensure(up.ids)).thingName;
      await republish(deps, up, thingName);
  }
  // downlink_failed, downlink_queue_invalidated, a join's invalidated_downlinks: the downlink
  // session follows them (libs/integration/src/traffic/downlink-session).
  thingName = (await followDownlinkEvent(up, deps, thingName)) ?? thingName;
  const type = up.type === 'unsupported' ? up.field : up.type;
  if (thingName === undefined) {
    deps.log.info('TTS message not handled', { message_type: type });
    return { status: 'ignored', type, reason: 'message type not handled' };
  }
  if (up.type === 'join_accept') deps.counters.count(UplinkMetric.JOINS);
  return { status: 'handled', type, thingName };
}

/** How errors name a device before its thing is known. */
function deviceLabel(ids: ApplicationUp['ids']): string {
  return ids.devEUI === undefined ? `device ${ids.deviceID}` : `DevEUI ${ids.devEUI}`;
}

async function onUplink(
  up: HandledUp,
  uplink: ApplicationUplink,
  device: string,
  deps: UplinkDependencies,
): Promise<string> {
  const { config } = deps;
  const { plaintext, envelope } = await decryptE2E(up, uplink, device, deps);
  // Only a message that could be read and decrypted may create a thing.
  const { thingName } = await deps.things.ensure(up.ids);

  const receivedAt = up.receivedAt ?? uplink.receivedAt;
  let report: ShadowReport = uplinkReport({
    metrics: config.thingShadowMetrics,
    receivedAt,
    devAddr: up.ids.devAddr,
    sessionID: uplink.sessionKeyID,
    fCnt: uplink.fCnt,
    rxMetadata: uplink.rxMetadata,
    lastAFCntDown: uplink.lastAFCntDown,
    appSKeyEnvelope: envelope,
  });
  const decoded =
    plaintext !== undefined && deps.formatting
      ? await decodeUplinkPayload(
          deps.formatting,
          { bytes: plaintext, fPort: uplink.fPort, receivedAt },
          { deviceID: up.ids.deviceID, thingName, log: deps.log, counters: deps.counters },
        )
      : undefined;
  // The decoded payload is a metric-like copy: it follows ThingShadowMetrics, so that with
  // metrics off a plain uplink costs no shadow update at all. TTS decodes without E2E.
  const payload = plaintext === undefined ? uplink.decodedPayload : decoded?.payload;
  if (config.thingShadowMetrics && payload !== undefined)
    report = withPayload(deps, report, payload, thingName);
  // With E2E the session's downlink counter follows TTS's last_a_f_cnt_down.
  const session =
    envelope && uplink.sessionKeyID !== undefined
      ? { sessionID: uplink.sessionKeyID, lastAFCntDown: uplink.lastAFCntDown ?? 0 }
      : undefined;
  const position: UplinkPosition = {
    session: uplink.sessionKeyID ?? up.ids.devAddr,
    fCnt: uplink.fCnt,
    at: parseReceivedAt(receivedAt),
  };
  // Steady state: these two calls are all the uplink costs, and they run concurrently.
  await Promise.all([
    updateShadow(deps, thingName, up, report, position, session),
    republish(deps, up, thingName, plaintext, decoded),
  ]);
  deps.counters.count(UplinkMetric.UPLINKS);
  return thingName;
}

/** With E2E: the uplink's plaintext (FPort > 0) and its session key as the shadow keeps it. */
async function decryptE2E(
  up: HandledUp,
  uplink: ApplicationUplink,
  device: string,
  deps: UplinkDependencies,
): Promise<{ plaintext?: Uint8Array; envelope?: ShadowKeyEnvelope }> {
  const { keks } = deps;
  if (uplink.appSKey && keks) {
    const devAddr = up.ids.devAddr;
    if (devAddr === undefined) {
      throw new InputError(
        'missing_dev_addr',
        `The uplink of ${device} carries an AppSKey but no end_device_ids.dev_addr, which decryption needs.`,
        { deviceID: up.ids.deviceID },
      );
    }
    const appSKey = await unwrapCounted(keks, uplink.appSKey, device, deps.counters);
    // FPort 0 carries MAC commands under the network's key: not the application's to decrypt.
    const plaintext =
      uplink.fPort > 0
        ? decryptUplinkPayload(appSKey, devAddr, uplink.fCnt, uplink.frmPayload)
        : undefined;
    return { plaintext, envelope: await keks.toShadowEnvelope(uplink.appSKey, device) };
  }
  if (uplink.appSKey) {
    deps.log.warn(
      'TTS sends the AppSKey, but end-to-end encryption is off here: the payload is republished encrypted',
      { device_id: up.ids.deviceID },
    );
  }
  return {};
}

async function onJoinAccept(
  up: HandledUp,
  join: ApplicationJoinAccept,
  device: string,
  deps: UplinkDependencies,
): Promise<string> {
  const { config, keks } = deps;
  let envelope: ShadowKeyEnvelope | undefined;
  if (join.appSKey && keks) {
    // Unwrapping now reports an unknown KEK label at the join, not at the first downlink.
    await unwrapCounted(keks, join.appSKey, device, deps.counters);
    envelope = await keks.toShadowEnvelope(join.appSKey, device);
  } else if (keks) {
    deps.log.warn(
      'Join without AppSKey although end-to-end encryption is on: check that the Application Server skips payload crypto',
      { device_id: up.ids.deviceID },
    );
  }
  const { thingName } = await deps.things.ensure(up.ids);
  const receivedAt = up.receivedAt ?? join.receivedAt;
  const report = joinAcceptReport({
    metrics: config.thingShadowMetrics,
    receivedAt,
    devAddr: up.ids.devAddr,
    sessionID: join.sessionKeyID,
    appSKeyEnvelope: envelope,
  });
  // With E2E the new session's downlink counter starts at 0 (a session seen before goes on).
  const session =
    envelope && join.sessionKeyID !== undefined
      ? { sessionID: join.sessionKeyID, lastAFCntDown: 0 }
      : undefined;
  // Before the first uplink of its session: a join-accept handled again writes nothing.
  const position = {
    session: join.sessionKeyID ?? up.ids.devAddr,
    fCnt: JOIN_F_CNT,
    at: parseReceivedAt(receivedAt),
  };
  // The old session's queue, which TTS cannot encrypt for this one, is moved once the new
  // session is recorded: by the downlink session, after this.
  await Promise.all([
    updateShadow(deps, thingName, up, report, position, session),
    republish(deps, up, thingName),
  ]);
  return thingName;
}

/** The report with the decoded payload as `payload`, when the shadow has room for it. */
function withPayload(
  deps: UplinkDependencies,
  report: ShadowReport,
  payload: Readonly<Record<string, unknown>>,
  thingName: string,
): ShadowReport {
  const placement = withDecodedPayload(report, payload);
  if (!placement.included) {
    deps.counters.count(UplinkMetric.PAYLOADS_LEFT_OUT);
    deps.log.warn('Decoded payload left out of the shadow', {
      thing_name: thingName,
      reason: placement.reason,
    });
  }
  return placement.report;
}

/** Republishes the message on the thing's topic for its type (`lorawan/<thing>/uplink`, …). */
function republish(
  deps: UplinkDependencies,
  up: HandledUp,
  thingName: string,
  plaintext?: Uint8Array,
  decoded?: UplinkFormatting,
): Promise<void> {
  const message = republishedMessage(up, thingName, plaintext);
  if (decoded) {
    // Where TTS puts a decoded uplink; a failure as TTS's event beside the message.
    const uplink = message['uplink_message'];
    message['uplink_message'] = {
      ...(isJsonObject(uplink) ? uplink : {}),
      ...decoded.fields,
    };
    if (decoded.failure) message['decode_failure'] = decoded.failure;
  }
  return deps.publisher.publish(thingTopic(thingName, THING_EVENT_OF[up.type]), message);
}

/**
 * Updates the `lorawan` shadow (nothing to do for an empty report): an uplink's or
 * join-accept's report (at `position`) only when it is newer than the shadow's, other fields
 * (a location) as they come. A thing deleted since this container remembered it is looked up
 * again (the device may have another thing now) and, when it has none, created again, once.
 */
async function updateShadow(
  deps: UplinkDependencies,
  thingName: string,
  up: ApplicationUp,
  report: ShadowReport,
  position?: UplinkPosition,
  session?: ReportedSession,
): Promise<void> {
  if (Object.keys(report).length === 0) return;
  const write = async (name: string): Promise<void> => {
    if (position) await writeUplinkReport(deps, name, report, position, session);
    else await deps.shadows.updateShadow(name, LORAWAN_SHADOW_NAME, { reported: report });
  };
  try {
    await write(thingName);
  } catch (error) {
    if (!(error instanceof IntegrationError) || error.code !== 'aws_not_found') throw error;
    deps.things.forget(thingName, up.ids);
    deps.sessions.forget(thingName);
    deps.shadowVersions.forget(thingName);
    const again = await deps.things.ensure(up.ids);
    await write(again.thingName);
  }
}
