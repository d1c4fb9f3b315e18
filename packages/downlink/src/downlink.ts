/**
 * HandleDownlink: requests that applications publish on `lorawan/downlink`. Validates them,
 * with E2E encrypts the payload at a freshly reserved frame counter, and pushes to TTS. A
 * refused request is answered on the thing's `downlink/failed` topic in TTS's own shape
 * (`lorawan/downlink/failed` when the thing is not one of this stack's), and the invocation
 * ends successfully: bad input is never retried.
 */
import {
  deviceIDOfThing,
  DownlinkRejectedError,
  IntegrationError,
  InputError,
  StackMismatchError,
  type ThingRecord,
} from '@tts-aws-iot/integration';
import {
  DECRYPT_FAILURES_METRIC,
  downlinkCorrelationIDs,
  downlinkFailedAnswer,
  downlinkPush,
  encodeDownlinkPayload,
  encryptAtReservedFCnt,
  GrpcCode,
  parseDownlinkRequest,
  requestedThingName,
  type DownlinkRequest,
  type EncodedDownlink,
  type PayloadFormatting,
  type PushDownlink,
  type TrafficDependencies,
} from '@tts-aws-iot/integration/traffic';
import {
  DOWNLINK_REQUEST_FAILED_TOPIC,
  thingTopic,
  ttsDownlinkPushTopic,
  ttsDownlinkReplaceTopic,
} from '@tts-aws-iot/tts';

/** What HandleDownlink works with; the handler builds it once per container. */
export interface DownlinkDependencies extends TrafficDependencies {
  /** A new unique ID for a downlink whose invocation has no request ID. */
  readonly newDownlinkID: () => string;
  /**
   * With E2E: the devices' payload formatters, which encode a request's decoded `payload`
   * before it is encrypted. Absent, such requests are refused.
   */
  readonly formatting?: PayloadFormatting;
}

/** What became of one request. */
export type DownlinkOutcome =
  | {
      readonly status: 'pushed';
      readonly thingName: string;
      readonly downlinkID: string;
      readonly fCnt: number | undefined;
    }
  | { readonly status: 'rejected'; readonly code: string; readonly topic: string }
  | { readonly status: 'ignored'; readonly thingName: string; readonly reason: string };

/** Metric names. */
const DownlinkMetric = {
  DOWNLINKS: 'Downlinks',
  REJECTIONS: 'DownlinkRejections',
  DECRYPT_FAILURES: DECRYPT_FAILURES_METRIC,
} as const;

/**
 * Handles one downlink request. Every stack's HandleDownlink receives every request of the
 * account: a request for a thing of another stack is left to that stack, silently.
 *
 * @param requestID the invocation's request ID, which Lambda keeps when it retries the
 *   event: it becomes the downlink's ID, so that a retry reuses the frame counter reserved
 *   for it and pushes the same frame again, never a second downlink
 * @returns `pushed`; `rejected` after answering the application; `ignored` for another
 *   stack's thing
 * @throws IntegrationError when a dependency fails: retryable ones are retried by Lambda;
 *   other non-retryable ones (configuration, permissions) are answered first as well
 */
