/**
 * Desired-state downlinks in the traffic template: the rule on the lorawan shadow's delta
 * topic (its statement is libs/tts's, checked with the other rules in rules.test.ts), the
 * rule error role that may report its failures, and the managed policy for applications,
 * which reaches the lorawan shadow and nothing else.
 */
import { desiredDownlinkRuleSql, LORAWAN_SHADOW_DELTA_TOPIC } from '@tts-aws-iot/tts';

import { ACCOUNT, GROUPS, REGION, STACK, properties, scenario } from './fixtures';
import { allows, trustStatements, type Statement } from './policy';

const iot = (resource: string) => `arn:aws:iot:${REGION}:${ACCOUNT}:${resource}`;
const THING = '0004A30B001C0530';

function writerStatements(): Statement[] {
  const policy = properties(GROUPS.traffic, 'DesiredDownlinkWriterPolicy') as {
    PolicyDocument: { Statement: Statement[] };
  };
  return policy.PolicyDocument.Statement;
}

describe('desired-state downlinks (traffic template)', () => {
  it('matches deltas of the lorawan shadow with a desired downlink only', () => {
    expect(LORAWAN_SHADOW_DELTA_TOPIC).toBe('$aws/things/+/shadow/name/lorawan/update/delta');
    expect(desiredDownlinkRuleSql()).toContain('WHERE NOT isUndefined(state.downlink)');
  });

  it('names the rule within 128 characters for the longest stack name', () => {
    const longest = `a${'b'.repeat(113)}`;
    const { RuleName } = properties(
      GROUPS.traffic,
      'DesiredDownlinkRule',
      scenario({ StackName: longest }),
    ) as { RuleName: string };
    expect(RuleName).toBe(`${longest}_desired`);
    expect(RuleName.length).toBeLessThanOrEqual(128);
  });

  it("lets the rule report failures to the dead-letter queue through the rules' error role", () => {
    const [trust] = trustStatements(properties(GROUPS.traffic, 'RuleErrorRole'));
    const sources = (trust?.Condition?.['ArnEquals']?.['aws:SourceArn'] ?? []) as string[];
    expect(sources).toContain(iot(`rule/${STACK.replace(/-/g, '_')}_desired`));
  });

  it("gives applications the lorawan shadow's API and MQTT update topics, nothing else", () => {
    const statements = writerStatements();
    const base = `$aws/things/${THING}/shadow/name/lorawan`;
    for (const [action, resource] of [
      ['iot:UpdateThingShadow', iot(`thing/${THING}/lorawan`)],
      ['iot:GetThingShadow', iot(`thing/${THING}/lorawan`)],
      ['iot:Publish', iot(`topic/${base}/update`)],
      ['iot:Subscribe', iot(`topicfilter/${base}/update/accepted`)],
      ['iot:Receive', iot(`topic/${base}/update/rejected`)],
    ] as const)
      expect({ action, resource, allowed: allows(statements, action, resource) }).toMatchObject({
        allowed: true,
      });
    for (const [action, resource] of [
      ['iot:UpdateThingShadow', iot(`thing/${THING}`)],
      ['iot:UpdateThingShadow', iot(`thing/${THING}/other`)],
      ['iot:Publish', iot(`topic/$aws/things/${THING}/shadow/name/other/update`)],
      ['iot:Publish', iot(`topic/${base}/update/delta`)],
      ['iot:Publish', iot('topic/lorawan/downlink')],
      ['iot:Publish', iot(`topic/thethings/lorawan/${STACK}/downlink/push`)],
      ['iot:DeleteThingShadow', iot(`thing/${THING}/lorawan`)],
    ] as const)
      expect({ action, resource, allowed: allows(statements, action, resource) }).toMatchObject({
        allowed: false,
      });
  });
});
