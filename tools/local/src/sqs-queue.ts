import { createHash, randomUUID } from 'node:crypto';

/** What the queue's consumer answers for one batch (a Lambda with ReportBatchItemFailures). */
export type BatchConsumer = (event: LocalSqsEvent) => Promise<unknown>;

/** The SQS event of a Lambda event source mapping (the fields the functions read, and a few more). */
export interface LocalSqsEvent {
  readonly Records: {
    readonly messageId: string;
    readonly receiptHandle: string;
    readonly body: string;
    readonly attributes: Readonly<Record<string, string>>;
    readonly messageAttributes: Readonly<Record<string, never>>;
    readonly md5OfBody: string;
    readonly eventSource: 'aws:sqs';
    readonly eventSourceARN: string;
    readonly awsRegion: string;
  }[];
}

export interface LocalQueueOptions {
  /** The queue's logical ID in infra/ (`CreateDeviceQueue`). */
  readonly name: string;
  readonly consume: BatchConsumer;
  /** Records per batch, as the event source's BatchSize (default 10). */
  readonly batchSize?: number;
  /**
   * Receives before a message goes to the dead-letter queue (the redrive policy's
   * maxReceiveCount). Default 5: AWS retries for a day, the local stack for seconds.
   */
  readonly maxReceiveCount?: number;
  /**
   * How long a failed message stays invisible after its n-th receive (AWS: the visibility
   * timeout). The last entry holds for later receives. Default 1 s, 2 s, 4 s, 8 s.
   */
  readonly retryDelaysMs?: readonly number[];
  /** Batches handed to the consumer at once (default 2, the runner's environments). */
  readonly maxConcurrency?: number;
  /** A message failed every receive (the dead-letter queue). Never given the body. */
  readonly onDeadLetter?: (queue: string, messageId: string, receiveCount: number) => void;
  readonly region?: string;
  readonly accountId?: string;
}

interface Message {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  firstReceivedAt: number | undefined;
}

const DEFAULT_RETRY_DELAYS_MS = [1_000, 2_000, 4_000, 8_000];

/**
 * An in-process SQS queue with a Lambda event source mapping on it: messages sent by the
 * rules' SQS actions are handed to the consumer in batches, and the ones that failed (the
 * whole batch when the invocation failed, else the `batchItemFailures` it answered) come
 * back after a delay, up to `maxReceiveCount` receives, as SQS redelivers them after the
 * visibility timeout and finally moves them to the dead-letter queue. Delays are bounded,
 * so a local run never waits long.
 */
export class LocalQueue {
  private readonly visible: Message[] = [];
  private readonly waiting = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private scheduled = false;
  private closed = false;

  constructor(private readonly options: LocalQueueOptions) {}

  get name(): string {
    return this.options.name;
  }

  /** The `SendMessage` of the rule's SQS action: the body as it is (UseBase64 false). */
  send(body: string): string {
    const message: Message = {
      messageId: randomUUID(),
      body,
      sentAt: Date.now(),
      receiveCount: 0,
      firstReceivedAt: undefined,
    };
    if (!this.closed) {
      this.visible.push(message);
      this.schedule();
    }
    return message.messageId;
  }

  /** Resolves once no message is queued, in a batch or waiting for its retry. */
  async idle(): Promise<void> {
    while (
      !this.closed &&
      (this.visible.length > 0 || this.running.size > 0 || this.waiting.size > 0)
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20).unref());
    }
  }

  /** Drops what is queued or waiting; batches already handed out finish. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.waiting) clearTimeout(timer);
    this.waiting.clear();
    this.visible.length = 0;
    await Promise.allSettled([...this.running]);
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    // Messages sent in the same turn (the rules of one event) share a batch.
    setImmediate(() => {
      this.scheduled = false;
      this.poll();
    });
  }

  private poll(): void {
    const maxConcurrency = this.options.maxConcurrency ?? 2;
    while (!this.closed && this.visible.length > 0 && this.running.size < maxConcurrency) {
      const batch = this.visible.splice(0, this.options.batchSize ?? 10);
      const run = this.deliver(batch).finally(() => {
        this.running.delete(run);
        this.schedule();
      });
      this.running.add(run);
    }
  }

  private async deliver(batch: Message[]): Promise<void> {
    const now = Date.now();
    for (const message of batch) {
      message.receiveCount++;
      message.firstReceivedAt ??= now;
    }
    let failed: Set<string>;
    try {
      const answer = await this.options.consume(this.event(batch));
      failed = failedItems(answer, batch);
    } catch {
      // The invocation failed (after the runner's own handling): the whole batch comes back.
      failed = new Set(batch.map((message) => message.messageId));
    }
    for (const message of batch) if (failed.has(message.messageId)) this.retry(message);
  }

  private retry(message: Message): void {
    if (this.closed) return;
    const maxReceiveCount = this.options.maxReceiveCount ?? 5;
    if (message.receiveCount >= maxReceiveCount) {
      this.options.onDeadLetter?.(this.name, message.messageId, message.receiveCount);
      return;
    }
    const delays = this.options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    const delay = delays[Math.min(message.receiveCount, delays.length) - 1] ?? 0;
    const timer = setTimeout(() => {
      this.waiting.delete(timer);
      if (this.closed) return;
      this.visible.push(message);
      this.schedule();
    }, delay);
    timer.unref();
    this.waiting.add(timer);
  }

  private event(batch: readonly Message[]): LocalSqsEvent {
    const region = this.options.region ?? 'us-east-1';
    const arn = `arn:aws:sqs:${region}:${this.options.accountId ?? '123456789012'}:${this.name}`;
    return {
      Records: batch.map((message) => ({
        messageId: message.messageId,
        receiptHandle: `${message.messageId}#${message.receiveCount}`,
        body: message.body,
        attributes: {
          ApproximateReceiveCount: String(message.receiveCount),
          SentTimestamp: String(message.sentAt),
          SenderId: 'iot.amazonaws.com',
          ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
        },
        messageAttributes: {},
        md5OfBody: createHash('md5').update(message.body).digest('hex'),
        eventSource: 'aws:sqs',
        eventSourceARN: arn,
        awsRegion: region,
      })),
    };
  }
}

/**
 * The messages to receive again, from a ReportBatchItemFailures answer: the listed ones; all
 * of them when the answer names a message not in the batch (as Lambda treats it); none for
 * any other answer (a function that does not report items succeeded with the whole batch).
 */
function failedItems(answer: unknown, batch: readonly Message[]): Set<string> {
  const ids = new Set(batch.map((message) => message.messageId));
  const failures = (answer as { batchItemFailures?: unknown } | null | undefined)
    ?.batchItemFailures;
  if (!Array.isArray(failures)) return new Set();
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !ids.has(id)) return ids;
    failed.add(id);
  }
  return failed;
}
