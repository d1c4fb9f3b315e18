import { AwsServiceError } from '../errors';
import type { TopicRule } from '../rules';
import {
  epochSeconds,
  listQuery,
  pageOf,
  route,
  type ApiRequest,
  type ApiResponse,
  type Route,
} from './http';

/** A topic rule as ListTopicRules and GetTopicRule show it. */
interface LocalTopicRule {
  readonly ruleName: string;
  readonly ruleArn: string;
  readonly sql: string;
  readonly topicPattern: string;
  readonly actions: readonly Record<string, unknown>[];
  readonly createdAt: Date;
}

const RULE_LIMITS = { sizeParam: 'maxResults', defaultSize: 50, max: 10_000 };

/**
 * ListTopicRules and GetTopicRule over the rules the local rules engine runs (the TopicRules
 * of infra/, set at start): read-only, as the rules come from the templates. Rule names are
 * built as the templates' `RuleName` builds them: `<stack with _ for ->_<rule>`.
 */
export class TopicRules {
  readonly routes: readonly Route[];
  private rules: LocalTopicRule[] = [];

  constructor(private readonly options: { readonly accountId: string; readonly region: string }) {
    this.routes = [
      route('ListTopicRules', 'GET', /^\/rules\/?$/, (r) => this.list(r)),
      route('GetTopicRule', 'GET', /^\/rules\/([^/]+)$/, (_r, name) => this.get(name)),
    ];
  }

  /** Replaces the rules; `rules` has one entry per action, as the rules engine takes them. */
  set(rules: readonly TopicRule[], stackName: string): void {
    const byName = new Map<string, LocalTopicRule>();
    const createdAt = new Date();
    for (const rule of rules) {
      const ruleName = awsRuleName(rule.name, stackName);
      const known = byName.get(ruleName);
      const action = actionOf(rule, this.options);
      byName.set(ruleName, {
        ruleName,
        ruleArn: `arn:aws:iot:${this.options.region}:${this.options.accountId}:rule/${ruleName}`,
        sql: rule.sql,
        topicPattern: /FROM\s+'([^']*)'/i.exec(rule.sql)?.[1] ?? '',
        actions: [...(known?.actions ?? []), action],
        createdAt: known?.createdAt ?? createdAt,
      });
    }
    this.rules = [...byName.values()].sort((a, b) => a.ruleName.localeCompare(b.ruleName));
  }

  private list(request: ApiRequest): ApiResponse {
    const topic = request.query.get('topic');
    const disabled = request.query.get('ruleDisabled');
    const matching = this.rules.filter(
      (rule) => (topic === null || rule.topicPattern === topic) && disabled !== 'true',
    );
    const page = pageOf(matching, listQuery(request), RULE_LIMITS);
    return {
      status: 200,
      json: {
        rules: page.items.map((rule) => ({
          ruleArn: rule.ruleArn,
          ruleName: rule.ruleName,
          topicPattern: rule.topicPattern,
          createdAt: epochSeconds(rule.createdAt),
          ruleDisabled: false,
        })),
        nextToken: page.nextToken,
      },
    };
  }

  private get(ruleName: string): ApiResponse {
    const rule = this.rules.find((r) => r.ruleName === ruleName);
    // AWS answers a rule that does not exist as one the caller may not see (moto: 404).
    if (!rule)
      throw new AwsServiceError(
        'UnauthorizedException',
        401,
        `Access to topic rule '${ruleName}' was denied: no such rule. ListTopicRules shows the local stack's rules.`,
      );
    return {
      status: 200,
      json: {
        ruleArn: rule.ruleArn,
        rule: {
          ruleName: rule.ruleName,
          sql: rule.sql,
          createdAt: epochSeconds(rule.createdAt),
          actions: rule.actions,
          ruleDisabled: false,
          awsIotSqlVersion: '2016-03-23',
        },
      },
    };
  }
}

/** `UplinkRule` of stack `my-stack` → `my_stack_uplink`, as the templates' RuleName does. */
function awsRuleName(logicalID: string, stackName: string): string {
  const rule = logicalID
    .replace(/Rule$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
  return `${stackName.replaceAll('-', '_')}_${rule}`;
}

function actionOf(
  rule: TopicRule,
  options: { readonly accountId: string; readonly region: string },
): Record<string, unknown> {
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${options.region}:${options.accountId}:${resource}`;
  if (rule.target.kind === 'lambda')
    return { lambda: { functionArn: arn('lambda', `function:${rule.functionName}`) } };
  return {
    sqs: {
      queueUrl: `https://sqs.${options.region}.amazonaws.com/${options.accountId}/${rule.target.queueName}`,
      roleArn: `arn:aws:iam::${options.accountId}:role/${rule.target.queueName}-rule`,
      useBase64: false,
    },
  };
}
