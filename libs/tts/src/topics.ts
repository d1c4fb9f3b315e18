/**
 * The MQTT topics and IoT rule statements of the integration (docs/architecture.md "Topics"):
 * the one source of truth for the Lambdas, the SAM templates and the local stack, so that
 * routing cannot drift between them. The Lambdas and the local stack call these functions;
 * the templates write their statements out, and infra/'s tests evaluate each one for sample
 * parameters and compare it with what these functions give.
 *
 * Functions that take a stack or thing type name also accept a CloudFormation `!Sub`
 * placeholder such as `${AWS::StackName}` or `${ThingTypeName}` in its place.
 */
import { TtsMessageError } from './errors';

/** SQL version for every rule: `2016-03-23` has `isUndefined`; CloudFormation's default does not. */
export const RULE_SQL_VERSION = '2016-03-23';

/** The CloudFormation placeholder for the stack name, for use inside `!Sub`. */
const STACK_NAME_PLACEHOLDER = '${AWS::StackName}';

/** The CloudFormation placeholder for the thing type parameter, for use inside `!Sub`. */
const THING_TYPE_NAME_PLACEHOLDER = '${ThingTypeName}';

/** The sub-topics TTS publishes under its base topic (TTS → AWS). */
export const TTS_UPSTREAM_SUBTOPICS = [
  'uplink',
  'join',
  'downlink/queued',
  'downlink/sent',
  'downlink/failed',
  'downlink/ack',
  'downlink/nack',
  'location/solved',
  'service/data',
] as const;

/** A sub-topic TTS publishes on. */
export type TtsUpstreamSubtopic = (typeof TTS_UPSTREAM_SUBTOPICS)[number];

/** The sub-topics TTS subscribes to for downlinks (AWS → TTS). */
export const TTS_DOWNSTREAM_SUBTOPICS = ['downlink/push', 'downlink/replace'] as const;

/** The per-thing events republished to applications on `lorawan/<thing>/<event>` (AWS → app). */
export const THING_EVENTS = [
  'join',
  'uplink',
  'downlink/queued',
  'downlink/sent',
  'downlink/failed',
  'downlink/ack',
  'downlink/nack',
  'location',
  'service',
  'provisioning',
] as const;

/** An event republished on a thing's topic. */
export type ThingEvent = (typeof THING_EVENTS)[number];

/** Applications publish downlink requests here (app → AWS). */
export const DOWNLINK_REQUEST_TOPIC = 'lorawan/downlink';

/** Rejections of downlink requests whose thing is unknown (AWS → app). */
export const DOWNLINK_REQUEST_FAILED_TOPIC = 'lorawan/downlink/failed';

/**
 * The delta topic of every thing's `lorawan` shadow (the integration's named shadow): AWS IoT
 * publishes there when an update leaves desired and reported state different.
 */
export const LORAWAN_SHADOW_DELTA_TOPIC = '$aws/things/+/shadow/name/lorawan/update/delta';

/** Registry event: a thing was created (any thing; rules filter by thing type). */
const THING_CREATED_EVENT_TOPIC = '$aws/events/thing/+/created';

/** Registry event: a thing was deleted (any thing; rules filter by thing type). */
const THING_DELETED_EVENT_TOPIC = '$aws/events/thing/+/deleted';

// TTS's own rule for `stack_name`; a `${…}` placeholder stands for a value checked elsewhere.
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const THING_TYPE_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
// Thing names may not hold MQTT separators or wildcards, which would change a topic's meaning.
const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const PLACEHOLDER = /^\$\{[A-Za-z0-9:]+\}$/;

function checked(kind: string, value: string, pattern: RegExp, hint: string): string {
  if (pattern.test(value) || PLACEHOLDER.test(value)) return value;
  throw new TtsMessageError(
    'invalid_topic_name',
    `Invalid ${kind} ${JSON.stringify(value)} for a topic or rule: use ${hint}.`,
    {
      kind,
      value,
    },
  );
}

const stack = (stackName: string): string =>
  checked(
    'stack name',
    stackName,
    STACK_NAME,
    'a letter, then letters, digits and hyphens (at most 128)',
  );

/** The base topic TTS uses for a stack: `thethings/lorawan/<stack>`. */
function ttsBaseTopic(stackName: string): string {
  return `thethings/lorawan/${stack(stackName)}`;
}

