import { join } from 'node:path';
import { freePort } from '@tts-aws-iot/test-kit';
import {
  desiredDownlinkRuleSql,
  downlinkRuleSql,
  thingCreatedRuleSql,
  thingDeletedRuleSql,
  TTS_DOWNSTREAM_SUBTOPICS,
  TTS_UPSTREAM_SUBTOPICS,
  uplinkRuleSql,
} from '@tts-aws-iot/tts';
import { connectAsync } from 'mqtt';
import { mqttAddress, startBroker } from '../src/broker';
import { RuleSyntaxError } from '../src/errors';
import {
  compileStatement,
  integrationRules,
  RulesEngine,
  topicMatches,
  type TopicRule,
} from '../src/rules';

const INFRA = join(__dirname, '..', '..', '..', 'infra');
const TTS_CLIENT = 'thethings-local';
const rules = integrationRules({ stackName: 'local', thingTypeName: 'lorawan', infraDir: INFRA });
const rule = (name: string) => compileStatement(rules.find((r) => r.name === name)!.sql);
const matched = (statementSql: string, topic: string, payload: unknown = {}) => {
  const statement = compileStatement(statementSql);
  return topicMatches(statement.topicFilter, topic) && statement.evaluate(topic, payload).matched;
};

describe('the integration rules, read from infra/', () => {
  const uplink = rule('UplinkRule');

  it.each(TTS_UPSTREAM_SUBTOPICS)(
    'routes TTS upstream %s from TTS’s own client to the uplink Lambda',
    (subtopic) => {
      const topic = `thethings/lorawan/local/${subtopic}`;
      expect(topicMatches(uplink.topicFilter, topic)).toBe(true);
      expect(uplink.evaluate(topic, { a: 1 }, TTS_CLIENT)).toEqual({
        matched: true,
        output: { a: 1 },
      });
    },
  );

  it('keeps messages of any other client, or not sent over MQTT, out of the uplink Lambda', () => {
    const topic = 'thethings/lorawan/local/uplink';
    expect(uplink.evaluate(topic, { a: 1 }, 'thethings-other').matched).toBe(false);
    expect(uplink.evaluate(topic, { a: 1 }, 'attacker').matched).toBe(false);
    expect(uplink.evaluate(topic, { a: 1 }).matched).toBe(false);
  });

  it.each(TTS_DOWNSTREAM_SUBTOPICS)(
    'keeps the downlink Lambda’s own %s out of the uplink Lambda',
    (subtopic) => {
      const topic = `thethings/lorawan/local/${subtopic}`;
      expect(topicMatches(uplink.topicFilter, topic)).toBe(true);
      expect(uplink.evaluate(topic, {}, TTS_CLIENT).matched).toBe(false);
    },
  );

  it('ignores the traffic of other stacks', () => {
    expect(topicMatches(uplink.topicFilter, 'thethings/lorawan/other/uplink')).toBe(false);
  });

  it('routes downlink requests, not the answers on lorawan/downlink/failed', () => {
    const downlink = rule('DownlinkRule');
    expect(topicMatches(downlink.topicFilter, 'lorawan/downlink')).toBe(true);
    expect(topicMatches(downlink.topicFilter, 'lorawan/downlink/failed')).toBe(false);
  });

  it('routes registry events of the integration’s thing type only', () => {
    const created = rule('CreateDeviceRule');
    const topic = '$aws/events/thing/0004A30B001C0530/created';
    expect(topicMatches(created.topicFilter, topic)).toBe(true);
    expect(created.evaluate(topic, { thingTypeName: 'lorawan', thingName: 'x' }).matched).toBe(
      true,
    );
    expect(created.evaluate(topic, { thingTypeName: 'other' }).matched).toBe(false);
    expect(created.evaluate(topic, { thingTypeName: null }).matched).toBe(false);
    expect(created.evaluate(topic, {}).matched).toBe(false);
    expect(topicMatches(rule('DeleteDeviceRule').topicFilter, '$aws/events/thing/x/deleted')).toBe(
      true,
    );
  });

  it('sends a created event to both registry Lambdas and a deleted event to create-device', () => {
    const targets = (suffix: string) =>
      rules
        .filter((r) =>
          topicMatches(compileStatement(r.sql).topicFilter, `$aws/events/thing/t/${suffix}`),
        )
        .map((r) => r.functionName);
    expect(targets('created').sort()).toEqual(['claim', 'create-device']);
    expect(targets('deleted')).toEqual(['create-device']);
  });

  // The templates are the deployed truth and the local stack reads them; infra's own tests
  // hold their statements to libs/tts. Traffic goes to its Lambdas directly; registry events
  // through a queue per function when the templates route them so.
  it('runs the statements of libs/tts with the functions the templates name', () => {
    const routes = rules.map(({ name, sql, functionName }) => ({ name, sql, functionName }));
    expect(routes).toEqual(
      expect.arrayContaining([
        { name: 'UplinkRule', sql: uplinkRuleSql('local'), functionName: 'uplink' },
        { name: 'DownlinkRule', sql: downlinkRuleSql(), functionName: 'downlink' },
        {
          name: 'DesiredDownlinkRule',
          sql: desiredDownlinkRuleSql(),
          functionName: 'downlink',
        },
        {
          name: 'CreateDeviceRule',
          sql: thingCreatedRuleSql('lorawan'),
          functionName: 'create-device',
        },
        {
          name: 'DeleteDeviceRule',
          sql: thingDeletedRuleSql('lorawan'),
          functionName: 'create-device',
        },
        { name: 'ClaimRule', sql: thingCreatedRuleSql('lorawan'), functionName: 'claim' },
      ]),
    );
    expect(routes).toHaveLength(6);
    for (const r of rules) {
      if (r.target.kind === 'sqs')
        expect(r.name).toMatch(/^(CreateDevice|DeleteDevice|Claim)Rule$/);
    }
  });

  it('resolves ${StackName} in the uplink rule’s clientid() condition', () => {
    expect(rules.find((r) => r.name === 'UplinkRule')!.sql).toContain(
      "clientid() = 'thethings-local'",
    );
  });
});

