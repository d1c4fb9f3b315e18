import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CreateThingCommand, DeleteThingCommand, IoTClient } from '@aws-sdk/client-iot';
import type { ProvisioningOutcome } from '@tts-aws-iot/integration';
import { REQUIRED_APPLICATION_RIGHTS } from '@tts-aws-iot/tts';
import { startTtsSim, type TtsSim } from '@tts-aws-iot/tts-sim';
import { connectAsync } from 'mqtt';
import { startAwsApi, type AwsApi } from './aws-api/server';
import { mqttAddress, startBroker, type Broker } from './broker';
import { CloudFormationStandIn } from './custom-resources';
import { DeviceSimulator, type DeviceProfile } from './devices';
import { LocalStackError } from './errors';
import { LambdaRunner, type LambdaFunction } from './lambda-runner';
import { TrafficLog } from './log';
import { parseOptions, usage, type LocalOptions } from './options';
import { integrationRules, RulesEngine } from './rules';
import { LocalQueue } from './sqs-queue';
import { registriesHolding, ttsNetworkState } from './tts-network';

/** The six Lambda packages, as Nx builds them into `dist/packages/<name>/index.js`. */
const LAMBDA_NAMES = [
  'uplink',
  'downlink',
  'create-device',
  'claim',
  'thing-type',
  'pubsub-config',
] as const;

/** A running local stack. */
export interface LocalStack {
  readonly options: LocalOptions;
  readonly broker: Broker;
  readonly api: AwsApi;
  readonly tts: TtsSim;
  readonly runner: LambdaRunner;
  readonly simulator: DeviceSimulator;
  /**
   * The simulated devices, created ones first, then claimed ones; with the DevEUI scheme
   * each one's thing is named by its DevEUI.
   */
  readonly devices: readonly LocalDevice[];
  /** The outcomes published on `lorawan/<thing>/provisioning` since the start, oldest first. */
  provisioning(thingName: string): readonly ProvisioningOutcome[];
  /** What `npm start` prints: the endpoints and how to watch and drive the traffic. */
  guide(): string;
  stop(): Promise<void>;
}

/** A simulated device, and how its thing has it provisioned. */
export interface LocalDevice extends DeviceProfile {
  /**
   * Set for a device claimed from its external Join Server: its thing carries this code, not
   * the AppKey, which only the device and that Join Server hold.
   */
  readonly claimAuthenticationCode?: string;
}

export interface StartOverrides {
  /** The workspace root (where `dist/packages` is); found from this file by default. */
  readonly rootDir?: string;
  /** Start the periodic joins and uplinks (default true); tests drive the devices themselves. */
  readonly traffic?: boolean;
  /** Pauses between Lambda's asynchronous retries (default 1 s, 2 s). */
  readonly retryDelaysMs?: readonly number[];
  /** How long a failed queued message waits before its n-th redelivery (default 1, 2, 4, 8 s). */
  readonly queueRetryDelaysMs?: readonly number[];
}

const ACCOUNT_ID = '123456789012';
const REGION = 'us-east-1';
const JOIN_EUI = '70B3D57ED0000000';
/** A made-up JoinEUI of an external Join Server, which the TTS stand-in can claim from. */
const CLAIM_JOIN_EUI = '0000000000C1A100';
/** Microchip's OUI, as in the documentation's examples; the index makes each DevEUI. */
const DEV_EUI_PREFIX = '0004A30B001C';
const KEK_LABEL = 'local-1';
const FREQUENCY_PLAN_ID = 'EU_863_870_TTN';
const STOP_GRACE_MS = 5_000;

/**
 * Starts the whole integration on this machine: the MQTT broker and AWS-compatible API
 * (IoT Core and Secrets Manager stand-ins), the TTS stand-in, the six Lambda bundles in
 * worker threads behind the rules of infra/, the setup custom resources (thing-type, then
 * pubsub-config) run as CloudFormation would, and the simulated devices, whose things are
 * created through the IoT API so that create-device registers them in TTS.
 */
