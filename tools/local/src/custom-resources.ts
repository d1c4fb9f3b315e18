import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { CustomResourceCreateEvent, CustomResourceProperties } from '@tts-aws-iot/aws';
import { LocalStackError } from './errors';
import type { LambdaRunner } from './lambda-runner';

/** The body CloudFormation receives on the ResponseURL. */
export interface CloudFormationResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly Data?: Readonly<Record<string, string>>;
}

export interface CustomResourceRequest {
  readonly functionName: string;
  readonly logicalResourceId: string;
  /** e.g. `Custom::ThingType` */
  readonly resourceType: string;
  readonly properties: CustomResourceProperties;
}

const STACK_ID =
  'arn:aws:cloudformation:us-east-1:123456789012:stack/local/00000000-0000-0000-0000-000000000000';
const RESPONSE_TIMEOUT_MS = 60_000;
/** The answer is PUT before the handler returns; allow for it still being in flight. */
const UNANSWERED_GRACE_MS = 500;

/**
 * Runs setup custom resources as CloudFormation does: invokes the function with a `Create`
 * request whose pre-signed ResponseURL points at a local HTTP receiver, and waits for the PUT.
 * A function that answers FAILED, or never answers, fails the setup with its reason.
 */
export class CloudFormationStandIn {
  private constructor(
    private readonly waiting: Map<string, (response: CloudFormationResponse) => void>,
    private readonly server: Server,
    private readonly url: string,
    private readonly runner: LambdaRunner,
  ) {}

  static async start(runner: LambdaRunner, host = '127.0.0.1'): Promise<CloudFormationStandIn> {
    const waiting = new Map<string, (response: CloudFormationResponse) => void>();
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const requestId = decodeURIComponent((req.url ?? '').split('?')[0]!.slice(1));
        const resolve = waiting.get(requestId);
        let response: CloudFormationResponse | undefined;
        try {
          response = JSON.parse(Buffer.concat(chunks).toString('utf8')) as CloudFormationResponse;
        } catch {
          response = undefined;
        }
        // Like S3's pre-signed URL: a PUT to an unknown or used request is refused.
        if (req.method !== 'PUT' || !resolve || !response) {
          res.writeHead(403).end();
          return;
        }
        waiting.delete(requestId);
        res.writeHead(200).end();
        resolve(response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return new CloudFormationStandIn(waiting, server, `http://${host}:${port}`, runner);
  }

  /** Creates the resource and answers its `Data`; throws with CloudFormation's Reason on FAILED. */
  async create(request: CustomResourceRequest): Promise<Readonly<Record<string, string>>> {
    const requestId = randomUUID();
    const serviceToken = `arn:aws:lambda:us-east-1:123456789012:function:${request.functionName}`;
    const event: CustomResourceCreateEvent = {
      RequestType: 'Create',
      ServiceToken: serviceToken,
      ResponseURL: `${this.url}/${requestId}`,
      StackId: STACK_ID,
      RequestId: requestId,
      LogicalResourceId: request.logicalResourceId,
      ResourceType: request.resourceType,
      ResourceProperties: { ServiceToken: serviceToken, ...request.properties },
    };
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<CloudFormationResponse>((resolve, reject) => {
      this.waiting.set(requestId, resolve);
      timer = setTimeout(() => {
        this.waiting.delete(requestId);
        reject(
          new LocalStackError(
            'custom_resource_timeout',
            `${request.logicalResourceId} (${request.functionName}) did not answer CloudFormation within ${RESPONSE_TIMEOUT_MS / 1000} s.`,
          ),
        );
      }, RESPONSE_TIMEOUT_MS);
    });
    try {
      // CloudFormation invokes custom resources asynchronously and waits for the PUT only. A
      // function that ends without answering would stall a real stack for an hour: say so now.
      const invocation = this.runner.invokeEvent(request.functionName, event);
      const unanswered = invocation.then(async (outcome) => {
        await new Promise((resolve) => setTimeout(resolve, UNANSWERED_GRACE_MS));
        const how = outcome.ok ? 'returned' : `failed (${outcome.error.message})`;
        throw new LocalStackError(
          'custom_resource_unanswered',
          `${request.logicalResourceId} (${request.functionName}) ${how} without answering CloudFormation.`,
        );
      });
      // Promise.race handles both sides, so the loser's late rejection goes nowhere.
      const response = await Promise.race([answered, unanswered]);
      // Let the function finish what it does after answering (its last log lines).
      await invocation;
      if (response.Status !== 'SUCCESS') {
        throw new LocalStackError(
          'custom_resource_failed',
          `${request.logicalResourceId} (${request.functionName}) failed: ${response.Reason ?? 'no reason given'}`,
          {
            logicalResourceId: request.logicalResourceId,
          },
        );
      }
      return response.Data ?? {};
    } finally {
      clearTimeout(timer);
      this.waiting.delete(requestId);
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
