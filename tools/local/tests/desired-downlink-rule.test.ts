/**
 * The desired-state downlink rule as the local stack runs it: read from infra/traffic, its
 * statement evaluated on the deltas the local shadow service publishes.
 */
import { join } from 'node:path';
import { desiredDownlinkRuleSql } from '@tts-aws-iot/tts';

import { compileStatement, integrationRules, topicMatches } from '../src/rules';

const INFRA = join(__dirname, '..', '..', '..', 'infra');
const rules = integrationRules({ stackName: 'local', thingTypeName: 'lorawan', infraDir: INFRA });
const desired = rules.find((rule) => rule.name === 'DesiredDownlinkRule');
const DELTA = '$aws/things/0004A30B001C0530/shadow/name/lorawan/update/delta';

describe('the desired-state downlink rule, read from infra/', () => {
  it("is libs/tts's statement and invokes HandleDownlink", () => {
    expect(desired?.sql).toBe(desiredDownlinkRuleSql());
    expect(desired?.target).toEqual({ kind: 'lambda', functionName: 'downlink' });
  });

  it('passes the thing and the shadow version of a delta with a desired downlink', () => {
    const statement = compileStatement(desired!.sql);
    expect(topicMatches(statement.topicFilter, DELTA)).toBe(true);
    expect(
      statement.evaluate(DELTA, { state: { downlink: { bytes: 'AQI=' } }, version: 7 }),
    ).toEqual({ matched: true, output: { thingName: '0004A30B001C0530', shadowVersion: 7 } });
  });

  it('ignores deltas without a desired downlink, and the other shadows', () => {
    const statement = compileStatement(desired!.sql);
    expect(statement.evaluate(DELTA, { state: { other: 1 }, version: 8 })).toEqual({
      matched: false,
    });
    expect(
      topicMatches(statement.topicFilter, '$aws/things/x/shadow/name/other/update/delta'),
    ).toBe(false);
    expect(topicMatches(statement.topicFilter, '$aws/things/x/shadow/update/delta')).toBe(false);
  });
});
