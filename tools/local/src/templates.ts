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
  return RULE_TEMPLATES.flatMap((template) =>
    new TemplateReader(join(infraDir, template, 'template.yaml'), parameters).topicRules(),
  );
}

/** One template's resources, read as the local stack needs them. */
class TemplateReader {
  private readonly resources: Record<string, Resource>;

  constructor(
    private readonly path: string,
    private readonly parameters: Readonly<Record<string, string>>,
  ) {
    const document = parse(readFileSync(path, 'utf8'), { customTags: TAGS }) as {
      Resources?: Record<string, Resource>;
    };
    this.resources = document.Resources ?? {};
  }

  topicRules(): TemplateRule[] {
    return Object.entries(this.resources)
      .filter(([, resource]) => resource.Type === 'AWS::IoT::TopicRule')
      .map(([name, resource]) => {
        const payload = resource.Properties?.['TopicRulePayload'] as
          { Sql?: unknown; Actions?: Record<string, unknown>[] } | undefined;
        if (!payload) return this.fail(`${name} has no TopicRulePayload`);
        const targets = (payload.Actions ?? []).map((action) => this.target(name, action));
        return { name, sql: this.sql(payload.Sql, name), targets };
      });
  }

  /** Where a rule's action leads: a Lambda action's function, an Sqs action's queue and consumer. */
  private target(rule: string, action: Record<string, unknown>): RuleTarget {
    const kinds = Object.keys(action);
    if (kinds.length === 1 && kinds[0] === 'Lambda') {
      const arn = (action['Lambda'] as { FunctionArn?: unknown }).FunctionArn;
      if (!isIntrinsic(arn) || arn.tag !== 'GetAtt' || typeof arn.value !== 'string')
        return this.fail(`${rule}: a Lambda action's FunctionArn must be !GetAtt <Function>.Arn`);
      return { kind: 'lambda', functionName: this.bundleOf(arn.value.replace(/\.Arn$/, '')) };
    }
    if (kinds.length === 1 && kinds[0] === 'Sqs') {
      const sqs = action['Sqs'] as { QueueUrl?: unknown; UseBase64?: unknown };
      if (!isIntrinsic(sqs.QueueUrl) || sqs.QueueUrl.tag !== 'Ref')
        return this.fail(`${rule}: an Sqs action's QueueUrl must be !Ref <Queue>`);
      if (sqs.UseBase64 === true)
        return this.fail(`${rule}: the local stack sends raw bodies only (UseBase64: false)`);
      const queueName = String(sqs.QueueUrl.value);
      return { kind: 'sqs', queueName, ...this.consumerOf(queueName) };
    }
    return this.fail(`${rule}: the local stack runs Lambda and Sqs actions, not ${kinds.join()}`);
  }

  /** The bundle name of a function (`CodeUri: …/dist/packages/<name>/`). */
  private bundleOf(functionID: string): string {
    const codeUri = this.resources[functionID]?.Properties?.['CodeUri'];
    const name =
      typeof codeUri === 'string' ? /dist\/packages\/([^/]+)/.exec(codeUri)?.[1] : undefined;
    return name ?? this.fail(`${functionID} is no function with a bundle under dist/packages`);
  }

  /** The function whose SQS event source drains the queue, and its batch size. */
  private consumerOf(queueID: string): { functionName: string; batchSize: number } {
    for (const [id, resource] of Object.entries(this.resources)) {
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
          return { functionName: this.bundleOf(id), batchSize };
        }
      }
    }
    return this.fail(`no function consumes the queue ${queueID} (an SQS event of a function)`);
  }

  /** A rule's SQL with `${Param}` resolved. */
  private sql(value: unknown, rule: string): string {
    const text =
      typeof value === 'string'
        ? value
        : isIntrinsic(value) && value.tag === 'Sub' && typeof value.value === 'string'
          ? value.value
          : this.fail(`the Sql of ${rule} is neither a string nor !Sub of one`);
    return text.replace(
      /\$\{([^}]+)\}/g,
      (_, name: string) =>
        this.parameters[name] ??
        this.fail(`the Sql of ${rule} names \${${name}}, which is not known here`),
    );
  }

  private fail(message: string): never {
    throw new LocalStackError('unsupported_template', `${this.path}: ${message}`, {
      path: this.path,
    });
  }
}

function isIntrinsic(value: unknown): value is Intrinsic {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { tag?: unknown }).tag === 'string' &&
    'value' in value
  );
}