export async function startLocalStack(
  options: LocalOptions,
  log: TrafficLog,
  overrides: StartOverrides = {},
): Promise<LocalStack> {
  const rootDir = overrides.rootDir ?? workspaceRoot(__dirname);
  const bundles = Object.fromEntries(
    LAMBDA_NAMES.map((name) => [name, join(rootDir, 'dist', 'packages', name, 'index.js')]),
  );
  const missing = LAMBDA_NAMES.filter((name) => !existsSync(bundles[name]!));
  if (missing.length > 0) {
    throw new LocalStackError(
      'bundles_missing',
      `The Lambda bundles of ${missing.join(', ')} are not built: run \`npx nx run-many -t build --projects=tag:type:lambda\` (npm start does it when they are missing).`,
      { missing },
    );
  }

  const cleanups: (() => Promise<void>)[] = [];
  try {
    const broker = await startBroker({ host: options.host, port: options.mqttPort });
    cleanups.push(() => broker.close());
    broker.onMessage((message) => log.mqtt(message));
    // Recorded from the start: an outcome may come before any application subscribes.
    const outcomes = new Map<string, ProvisioningOutcome[]>();
    broker.onMessage(({ topic, payload }) => {
      const thing = /^lorawan\/([^/]+)\/provisioning$/.exec(topic)?.[1];
      if (thing === undefined) return;
      try {
        const outcome = JSON.parse(payload.toString('utf8')) as ProvisioningOutcome;
        outcomes.set(thing, [...(outcomes.get(thing) ?? []), outcome]);
      } catch {
        // not JSON: not an outcome
      }
    });

    const api = await startAwsApi({
      host: options.host,
      port: options.apiPort,
      accountId: ACCOUNT_ID,
      region: REGION,
      // TTS takes the pub/sub endpoint as a bare host name (no port), as AWS's `-ats` address is.
      endpointAddress: options.host,
      publish: (topic, payload, publishOptions) => broker.publish(topic, payload, publishOptions),
      onCall: (call) => log.api(call),
    });
    cleanups.push(() => api.close());

    // The TTS API key and the KEK exist only here and in the local Secrets Manager.
    const apiKey = `NNSXS.${randomBytes(20).toString('hex').toUpperCase().slice(0, 39)}.${randomBytes(32).toString('hex').toUpperCase()}`;
    // The stand-in checks every call against its part of TTS's OpenAPI description.
    const tts = await startTtsSim({
      port: options.ttsPort,
      apiKeys: { [apiKey]: [...REQUIRED_APPLICATION_RIGHTS] },
      claimableJoinEUIs: [CLAIM_JOIN_EUI],
    });
    cleanups.push(() => tts.close());
    const kekSecretID = `${options.stackName}/kek`;
    const apiKeySecretID = `${options.stackName}/api-key`;
    api.secrets.putSecretString(apiKeySecretID, apiKey);
    api.secrets.putSecretString(
      kekSecretID,
      JSON.stringify({
        current: KEK_LABEL,
        [KEK_LABEL]: randomBytes(16).toString('hex').toUpperCase(),
      }),
    );

    const env: Record<string, string> = {
      ...api.sdkEnv,
      STACK_NAME: options.stackName,
      THING_TYPE_NAME: options.thingTypeName,
      THING_NAME_SCHEME: 'DevEUI',
      THING_SHADOW_METRICS: 'true',
      APPLICATION_ID: options.applicationID,
      CLUSTER_ADDRESS: tts.url,
      // The TTS stand-in speaks plain HTTP, which a deployment refuses.
      ALLOW_HTTP_CLUSTER: 'true',
      E2E_ENABLED: String(options.e2e),
      KEK_SECRET_ID: kekSecretID,
      API_KEY_SECRET_ID: apiKeySecretID,
      IOT_DATA_ENDPOINT: api.url,
      DEFAULT_FREQUENCY_PLAN_ID: FREQUENCY_PLAN_ID,
      POWERTOOLS_SERVICE_NAME: 'tts-aws-iot',
      POWERTOOLS_METRICS_NAMESPACE: 'tts-aws-iot-local',
      POWERTOOLS_LOG_LEVEL: options.verbose ? 'DEBUG' : 'INFO',
      // No X-Ray daemon and no CloudWatch here.
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
    const functions: LambdaFunction[] = LAMBDA_NAMES.map((name) => ({
      name,
      bundle: bundles[name]!,
      env,
      timeoutMs: name === 'thing-type' || name === 'pubsub-config' ? 60_000 : 30_000,
    }));
    const runner = new LambdaRunner({
      functions,
      onLog: (line) => log.lambda(line),
      onAsyncFailure: (name, error) =>
        log.info(`${name} failed after its retries: ${error.message}`),
      ...(overrides.retryDelaysMs && { retryDelaysMs: overrides.retryDelaysMs }),
    });
    cleanups.push(async () => {
      // Let what the last messages started finish (bounded), as Lambda would.
      await runner.idle(STOP_GRACE_MS);
      await runner.close();
    });

    // The rules of infra/ as deployed: a Lambda action invokes asynchronously; an SQS action
    // queues the event for the function that the queue's event source feeds in batches.
    const topicRules = integrationRules({
      stackName: options.stackName,
      thingTypeName: options.thingTypeName,
      infraDir: join(rootDir, 'infra'),
    });
    api.iot.setTopicRules(topicRules, options.stackName);
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
          ...(overrides.queueRetryDelaysMs && { retryDelaysMs: overrides.queueRetryDelaysMs }),
          onDeadLetter: (queue, messageId, receives) =>
            log.info(
              `${queue}: message ${messageId} failed ${receives} receives; moved to the dead-letter queue`,
            ),
        }),
      );
    }
    cleanups.push(async () => {
      // Let what is queued finish (bounded), then drop the rest.
      const all = [...queues.values()];
      await Promise.race([
        Promise.all(all.map((queue) => queue.idle())),
        new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref()),
      ]);
      await Promise.all(all.map((queue) => queue.close()));
    });
    const rules = await RulesEngine.start(
      broker,
      topicRules,
      (rule, event) => {
        if (rule.target.kind === 'sqs')
          queues.get(rule.target.queueName)!.send(JSON.stringify(event));
        else void runner.invokeEvent(rule.functionName, event);
      },
      (rule, topic, reason) =>
        log.info(`rule ${rule.name} skipped a message on ${topic}: ${reason}`),
    );
    cleanups.push(() => rules.stop());

    const cloudFormation = await CloudFormationStandIn.start(runner, options.host);
    cleanups.push(() => cloudFormation.close());
    log.info('setup: creating the thing type (Custom::ThingType → thing-type)');
    const thingType = await cloudFormation.create({
      functionName: 'thing-type',
      logicalResourceId: 'ThingType',
      resourceType: 'Custom::ThingType',
      properties: { ThingTypeName: options.thingTypeName, StackName: options.stackName },
    });
    log.info('setup: configuring the TTS pub/sub (Custom::PubSub → pubsub-config)');
    await cloudFormation.create({
      functionName: 'pubsub-config',
      logicalResourceId: 'PubSub',
      resourceType: 'Custom::PubSub',
      properties: {
        ApplicationID: options.applicationID,
        ClusterAddress: tts.url,
        StackName: options.stackName,
        Region: REGION,
        RoleArn: `arn:aws:iam::${ACCOUNT_ID}:role/${options.stackName}-tts`,
        ExternalId: `${options.stackName}-external-id`,
        EndpointAddress: thingType['EndpointAddress'] ?? options.host,
        EnableEndToEndEncryption: String(options.e2e),
        KekSecretId: kekSecretID,
        ApiKeySecretId: apiKeySecretID,
      },
    });

    const devices = Array.from(
      { length: options.devices + options.claimDevices },
      (_, i): LocalDevice => {
        const devEUI = `${DEV_EUI_PREFIX}${(i + 1).toString(16).toUpperCase().padStart(4, '0')}`;
        const appKey = randomBytes(16).toString('hex').toUpperCase();
        return i < options.devices
          ? { devEUI, joinEUI: JOIN_EUI, appKey }
          : {
              devEUI,
              joinEUI: CLAIM_JOIN_EUI,
              appKey,
              claimAuthenticationCode: randomBytes(4).toString('hex').toUpperCase(),
            };
      },
    );
    // The claimable devices' AppKeys stay on their external Join Server (here: the simulated
    // network), as a maker's Join Server keeps them; TTS and the things never see them.
    const externalJoinServer = devices.flatMap((device) =>
      device.claimAuthenticationCode === undefined
        ? []
        : [{ ...device, claimAuthenticationCode: device.claimAuthenticationCode }],
    );
    const simulator = await DeviceSimulator.start({
      brokerUrl: broker.url,
      stackName: options.stackName,
      applicationID: options.applicationID,
      network: ttsNetworkState(tts.state, externalJoinServer),
      onEvent: (event) => log.device(event),
    });
    cleanups.push(() => simulator.close());

    const iot = iotClient(api.url);
    for (const device of devices) {
      simulator.addDevice(device);
      // As an operator would: a thing with the device's LoRaWAN attributes. The registry
      // event makes create-device register it in TTS with its AppKey, or claim register it
      // with the code from its label; either then strips the key or code from the thing.
      const attributes: Record<string, string> =
        device.claimAuthenticationCode === undefined
          ? {
              devEUI: device.devEUI,
              stackName: options.stackName,
              joinEUI: device.joinEUI,
              lorawanVersion: '1.0.3',
              regionalParametersVersion: '1.0.3-a',
              frequencyPlanID: FREQUENCY_PLAN_ID,
              appKey: device.appKey,
            }
          : {
              devEUI: device.devEUI,
              stackName: options.stackName,
              joinEUI: device.joinEUI,
              claimAuthenticationCode: device.claimAuthenticationCode,
            };
      await iot.send(
        new CreateThingCommand({
          thingName: device.devEUI,
          thingTypeName: options.thingTypeName,
          attributePayload: { attributes },
        }),
      );
    }
    iot.destroy();
    if (overrides.traffic !== false) simulator.startTraffic(options.uplinkIntervalMs);

    const stack: LocalStack = {
      options,
      broker,
      api,
      tts,
      runner,
      simulator,
      devices,
      provisioning: (thingName) => outcomes.get(thingName) ?? [],
      guide: () => guide(stack),
      async stop() {
        for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
      },
    };
    return stack;
  } catch (error) {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    throw error;
  }
}