/** A topic TTS publishes on, e.g. `thethings/lorawan/<stack>/uplink`. */
export function ttsUpstreamTopic(stackName: string, subtopic: TtsUpstreamSubtopic): string {
  return `${ttsBaseTopic(stackName)}/${subtopic}`;
}

/** Where the downlink Lambda pushes downlinks for TTS to queue: `thethings/lorawan/<stack>/downlink/push`. */
export function ttsDownlinkPushTopic(stackName: string): string {
  return `${ttsBaseTopic(stackName)}/downlink/push`;
}

/** Where downlinks replace TTS's queue: `thethings/lorawan/<stack>/downlink/replace`. */
export function ttsDownlinkReplaceTopic(stackName: string): string {
  return `${ttsBaseTopic(stackName)}/downlink/replace`;
}

/** A thing's application topic: `lorawan/<thing>/<event>`. */
export function thingTopic(thingName: string, event: ThingEvent): string {
  return `lorawan/${checked('thing name', thingName, THING_NAME, 'letters, digits, ":", "_" and "-"')}/${event}`;
}

/** The MQTT client ID TTS's AWS IoT pub/sub connects with: `thethings-<stack>`. */
function ttsClientId(stackName: string): string {
  return `thethings-${stack(stackName)}`;
}

/**
 * The uplink rule: everything TTS publishes for the stack, except the `downlink/push` and
 * `downlink/replace` topics the downlink Lambda itself publishes under the same base, which
 * would otherwise loop back into the uplink Lambda. Only messages of TTS's own connection
 * (`clientid()` = `thethings-<stack>`) count: another principal of the account allowed to
 * publish under the base cannot pass itself off as TTS.
 */
export function uplinkRuleSql(stackName: string): string {
  // Compare whole topics: `topic(5)` is Undefined on the four-level topics (`…/uplink`),
  // and how IoT SQL folds `false AND Undefined` is not documented; `topic()` always exists.
  const base = ttsBaseTopic(stackName);
  return (
    `SELECT * FROM '${base}/#' ` +
    `WHERE topic() <> '${base}/downlink/push' AND topic() <> '${base}/downlink/replace' ` +
    `AND clientid() = '${ttsClientId(stackName)}'`
  );
}

/**
 * The downlink rule: requests that applications publish on `lorawan/downlink`. The filter has
 * no wildcard, so the Lambda's own answers on `lorawan/downlink/failed` do not match.
 */
export function downlinkRuleSql(): string {
  return `SELECT * FROM '${DOWNLINK_REQUEST_TOPIC}'`;
}

/**
 * The desired-state downlink rule: deltas of a `lorawan` shadow that carry a desired downlink
 * (`state.desired.downlink`), as `{thingName, shadowVersion}` (the thing is the topic's third
 * level). The function reads the shadow itself; its own write, which clears the desired
 * downlink, leaves no `state.downlink` in a delta, so it does not re-enter this rule.
 */
export function desiredDownlinkRuleSql(): string {
  return (
    `SELECT topic(3) AS thingName, version AS shadowVersion FROM '${LORAWAN_SHADOW_DELTA_TOPIC}' ` +
    `WHERE NOT isUndefined(state.downlink)`
  );
}

const thingType = (thingTypeName: string): string =>
  checked('thing type name', thingTypeName, THING_TYPE_NAME, 'letters, digits, ":", "_" and "-"');

/** The rule for things of the integration's thing type being created (create-device, claim). */
export function thingCreatedRuleSql(thingTypeName: string): string {
  return `SELECT * FROM '${THING_CREATED_EVENT_TOPIC}' WHERE thingTypeName = '${thingType(thingTypeName)}'`;
}

/** The rule for things of the integration's thing type being deleted (device deletion in TTS). */
export function thingDeletedRuleSql(thingTypeName: string): string {
  return `SELECT * FROM '${THING_DELETED_EVENT_TOPIC}' WHERE thingTypeName = '${thingType(thingTypeName)}'`;
}

/** `uplinkRuleSql` for a CloudFormation `!Sub`, with `${AWS::StackName}`. */
export const UPLINK_RULE_SQL_TEMPLATE = uplinkRuleSql(STACK_NAME_PLACEHOLDER);

/** `thingCreatedRuleSql` for a CloudFormation `!Sub`, with `${ThingTypeName}`. */
export const THING_CREATED_RULE_SQL_TEMPLATE = thingCreatedRuleSql(THING_TYPE_NAME_PLACEHOLDER);