export async function handleDownlink(
  input: unknown,
  deps: DownlinkDependencies,
  requestID?: string,
): Promise<DownlinkOutcome> {
  const downlinkID = requestID || deps.newDownlinkID();
  const correlationIDs = downlinkCorrelationIDs(downlinkID, 1);
  let thing: ThingRecord | undefined;
  try {
    // The thing first: whatever else is wrong with a request for a thing of this stack is
    // answered on that thing's topic, and a request for another stack's thing is not ours
    // to answer at all.
    const named = requestedThingName(input);
    if (named !== undefined) thing = await deps.things.find(named);
    const request = parseDownlinkRequest(input, {
      e2eEnabled: deps.config.e2eEnabled,
      encodesPayload: deps.formatting !== undefined,
    });
    thing ??= await deps.things.find(request.thingName);
    const fCnt = await push(request, thing, downlinkID, deps);
    deps.counters.count(DownlinkMetric.DOWNLINKS);
    deps.log.info('Downlink pushed to TTS', {
      thing_name: thing.thingName,
      downlink_id: downlinkID,
      ...(fCnt === undefined ? {} : { f_cnt: fCnt }),
    });
    return { status: 'pushed', thingName: thing.thingName, downlinkID, fCnt };
  } catch (error) {
    if (!(error instanceof IntegrationError) || error.retryable) throw error;
    if (error instanceof StackMismatchError && error.owner !== undefined) {
      deps.log.info('Downlink request for a thing of another stack: left to that stack', {
        thing_name: error.thingName,
        owner_stack: error.owner,
        downlink_id: downlinkID,
      });
      return {
        status: 'ignored',
        thingName: error.thingName,
        reason: `the thing belongs to stack ${error.owner}`,
      };
    }
    // Never another stack's topic: a thing's own topic only once it is known to be ours.
    const topic = thing
      ? thingTopic(thing.thingName, 'downlink/failed')
      : DOWNLINK_REQUEST_FAILED_TOPIC;
    // The shared topic never carries the request's payload: anyone may read it.
    await deps.publisher.publish(
      topic,
      downlinkFailedAnswer(input, error, correlationIDs, { echoPayload: thing !== undefined }),
    );
    deps.counters.count(DownlinkMetric.REJECTIONS);
    // Input errors are the application's to fix; anything else is the operator's, so it goes
    // on to the error policy, which logs and counts it (and does not retry it either).
    if (!(error instanceof InputError)) throw error;
    deps.log.warn('Downlink request rejected', {
      error_code: error.code,
      reason: logSafeReason(error),
      downlink_id: downlinkID,
      answer_topic: topic,
    });
    return { status: 'rejected', code: error.code, topic };
  }
}

/** What the log may say of a refusal: never a formatter's message, which may quote plaintext. */
function logSafeReason(error: InputError): string {
  const safe = error.attributes['logSafe'];
  return typeof safe === 'string' ? safe : error.message;
}

/** Pushes the downlink to TTS (`downlink/push`, or `downlink/replace`); returns the frame counter with E2E. */
async function push(
  request: DownlinkRequest,
  thing: ThingRecord,
  downlinkID: string,
  deps: DownlinkDependencies,
): Promise<number | undefined> {
  const { config } = deps;
  const deviceID = deviceIDOfThing(config, thing);
  if (deviceID === undefined) {
    throw new DownlinkRejectedError(
      'unknown_device',
      `Thing ${thing.thingName} does not say which TTS device it is. Give it a deviceID (or devEUI) attribute.`,
      GrpcCode.FAILED_PRECONDITION,
      { thingName: thing.thingName },
    );
  }
  const base = {
    confirmed: request.confirmed,
    highPriority: request.highPriority,
    correlationIDs: downlinkCorrelationIDs(downlinkID, 1),
  };
  let downlink: PushDownlink;
  let fCnt: number | undefined;
  if (deps.keks) {
    const plaintext = await plaintextOf(request, thing, deviceID, deps);
    const reservation = await encryptAtReservedFCnt(deps.keks, plaintext, thing, downlinkID, deps);
    fCnt = reservation.fCnt;
    downlink = {
      ...base,
      fPort: plaintext.fPort,
      frmPayload: Buffer.from(reservation.prepared).toString('base64'),
      session: { sessionKeyID: reservation.session.sessionID, fCnt },
    };
  } else if (request.bytes) {
    downlink = {
      ...base,
      fPort: request.fPort,
      frmPayload: Buffer.from(request.bytes).toString('base64'),
    };
  } else {
    downlink = { ...base, fPort: request.fPort, decodedPayload: request.payload };
  }
  const topic =
    request.operation === 'replace'
      ? ttsDownlinkReplaceTopic(config.stackName)
      : ttsDownlinkPushTopic(config.stackName);
  await deps.publisher.publish(
    topic,
    downlinkPush({ deviceID, applicationID: config.applicationID }, downlink),
  );
  return fCnt;
}

/**
 * With E2E, the FRMPayload to encrypt: the request's bytes, or its decoded payload encoded
 * with the device's downlink formatter (the request's FPort if it set one, else the encoder's).
 */
async function plaintextOf(
  request: DownlinkRequest,
  thing: ThingRecord,
  deviceID: string,
  deps: DownlinkDependencies,
): Promise<EncodedDownlink> {
  if (request.bytes) return { bytes: request.bytes, fPort: request.fPort };
  // parseDownlinkRequest takes payload JSON with E2E only when there is formatting.
  return encodeDownlinkPayload(
    deps.formatting!,
    { payload: request.payload ?? {}, ...(request.fPortSet ? { fPort: request.fPort } : {}) },
    { deviceID, thingName: thing.thingName, log: deps.log, counters: deps.counters },
  );
}