/** How one device fared in the demo. */
export interface DemoResult {
  readonly devEUI: string;
  /** For a claimed device: `claimed` reached `lorawan/<thing>/provisioning`. */
  readonly claimed?: boolean;
  /** The plaintext reached `lorawan/<thing>/uplink`. */
  readonly uplink: boolean;
  /** The requested downlink reached the device, decrypted with its own AppSKey. */
  readonly downlink: boolean;
  /**
   * For the device whose thing the demo deletes: `deleted` reached
   * `lorawan/<thing>/provisioning` and no registry of the TTS stand-in holds the device.
   */
  readonly deleted?: boolean;
  readonly problem?: string;
}

/** Whether every check of a device passed. */
export function demoPassed(result: DemoResult): boolean {
  return result.claimed !== false && result.uplink && result.downlink && result.deleted !== false;
}

/** A closing line of the demo, e.g. `0004A30B001C0003: claimed ok, uplink ok, downlink ok`. */
export function demoLine(result: DemoResult): string {
  const checks: [string, boolean | undefined][] = [
    ['claimed', result.claimed],
    ['uplink', result.uplink],
    ['downlink', result.downlink],
    ['deleted', result.deleted],
  ];
  const shown = checks.flatMap(([name, ok]) =>
    ok === undefined ? [] : [`${name} ${ok ? 'ok' : 'FAILED'}`],
  );
  return `${result.devEUI}: ${shown.join(', ')}${result.problem ? ` (${result.problem})` : ''}`;
}

