import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type Tags } from 'yaml';
import { LocalStackError } from './errors';

/** Where a rule sends what it selects. */
export type RuleTarget =
  /** The Lambda action: the function is invoked asynchronously with the selected JSON. */
  | { readonly kind: 'lambda'; readonly functionName: string }
  /**
   * The SQS action (UseBase64 false): the selected JSON is the message body, and the function
   * that the queue's event source feeds receives it in SQS batches.
   */
  | {
      readonly kind: 'sqs';
      readonly queueName: string;
      readonly functionName: string;
      readonly batchSize: number;
    };

/** A TopicRule of infra/ with its statement resolved for one stack. */
export interface TemplateRule {
  /** The TopicRule's logical ID, e.g. `UplinkRule`. */
  readonly name: string;
  readonly sql: string;
  readonly targets: readonly RuleTarget[];
}

/** A CloudFormation intrinsic as the YAML short form writes it (`!Ref X` → `{ tag: 'Ref', value: 'X' }`). */
interface Intrinsic {
  readonly tag: string;
  readonly value: unknown;
}

const INTRINSICS = [
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
  'ImportValue',
  'GetAZs',
];
const TAGS = INTRINSICS.flatMap((name) => [
  { tag: `!${name}`, resolve: (value: string): Intrinsic => ({ tag: name, value }) },
  {
    tag: `!${name}`,
    collection: 'seq' as const,
    resolve: (value: unknown): Intrinsic => ({ tag: name, value }),
  },
  {
    tag: `!${name}`,
    collection: 'map' as const,
    resolve: (value: unknown): Intrinsic => ({ tag: name, value }),
  },
]) as Tags;

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** The templates whose TopicRules the local stack runs. */
const RULE_TEMPLATES = ['traffic', 'registry'];

/**
 * Reads the TopicRules of infra/traffic and infra/registry: each rule's SQL with `${Param}`
 * resolved from `parameters` (`StackName`, `ThingTypeName`, `AWS::StackName`), and each
 * action's target — a Lambda action's function, or an SQS action's queue and the function
 * its event source feeds — named by the function's bundle (`CodeUri: …/dist/packages/<name>/`).
 * A rule the local stack cannot run as AWS would (an unknown parameter, another action) is
 * a `LocalStackError` at start, never a silently different route.
 */
export function readTemplateRules(
  infraDir: string,
  parameters: Readonly<Record<string, string>>,
): TemplateRule[] {
  return RULE_TEMPLATES.flatMap((template) => {
    const path = join(infraDir, template, 'template.yaml');
    const document = parse(readFileSync(path, 'utf8'), { customTags: TAGS }) as {
      Resources?: Record<string, Resource>;
    };
    const resources = document.Resources ?? {};
    const fail = (message: string): never => {
      throw new LocalStackError('unsupported_template', `${path}: ${message}`, { path });
    };
    const bundleOf = (functionID: string): string => {
      const codeUri = resources[functionID]?.Properties?.['CodeUri'];
      const name =
        typeof codeUri === 'string' ? /dist\/packages\/([^/]+)/.exec(codeUri)?.[1] : undefined;
      return name ?? fail(`${functionID} is no function with a bundle under dist/packages`);
    };
    const consumerOf = (queueID: string): { functionName: string; batchSize: number } => {
      for (const [id, resource] of Object.entries(resources)) {
        if (resource.Type !== 'AWS::Serverless::Function') continue;
        const events = (resource.Properties?.['Events'] ?? {}) as Record<
          string,
          { Type?: string; Properties?: Record<string, unknown> }
        >;
        for (const event of Object.values(events)) {
          if (event.Type !== 'SQS') continue;
          const queue = event.Properties?.['Queue'] as Intrinsic | undefined;
          if (queue?.tag === 'GetAtt' && queue.value === `${queueID}.Arn`) {
            const batchSize = Number(event.Properties?.['BatchSize'] ?? 10);
            return { functionName: bundleOf(id), batchSize };
          }
        }
      }
      return fail(`no function consumes the queue ${queueID} (an SQS event of a function)`);
    };
    const sub = (value: unknown, rule: string): string => {
      const text =
        typeof value === 'string'
          ? value
          : isIntrinsic(value) && value.tag === 'Sub' && typeof value.value === 'string'
            ? value.value
            : fail(`the Sql of ${rule} is neither a string nor !Sub of one`);
      return text.replace(
        /\$\{([^}]+)\}/g,
        (_, name: string) =>
          parameters[name] ?? fail(`the Sql of ${rule} names \${${name}}, which is not known here`),
      );
    };

    return Object.entries(resources)
      .filter(([, resource]) => resource.Type === 'AWS::IoT::TopicRule')
      .map(([name, resource]) => {
        const payload = resource.Properties?.['TopicRulePayload'] as
          { Sql?: unknown; Actions?: Record<string, unknown>[] } | undefined;
        if (!payload) return fail(`${name} has no TopicRulePayload`);
        const targets = (payload.Actions ?? []).map((action): RuleTarget => {
          const kinds = Object.keys(action);
          if (kinds.length === 1 && kinds[0] === 'Lambda') {
            const arn = (action['Lambda'] as { FunctionArn?: unknown }).FunctionArn;
            if (!isIntrinsic(arn) || arn.tag !== 'GetAtt' || typeof arn.value !== 'string')
              return fail(`${name}: a Lambda action's FunctionArn must be !GetAtt <Function>.Arn`);
            return { kind: 'lambda', functionName: bundleOf(arn.value.replace(/\.Arn$/, '')) };
          }
          if (kinds.length === 1 && kinds[0] === 'Sqs') {
            const sqs = action['Sqs'] as { QueueUrl?: unknown; UseBase64?: unknown };
            if (!isIntrinsic(sqs.QueueUrl) || sqs.QueueUrl.tag !== 'Ref')
              return fail(`${name}: an Sqs action's QueueUrl must be !Ref <Queue>`);
            if (sqs.UseBase64 === true)
              return fail(`${name}: the local stack sends raw bodies only (UseBase64: false)`);
            const queueName = String(sqs.QueueUrl.value);
            return { kind: 'sqs', queueName, ...consumerOf(queueName) };
          }
          return fail(`${name}: the local stack runs Lambda and Sqs actions, not ${kinds.join()}`);
        });
        return { name, sql: sub(payload.Sql, name), targets };
      });
  });
}

function isIntrinsic(value: unknown): value is Intrinsic {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { tag?: unknown }).tag === 'string' &&
    'value' in value
  );
}
