import {
  DOWNLINK_REQUEST_FAILED_TOPIC,
  DOWNLINK_REQUEST_TOPIC,
  RULE_SQL_VERSION,
  THING_CREATED_RULE_SQL_TEMPLATE,
  THING_EVENTS,
  TTS_DOWNSTREAM_SUBTOPICS,
  TTS_UPSTREAM_SUBTOPICS,
  TtsMessageError,
  UPLINK_RULE_SQL_TEMPLATE,
  downlinkRuleSql,
  thingCreatedRuleSql,
  thingDeletedRuleSql,
  thingTopic,
  ttsDownlinkPushTopic,
  ttsDownlinkReplaceTopic,
  ttsUpstreamTopic,
  uplinkRuleSql,
} from '../src/index';

// A small model of what IoT Core does with a rule: match the FROM filter (MQTT wildcards)
// and evaluate the uplink rule's topic() / topic(n) conditions. Enough to prove the loop guard works.
function filterMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

function ruleSelects(sql: string, topic: string, clientId = 'thethings-my-stack'): boolean {
  const from = /FROM '([^']+)'/.exec(sql)?.[1];
  if (!from || !filterMatches(from, topic)) return false;
  const where = / WHERE (.*)$/.exec(sql)?.[1];
  if (!where) return true;
  const parts = topic.split('/');
  const js = where
    .replace(/clientid\(\)/g, () => JSON.stringify(clientId))
    .replace(/topic\(\)/g, () => JSON.stringify(topic))
    .replace(/topic\((\d)\)/g, (_, n: string) => JSON.stringify(parts[Number(n) - 1] ?? null))
    .replace(/'([^']*)'/g, (_, s: string) => JSON.stringify(s))
    .replace(/ = /g, ' === ')
    .replace(/ <> /g, ' !== ')
    .replace(/\bNOT\b/g, '!')
    .replace(/\bAND\b/g, '&&')
    .replace(/\bOR\b/g, '||');
  return Boolean(new Function(`return ${js};`)());
}

describe('topics', () => {
  it('names every TTS upstream topic under thethings/lorawan/<stack>', () => {
    expect(TTS_UPSTREAM_SUBTOPICS.map((s) => ttsUpstreamTopic('my-stack', s))).toEqual([
      'thethings/lorawan/my-stack/uplink',
      'thethings/lorawan/my-stack/join',
      'thethings/lorawan/my-stack/downlink/queued',
      'thethings/lorawan/my-stack/downlink/sent',
      'thethings/lorawan/my-stack/downlink/failed',
      'thethings/lorawan/my-stack/downlink/ack',
      'thethings/lorawan/my-stack/downlink/nack',
      'thethings/lorawan/my-stack/location/solved',
      'thethings/lorawan/my-stack/service/data',
    ]);
  });

  it('names the downlink push and replace topics TTS subscribes to', () => {
    expect(ttsDownlinkPushTopic('s1')).toBe('thethings/lorawan/s1/downlink/push');
    expect(ttsDownlinkReplaceTopic('s1')).toBe('thethings/lorawan/s1/downlink/replace');
    expect(TTS_DOWNSTREAM_SUBTOPICS).toEqual(['downlink/push', 'downlink/replace']);
  });

  it('names the per-thing application topics', () => {
    expect(THING_EVENTS.map((e) => thingTopic('0004A30B001C0530', e))).toEqual([
      'lorawan/0004A30B001C0530/join',
      'lorawan/0004A30B001C0530/uplink',
      'lorawan/0004A30B001C0530/downlink/queued',
      'lorawan/0004A30B001C0530/downlink/sent',
      'lorawan/0004A30B001C0530/downlink/failed',
      'lorawan/0004A30B001C0530/downlink/ack',
      'lorawan/0004A30B001C0530/downlink/nack',
      'lorawan/0004A30B001C0530/location',
      'lorawan/0004A30B001C0530/service',
      'lorawan/0004A30B001C0530/provisioning',
    ]);
  });

  it('selects every TTS upstream topic in the uplink rule', () => {
    const sql = uplinkRuleSql('my-stack');
    for (const sub of TTS_UPSTREAM_SUBTOPICS)
      expect(ruleSelects(sql, ttsUpstreamTopic('my-stack', sub))).toBe(true);
  });

  it('keeps the downlink Lambda’s own push and replace topics out of the uplink rule (no loop)', () => {
    const sql = uplinkRuleSql('my-stack');
    expect(ruleSelects(sql, ttsDownlinkPushTopic('my-stack'))).toBe(false);
    expect(ruleSelects(sql, ttsDownlinkReplaceTopic('my-stack'))).toBe(false);
  });

  it('ignores TTS topics published by any client but thethings-<stack> (another principal of the account cannot play TTS)', () => {
    const sql = uplinkRuleSql('my-stack');
    const topic = ttsUpstreamTopic('my-stack', 'uplink');
    expect(ruleSelects(sql, topic, 'thethings-my-stack')).toBe(true);
    expect(ruleSelects(sql, topic, 'attacker')).toBe(false);
    expect(ruleSelects(sql, topic, 'thethings-other')).toBe(false);
  });

  it('does not select another stack’s topics in the uplink rule', () => {
    expect(ruleSelects(uplinkRuleSql('my-stack'), ttsUpstreamTopic('other', 'uplink'))).toBe(false);
  });

  it('selects downlink requests but not the rejections published beside them', () => {
    expect(ruleSelects(downlinkRuleSql(), DOWNLINK_REQUEST_TOPIC)).toBe(true);
    expect(ruleSelects(downlinkRuleSql(), DOWNLINK_REQUEST_FAILED_TOPIC)).toBe(false);
    expect(ruleSelects(downlinkRuleSql(), thingTopic('downlink', 'uplink'))).toBe(false);
  });

  it('keeps the republished thing topics out of every rule', () => {
    const rules = [
      uplinkRuleSql('s'),
      downlinkRuleSql(),
      thingCreatedRuleSql('lorawan'),
      thingDeletedRuleSql('lorawan'),
    ];
    for (const event of THING_EVENTS) {
      for (const sql of rules) expect(ruleSelects(sql, thingTopic('s_dev1', event))).toBe(false);
    }
  });

  it('filters registry events to the thing type', () => {
    expect(thingCreatedRuleSql('lorawan')).toBe(
      "SELECT * FROM '$aws/events/thing/+/created' WHERE thingTypeName = 'lorawan'",
    );
    expect(thingDeletedRuleSql('lorawan')).toBe(
      "SELECT * FROM '$aws/events/thing/+/deleted' WHERE thingTypeName = 'lorawan'",
    );
  });

  it('produces CloudFormation !Sub templates with placeholders', () => {
    expect(UPLINK_RULE_SQL_TEMPLATE).toContain("'thethings/lorawan/${AWS::StackName}/#'");
    expect(THING_CREATED_RULE_SQL_TEMPLATE).toContain("thingTypeName = '${ThingTypeName}'");
    expect(RULE_SQL_VERSION).toBe('2016-03-23');
  });

  it.each([
    ['a stack name with a wildcard', () => ttsDownlinkPushTopic('a/#')],
    ['a stack name with a quote', () => uplinkRuleSql("x' OR 1=1 OR '")],
    ['a stack name starting with a digit', () => uplinkRuleSql('1stack')],
    ['a thing name with a separator', () => thingTopic('a/b', 'uplink')],
    ['a thing name with a wildcard', () => thingTopic('+', 'uplink')],
    ['a thing type with a quote', () => thingCreatedRuleSql("lorawan'")],
  ])('refuses %s', (_label, build) => {
    expect(build).toThrow(TtsMessageError);
  });
});