describe('the IoT SQL subset', () => {
  it('treats a missing field or topic level as Undefined, which never passes WHERE', () => {
    expect(matched("SELECT * FROM 'a/#' WHERE x = 1", 'a/b', {})).toBe(false);
    expect(matched("SELECT * FROM 'a/#' WHERE NOT (x = 1)", 'a/b', {})).toBe(false);
    expect(matched("SELECT * FROM 'a/#' WHERE x <> 1", 'a/b', {})).toBe(false);
    expect(matched("SELECT * FROM 'a/#' WHERE topic(3) = 'c'", 'a/b', {})).toBe(false);
    expect(matched("SELECT * FROM 'a/#' WHERE isUndefined(topic(3))", 'a/b', {})).toBe(true);
    expect(matched("SELECT * FROM 'a/#' WHERE isUndefined(x.y)", 'a/b', { x: 1 })).toBe(true);
    expect(matched("SELECT * FROM 'a/#' WHERE isNull(x)", 'a/b', { x: null })).toBe(true);
  });

  it('decides AND and OR with three-valued logic', () => {
    expect(matched("SELECT * FROM 'a/#' WHERE x = 1 AND missing = 2", 'a/b', { x: 2 })).toBe(false);
    expect(matched("SELECT * FROM 'a/#' WHERE NOT (x = 1 AND missing = 2)", 'a/b', { x: 2 })).toBe(
      true,
    );
    expect(matched("SELECT * FROM 'a/#' WHERE x = 1 OR missing = 2", 'a/b', { x: 1 })).toBe(true);
    expect(matched("SELECT * FROM 'a/#' WHERE NOT (x = 2 OR missing = 2)", 'a/b', { x: 1 })).toBe(
      false,
    );
    expect(matched("SELECT * FROM 'a/#' WHERE flag AND 'TRUE'", 'a/b', { flag: 'true' })).toBe(
      true,
    );
  });

  it('compares values by type: numbers, strings, objects, and ordering as numbers', () => {
    expect(matched("SELECT * FROM 'a' WHERE n = 1", 'a', { n: 1 })).toBe(true);
    expect(matched("SELECT * FROM 'a' WHERE n = '1'", 'a', { n: 1 })).toBe(false);
    expect(matched("SELECT * FROM 'a' WHERE n >= 2.5 AND n < 10", 'a', { n: '3' })).toBe(true);
    expect(matched("SELECT * FROM 'a' WHERE s != 'it''s'", 'a', { s: "it's" })).toBe(false);
    expect(
      matched("SELECT * FROM 'a' WHERE topic() = 'a' AND startswith(s, 'ab')", 'a', { s: 'abc' }),
    ).toBe(true);
  });

  it('selects named expressions next to *', () => {
    const statement = compileStatement("SELECT *, topic(2) AS thing, meta.id FROM 'x/+'");
    expect(statement.evaluate('x/dev1', { a: 1, meta: { id: 7 } })).toEqual({
      matched: true,
      output: { a: 1, meta: { id: 7 }, thing: 'dev1', id: 7 },
    });
  });

  it('matches MQTT filters level by level; wildcards never match $ topics', () => {
    expect(topicMatches('a/+/c', 'a/b/c')).toBe(true);
    expect(topicMatches('a/+/c', 'a/b/c/d')).toBe(false);
    expect(topicMatches('a/#', 'a')).toBe(true);
    expect(topicMatches('#', '$aws/events/thing/x/created')).toBe(false);
    expect(topicMatches('$aws/events/thing/+/created', '$aws/events/thing/x/created')).toBe(true);
  });

  it('evaluates clientid(): the publishing MQTT client, n/a for other publishers', () => {
    const statement = compileStatement("SELECT * FROM 'a' WHERE clientid() = 'c1'");
    expect(statement.evaluate('a', {}, 'c1').matched).toBe(true);
    expect(statement.evaluate('a', {}, 'c2').matched).toBe(false);
    expect(statement.evaluate('a', {}).matched).toBe(false);
    expect(compileStatement("SELECT clientid() AS c FROM 'a'").evaluate('a', {})).toEqual({
      matched: true,
      output: { c: 'n/a' },
    });
    expect(() => compileStatement("SELECT * FROM 'a' WHERE clientid(1) = 'c'")).toThrow(
      'clientid() takes 0 argument(s)',
    );
  });

  it.each([
    ["SELECT * FROM 'a' WHERE lower(x) = 'a'", 'Function lower() is not in'],
    ['SELECT * WHERE x = 1', 'Expected FROM'],
    ["SELECT * FROM 'a", 'Unterminated string'],
    ['SELECT * FROM a', 'Expected the topic filter as a quoted string'],
    ["SELECT * FROM 'a' WHERE x = 1 LIMIT 1", 'Unexpected "LIMIT"'],
    ["SELECT topic(1) FROM 'a'", 'Name this SELECT expression with AS'],
  ])('refuses %s, naming the problem', (sql, problem) => {
    expect(() => compileStatement(sql)).toThrow(RuleSyntaxError);
    expect(() => compileStatement(sql)).toThrow(problem);
  });
});

