import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@tts-aws-iot/test-kit';
import { TTS_DOWNSTREAM_SUBTOPICS, TTS_UPSTREAM_SUBTOPICS } from '@tts-aws-iot/tts';
import { startBroker } from '../src/broker';
import { RuleSyntaxError } from '../src/errors';
import { parse, type Tags } from 'yaml';
import {
  compileStatement,
  integrationRules,
  RulesEngine,
  topicMatches,
  type TopicRule,
} from '../src/rules';

const rules = integrationRules({ stackName: 'local', thingTypeName: 'lorawan' });
const rule = (name: string) => compileStatement(rules.find((r) => r.name === name)!.sql);
const matched = (statementSql: string, topic: string, payload: unknown = {}) => {
  const statement = compileStatement(statementSql);
  return topicMatches(statement.topicFilter, topic) && statement.evaluate(topic, payload).matched;
};

describe('the integration rules, compiled from libs/tts', () => {
  const uplink = rule('Uplink');

  it.each(TTS_UPSTREAM_SUBTOPICS)('routes TTS upstream %s to the uplink Lambda', (subtopic) => {
    const topic = `thethings/lorawan/local/${subtopic}`;
    expect(topicMatches(uplink.topicFilter, topic)).toBe(true);
    expect(uplink.evaluate(topic, { a: 1 })).toEqual({ matched: true, output: { a: 1 } });
  });

  it.each(TTS_DOWNSTREAM_SUBTOPICS)(
    'keeps the downlink Lambda’s own %s out of the uplink Lambda',
    (subtopic) => {
      const topic = `thethings/lorawan/local/${subtopic}`;
      expect(topicMatches(uplink.topicFilter, topic)).toBe(true);
      expect(uplink.evaluate(topic, {}).matched).toBe(false);
    },
  );

  it('ignores the traffic of other stacks', () => {
    expect(topicMatches(uplink.topicFilter, 'thethings/lorawan/other/uplink')).toBe(false);
  });

  it('routes downlink requests, not the answers on lorawan/downlink/failed', () => {
    const downlink = rule('Downlink');
    expect(topicMatches(downlink.topicFilter, 'lorawan/downlink')).toBe(true);
    expect(topicMatches(downlink.topicFilter, 'lorawan/downlink/failed')).toBe(false);
  });

  it('routes registry events of the integration’s thing type only', () => {
    const created = rule('ThingCreatedDevice');
    const topic = '$aws/events/thing/0004A30B001C0530/created';
    expect(topicMatches(created.topicFilter, topic)).toBe(true);
    expect(created.evaluate(topic, { thingTypeName: 'lorawan', thingName: 'x' }).matched).toBe(
      true,
    );
    expect(created.evaluate(topic, { thingTypeName: 'other' }).matched).toBe(false);
    expect(created.evaluate(topic, { thingTypeName: null }).matched).toBe(false);
    expect(created.evaluate(topic, {}).matched).toBe(false);
    expect(topicMatches(rule('ThingDeleted').topicFilter, '$aws/events/thing/x/deleted')).toBe(
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
});

// The SAM templates are the deployed truth: the local rules must route the same statements to
// the same functions (infra's own tests check the statements against libs/tts).
describe('the local rules next to infra/', () => {
  const tags = [
    'Sub',
    'GetAtt',
    'Ref',
    'If',
    'Join',
    'Equals',
    'Not',
    'Select',
    'Split',
    'FindInMap',
    'Condition',
    'And',
    'Or',
    'Base64',
  ].flatMap((name) => [
    { tag: `!${name}`, resolve: (value: string) => value },
    { tag: `!${name}`, collection: 'seq' as const, resolve: (value: unknown) => value },
  ]) as Tags;
  interface Resource {
    readonly Type: string;
    readonly Properties: {
      readonly TopicRulePayload?: {
        readonly Sql: string;
        readonly Actions: { readonly Lambda?: { readonly FunctionArn: string } }[];
      };
      readonly CodeUri?: string;
    };
  }
  const parameters: Record<string, string> = {
    'AWS::StackName': 'local',
    StackName: 'local',
    ThingTypeName: 'lorawan',
  };

  function deployedRules(template: string): { sql: string; functionName: string }[] {
    const text = readFileSync(
      join(__dirname, '..', '..', '..', 'infra', template, 'template.yaml'),
      'utf8',
    );
    const resources = (parse(text, { customTags: tags }) as { Resources: Record<string, Resource> })
      .Resources;
    return Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::IoT::TopicRule')
      .flatMap((resource) => {
        const payload = resource.Properties.TopicRulePayload!;
        const sql = payload.Sql.replace(
          /\$\{([^}]+)\}/g,
          (_, name: string) => parameters[name] ?? `<unknown ${name}>`,
        );
        return payload.Actions.filter((action) => action.Lambda).map((action) => {
          const functionId = action.Lambda!.FunctionArn.replace(/\.Arn$/, '');
          const codeUri = resources[functionId]?.Properties.CodeUri ?? '';
          return {
            sql,
            functionName:
              /dist\/packages\/([^/]+)/.exec(codeUri)?.[1] ?? `<no bundle for ${functionId}>`,
          };
        });
      });
  }

  it('invokes the same function with the same statement as every deployed rule', () => {
    const deployed = [...deployedRules('traffic'), ...deployedRules('registry')];
    const local = rules.map(({ sql, functionName }) => ({ sql, functionName }));
    const order = (list: { sql: string; functionName: string }[]) =>
      [...list].sort((a, b) =>
        `${a.functionName}${a.sql}`.localeCompare(`${b.functionName}${b.sql}`),
      );
    expect(order(local)).toEqual(order(deployed));
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
    try {
      await broker.publish('thethings/lorawan/local/downlink/push', '{"downlinks":[]}');
      await broker.publish('thethings/lorawan/local/uplink', '{"uplink_message":{"f_cnt":1}}');
      await broker.publish('lorawan/downlink', 'not json');
      expect(invoked).toEqual([
        ['uplink', { uplink_message: { f_cnt: 1 } }, 'thethings/lorawan/local/uplink'],
      ]);
      expect(skipped).toEqual(['lorawan/downlink']);
    } finally {
      await engine.stop();
      await broker.close();
    }
  });
});
