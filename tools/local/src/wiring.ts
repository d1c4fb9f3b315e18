import { join } from 'node:path';
import type { Broker } from './broker';
import type { LambdaRunner } from './lambda-runner';
import type { TrafficLog } from './log';
import type { LocalOptions } from './options';
import { integrationRules, RulesEngine, type TopicRule } from './rules';
import { LocalQueue } from './sqs-queue';

/** The account and region every ARN of the local stack names. */
export const ACCOUNT_ID = '123456789012';
export const REGION = 'us-east-1';
/** How long stopping waits for what the last messages started (as Lambda would let it finish). */
export const STOP_GRACE_MS = 5_000;

/** The rules of infra/ running against the broker, and the SQS queues their actions feed. */
export interface RuleWiring {
  readonly rules: RulesEngine;
  readonly queues: ReadonlyMap<string, LocalQueue>;
  /** The rules, one per action (ListTopicRules and GetTopicRule of the AWS API show them). */
  readonly topicRules: readonly TopicRule[];
  /** Lets what is queued finish (bounded by {@link STOP_GRACE_MS}), then stops. */
  stop(): Promise<void>;
}

/**
 * Starts the rules of infra/ as deployed: a Lambda action invokes its function
 * asynchronously; an SQS action queues the event for the function that the queue's event
 * source feeds in batches.
 */
export async function startRules(
  broker: Broker,
  runner: LambdaRunner,
  settings: {
    readonly options: LocalOptions;
    readonly rootDir: string;
    readonly log: TrafficLog;
    readonly queueRetryDelaysMs?: readonly number[] | undefined;
  },
): Promise<RuleWiring> {
  const { options, log } = settings;
  const topicRules = integrationRules({
    stackName: options.stackName,
    thingTypeName: options.thingTypeName,
    infraDir: join(settings.rootDir, 'infra'),
  });
  const queues = ruleQueues(topicRules, runner, log, settings.queueRetryDelaysMs);
  const rules = await RulesEngine.start(
    broker,
    topicRules,
    (rule, event) => {
      if (rule.target.kind === 'sqs')
        queues.get(rule.target.queueName)?.send(JSON.stringify(event));
      else void runner.invokeEvent(rule.functionName, event);
    },
    (rule, topic, reason) => log.info(`rule ${rule.name} skipped a message on ${topic}: ${reason}`),
  );
  return {
    rules,
    queues,
    topicRules,
    async stop() {
      await rules.stop();
      const all = [...queues.values()];
      await Promise.race([
        Promise.all(all.map((queue) => queue.idle())),
        new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref()),
      ]);
      await Promise.all(all.map((queue) => queue.close()));
    },
  };
}

/** One queue per SQS action's queue, consumed by the function its event source names. */
function ruleQueues(
  topicRules: readonly TopicRule[],
  runner: LambdaRunner,
  log: TrafficLog,
  retryDelaysMs: readonly number[] | undefined,
): Map<string, LocalQueue> {
  const queues = new Map<string, LocalQueue>();
  for (const { target } of topicRules) {
    if (target.kind !== 'sqs' || queues.has(target.queueName)) continue;
    queues.set(
      target.queueName,
      new LocalQueue({
        name: target.queueName,
        batchSize: target.batchSize,
        consume: (event) => runner.invoke(target.functionName, event),
        region: REGION,
        accountId: ACCOUNT_ID,
        ...(retryDelaysMs && { retryDelaysMs }),
        onDeadLetter: (queue, messageId, receives) =>
          log.info(
            `${queue}: message ${messageId} failed ${receives} receives; moved to the dead-letter queue`,
          ),
      }),
    );
  }
  return queues;
}