/**
 * The bounded demo of `--once`, from an application's point of view: a claimed device's
 * thing must report `claimed` on `lorawan/<thing>/provisioning`; every device joins and
 * sends an uplink whose plaintext must arrive on `lorawan/<thing>/uplink`; then a downlink
 * requested on `lorawan/downlink` must reach the device (in the receive window of its next
 * uplink) and decrypt to the requested bytes. Last, the thing of the last created device is
 * deleted through the IoT API: `deleted` must be reported and the device gone from TTS.
 */
export async function runDemo(stack: LocalStack, timeoutMs = 30_000): Promise<DemoResult[]> {
  const app = await connectAsync({
    ...mqttAddress(stack.broker.url),
    clientId: `local-demo-${randomBytes(4).toString('hex')}`,
    reconnectPeriod: 0,
  });
  const seen: { topic: string; json: Record<string, unknown> }[] = [];
  app.on('message', (topic, payload) => {
    try {
      seen.push({ topic, json: JSON.parse(payload.toString('utf8')) });
    } catch {
      // not JSON: not one of ours
    }
  });
  await app.subscribeAsync(['lorawan/#'], { qos: 1 });
  const deadline = Date.now() + timeoutMs;
  const until = async (what: string, condition: () => boolean | Promise<boolean>) => {
    while (!(await condition())) {
      if (Date.now() > deadline)
        throw new LocalStackError('demo_timeout', `Timed out waiting for ${what}.`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  /** The first outcome of `status` (or `failed`) published after the `after` first ones. */
  const outcome = async (
    thing: string,
    status: 'claimed' | 'deleted',
    after = 0,
  ): Promise<ProvisioningOutcome> => {
    const found = () =>
      stack
        .provisioning(thing)
        .slice(after)
        .find((o) => o.status === status || o.status === 'failed');
    await until(`${status} on lorawan/${thing}/provisioning`, () => found() !== undefined);
    const result = found()!;
    if (result.status === 'failed')
      throw new LocalStackError(
        `${status === 'claimed' ? 'claim' : 'delete'}_failed`,
        `provisioning failed: ${result.error?.name}: ${result.error?.message}`,
      );
    return result;
  };
  const results: DemoResult[] = [];
  try {
    for (const [index, device] of stack.devices.entries()) {
      const thing = device.devEUI;
      const claimDevice = device.claimAuthenticationCode !== undefined;
      let claimed = false;
      let uplink = false;
      try {
        if (claimDevice) {
          await outcome(thing, 'claimed');
          claimed = true;
        }
        await until(`${thing} to join`, async () => {
          if (stack.simulator.joined(thing)) return true;
          try {
            await stack.simulator.join(thing);
            return true;
          } catch {
            return false;
          }
        });
        const payload = Buffer.from([0xde, 0x40, index & 0xff]);
        await stack.simulator.uplink(thing, payload);
        await until(`the plaintext on lorawan/${thing}/uplink`, () =>
          seen.some(
            (m) =>
              m.topic === `lorawan/${thing}/uplink` &&
              (m.json['uplink_message'] as Record<string, unknown>)?.['frm_payload'] ===
                payload.toString('base64'),
          ),
        );
        uplink = true;
        const request = Buffer.from([0x01, index & 0xff]);
        const before = stack.simulator.received(thing).length;
        await app.publishAsync(
          'lorawan/downlink',
          JSON.stringify({ thingName: thing, bytes: request.toString('base64'), fPort: 10 }),
          { qos: 1 },
        );
        await until(`the downlink to be queued for ${thing}`, () =>
          seen.some(
            (m) =>
              m.topic === `lorawan/${thing}/downlink/queued` ||
              m.topic.endsWith('/downlink/failed'),
          ),
        );
        const failed = seen.find(
          (m) =>
            m.topic === `lorawan/${thing}/downlink/failed` || m.topic === 'lorawan/downlink/failed',
        );
        if (failed)
          throw new LocalStackError(
            'downlink_failed',
            `the downlink was refused: ${JSON.stringify(failed.json['downlink_failed'] ?? failed.json)}`,
          );
        await stack.simulator.uplink(thing);
        const received = stack.simulator.received(thing).slice(before);
        const delivered = received.some(
          (d) => Buffer.from(d.payload).equals(request) && d.fPort === 10,
        );
        results.push({
          devEUI: thing,
          ...(claimDevice && { claimed }),
          uplink,
          downlink: delivered,
          ...(!delivered && { problem: 'the device did not receive the requested bytes' }),
        });
      } catch (error) {
        results.push({
          devEUI: thing,
          ...(claimDevice && { claimed }),
          uplink,
          downlink: false,
          problem: errorMessage(error),
        });
      }
    }

    const created = stack.devices.filter((d) => d.claimAuthenticationCode === undefined).at(-1);
    const index = results.findIndex((r) => r.devEUI === created?.devEUI);
    if (created && index >= 0) {
      const thing = created.devEUI;
      let deleted = false;
      let problem: string | undefined;
      try {
        // As an operator would: the registry event makes create-device delete the TTS device.
        const before = stack.provisioning(thing).length;
        const iot = iotClient(stack.api.url);
        try {
          await iot.send(new DeleteThingCommand({ thingName: thing }));
        } finally {
          iot.destroy();
        }
        const { deviceID = '' } = await outcome(thing, 'deleted', before);
        const left = registriesHolding(stack.tts.state, stack.options.applicationID, deviceID);
        deleted = deviceID !== '' && left.length === 0;
        if (!deleted)
          problem = `device ${deviceID || '(no ID)'} is still registered on ${left.join(', ') || 'TTS'}`;
      } catch (error) {
        problem = errorMessage(error);
      }
      const result = results[index]!;
      const problems = [result.problem, problem].filter((p) => p !== undefined);
      results[index] = {
        ...result,
        deleted,
        ...(problems.length > 0 && { problem: problems.join('; ') }),
      };
    }
  } finally {
    await app.endAsync();
  }
  return results;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An IoT client of the local AWS API (any credentials do). */
function iotClient(endpoint: string): IoTClient {
  return new IoTClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** `npm start`: parses the options, starts the stack, prints the guide, runs until told to stop. */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  write: (line: string) => void = console.log,
): Promise<number> {
  let options: LocalOptions;
  try {
    options = parseOptions(argv, env);
  } catch (error) {
    write(error instanceof Error ? error.message : String(error));
    return 2;
  }
  if (options.help) {
    write(usage());
    return 0;
  }
  const log = new TrafficLog(write, options.verbose);
  let stack: LocalStack;
  try {
    stack = await startLocalStack(options, log, { traffic: !options.once });
  } catch (error) {
    write(
      `The local stack did not start: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }
  write(stack.guide());

  if (options.once) {
    const results = await runDemo(stack);
    await stack.stop();
    for (const result of results) write(demoLine(result));
    return results.length > 0 && results.every(demoPassed) ? 0 : 1;
  }

  await new Promise<void>((resolve) => {
    const stop = (reason: string) => {
      log.info(`stopping (${reason})`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    if (options.exitAfterMs > 0)
      setTimeout(() => stop(`after ${options.exitAfterMs} ms`), options.exitAfterMs).unref();
  });
  await stack.stop();
  return 0;
}

function guide(stack: LocalStack): string {
  const { options, broker, api, tts, devices } = stack;
  const [host, port] = [options.host, broker.port];
  const example = devices[0]?.devEUI ?? '<thing>';
  return [
    '',
    'tts-aws-iot local stack: the integration on this machine, no AWS account needed.',
    '',
    `  MQTT broker (IoT Core)    ${broker.url}`,
    `  AWS API                   ${api.url}   iot, iot-data, secretsmanager; any credentials, region ${REGION}`,
    `  TTS stand-in API          ${tts.url}`,
    `  stack / app / thing type  ${options.stackName} / ${options.applicationID} / ${options.thingTypeName}, end-to-end encryption ${options.e2e ? 'on' : 'off'}`,
    `  simulated devices         ${describeDevices(devices)} (things named by DevEUI)`,
    '',
    'Watch what applications see:',
    `  npx mqtt sub -h ${host} -p ${port} -t 'lorawan/#' -v`,
    'Send a downlink (delivered after the device’s next uplink):',
    `  npx mqtt pub -h ${host} -p ${port} -t lorawan/downlink -m '{"thingName":"${example}","bytes":"AQI=","fPort":10}'`,
    'Read a shadow with the AWS CLI:',
    `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --endpoint-url ${api.url} --region ${REGION} iot-data get-thing-shadow --thing-name ${example} --shadow-name lorawan /dev/stdout`,
    '',
    options.once ? 'Running the demo once, then stopping.' : 'Stop with Ctrl+C.',
    '',
  ].join('\n');
}

function describeDevices(devices: readonly LocalDevice[]): string {
  const list = (claimed: boolean) =>
    devices
      .filter((d) => (d.claimAuthenticationCode !== undefined) === claimed)
      .map((d) => d.devEUI)
      .join(' ');
  const [created, claimed] = [list(false), list(true)];
  return (
    [created && `${created} created with their AppKey`, claimed && `${claimed} claimed`]
      .filter(Boolean)
      .join(', ') || 'none'
  );
}

/** The directory holding nx.json, upwards from `start`. */
function workspaceRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir)
      throw new LocalStackError(
        'workspace_not_found',
        `No nx.json above ${start}: run the local stack from the tts-aws-iot checkout.`,
      );
  }
}