describe('the rules engine on the broker', () => {
  it('invokes the target of the matching rule only, with the selected payload', async () => {
    const broker = await startBroker({ port: await freePort() });
    const invoked: [string, unknown, string][] = [];
    const skipped: string[] = [];
    const engine = await RulesEngine.start(
      broker,
      rules,
      (r: TopicRule, event, topic) => invoked.push([r.functionName, event, topic]),
      (_r, topic) => skipped.push(topic),
    );
    const tts = await connectAsync({ ...mqttAddress(broker.url), clientId: TTS_CLIENT });
    try {
      await tts.publishAsync('thethings/lorawan/local/downlink/push', '{"downlinks":[]}', {
        qos: 1,
      });
      await tts.publishAsync('thethings/lorawan/local/uplink', '{"uplink_message":{"f_cnt":1}}', {
        qos: 1,
      });
      await broker.publish('lorawan/downlink', 'not json');
      expect(invoked).toEqual([
        ['uplink', { uplink_message: { f_cnt: 1 } }, 'thethings/lorawan/local/uplink'],
      ]);
      expect(skipped).toEqual(['lorawan/downlink']);
    } finally {
      await tts.endAsync();
      await engine.stop();
      await broker.close();
    }
  });

  it('does not invoke the uplink Lambda for a message on the TTS uplink topic from another client ID', async () => {
    const broker = await startBroker({ port: await freePort() });
    const invoked: string[] = [];
    const engine = await RulesEngine.start(broker, rules, (r: TopicRule, _event, topic) =>
      invoked.push(`${r.functionName} ${topic}`),
    );
    const impostor = await connectAsync({ ...mqttAddress(broker.url), clientId: 'not-tts' });
    const tts = await connectAsync({ ...mqttAddress(broker.url), clientId: TTS_CLIENT });
    try {
      const uplink = '{"uplink_message":{"f_cnt":7}}';
      await impostor.publishAsync('thethings/lorawan/local/uplink', uplink, { qos: 1 });
      // Over HTTP (the data plane's Publish), clientid() is n/a: not TTS either.
      await broker.publish('thethings/lorawan/local/uplink', uplink);
      expect(invoked).toEqual([]);
      await tts.publishAsync('thethings/lorawan/local/uplink', uplink, { qos: 1 });
      expect(invoked).toEqual(['uplink thethings/lorawan/local/uplink']);
    } finally {
      await Promise.all([impostor.endAsync(), tts.endAsync()]);
      await engine.stop();
      await broker.close();
    }
  });
});
