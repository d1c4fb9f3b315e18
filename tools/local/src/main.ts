import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ProvisioningOutcome } from '@tts-aws-iot/integration/registry';
import { REQUIRED_APPLICATION_RIGHTS } from '@tts-aws-iot/tts';
import { startTtsSim, type TtsSim } from '@tts-aws-iot/tts-sim';
import { startAwsApi, type AwsApi } from './aws-api/server';
import { startBroker, type Broker } from './broker';
import { CloudFormationStandIn } from './custom-resources';
import { demoLine, demoPassed, runDemo } from './demo';
import { seedFormatterDemo } from './formatter-demo';
import { CLAIM_JOIN_EUI, createDemoThings, demoDevices, type LocalDevice } from './demo-devices';
import { DeviceSimulator } from './devices';
import { LocalStackError } from './errors';
import { guide, readyLine } from './guide';
import type { LambdaRunner } from './lambda-runner';
import { lambdaBundles, lambdaEnvironment, startLambdas } from './lambdas';
import { TrafficLog } from './log';
import { parseOptions, usage, type LocalOptions } from './options';
import { ensureStackSecrets, runSetup, type StackSecrets } from './setup';
import { PersistentState } from './state';
import { ExternalJoinServer, ttsNetworkState } from './tts-network';
import { ACCOUNT_ID, REGION, startRules, STOP_GRACE_MS } from './wiring';

export { demoLine, demoPassed, runDemo, type DemoResult } from './demo';
export type { LocalDevice } from './demo-devices';

/** A running local stack. */
export interface LocalStack {
  readonly options: LocalOptions;
  readonly broker: Broker;
  readonly api: AwsApi;
  readonly tts: TtsSim;
  readonly runner: LambdaRunner;
  readonly simulator: DeviceSimulator;
  /**
   * The demo devices, created ones first, then claimed ones; with the DevEUI scheme each
   * one's thing is named by its DevEUI. The simulator also runs every other device the
   * integration registers.
   */
  readonly devices: readonly LocalDevice[];
  /** The absolute data directory that holds the state. */
  readonly dataDir: string;
  /** Whether the stack resumed a saved state. */
  readonly resumed: boolean;
  readonly state: PersistentState;
  /** The outcomes published on `lorawan/<thing>/provisioning` since the start, oldest first. */
  provisioning(thingName: string): readonly ProvisioningOutcome[];
  /** What `npm start` prints: the endpoints and how to watch and drive the traffic. */
  guide(): string;
  /** Stops everything and saves the state. */
  stop(): Promise<void>;
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
  /** How often the state is saved while running (default 1 s); it is always saved at stop. */
  readonly saveIntervalMs?: number;
}

const DEFAULT_SAVE_INTERVAL_MS = 1_000;
/** After a signal, the stop gets this long before the process exits regardless. */
const STOP_DEADLINE_MS = 30_000;
/** The TTS stand-in's request log is for tests; a long run keeps only the latest. */
const MAX_LOGGED_TTS_REQUESTS = 1_000;

/** What stops the stack: the steps' closers, run last-started first. */
class Cleanups {
  private readonly steps: (() => Promise<void> | void)[] = [];

  add(step: () => Promise<void> | void): void {
    this.steps.push(step);
  }

  async run(onError: (error: unknown) => void = () => undefined): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        onError(error);
      }
    }
  }
}

/**
 * Starts the whole integration on this machine: the MQTT broker and AWS-compatible API
 * (IoT Core and Secrets Manager stand-ins), the TTS stand-in, the six Lambda bundles in
 * worker threads behind the rules of infra/, the setup custom resources (thing-type, then
 * pubsub-config) run as CloudFormation would, and the simulated devices, whose things are
 * created through the IoT API so that create-device registers them in TTS. What it holds is
 * restored from the data directory and saved there while it runs and when it stops.
 */
export async function startLocalStack(
  options: LocalOptions,
  log: TrafficLog,
  overrides: StartOverrides = {},
): Promise<LocalStack> {
  const rootDir = overrides.rootDir ?? workspaceRoot(__dirname);
  const bundles = lambdaBundles(rootDir);
  const dataDir = resolve(rootDir, options.dataDir);
  const cleanups = new Cleanups();
  const state = openState(dataDir, options.fresh, log, cleanups);
  try {
    const servers = await startServers(options, log, state, cleanups);
    const env = lambdaEnvironment(options, {
      sdkEnv: servers.api.sdkEnv,
      apiUrl: servers.api.url,
      ttsUrl: servers.tts.url,
      ...servers.secrets,
    });
    const runner = startLambdas(bundles, env, log, options.concurrency, overrides.retryDelaysMs);
    cleanups.add(async () => {
      // Let what the last messages started finish (bounded), as Lambda would.
      await runner.idle(STOP_GRACE_MS);
      await runner.close();
    });
    const wiring = await startRules(servers.broker, runner, {
      options,
      rootDir,
      log,
      queueRetryDelaysMs: overrides.queueRetryDelaysMs,
    });
    cleanups.add(() => wiring.stop());
    servers.api.iot.setTopicRules(wiring.topicRules, options.stackName);
    await setUp(runner, options, servers, log, cleanups);
    const { simulator, devices } = await startDevices(options, servers, state, log, cleanups);
    state.startAutosave(overrides.saveIntervalMs ?? DEFAULT_SAVE_INTERVAL_MS);
    if (overrides.traffic !== false) simulator.startTraffic(options.uplinkIntervalMs);
    const stack: LocalStack = {
      options,
      ...servers,
      runner,
      simulator,
      devices,
      dataDir,
      resumed: state.resumed,
      state,
      provisioning: (thingName) => servers.outcomes.get(thingName) ?? [],
      guide: () => guide(stack),
      stop: () => cleanups.run((error) => log.info(`stopping: ${errorMessage(error)}`)),
    };
    return stack;
  } catch (error) {
    await cleanups.run();
    throw error;
  }
}

/**
 * The data directory's state; saved by the first cleanup added, which runs last, when
 * everything else has stopped, so that the saved state is the final one.
 */
function openState(
  dataDir: string,
  fresh: boolean,
  log: TrafficLog,
  cleanups: Cleanups,
): PersistentState {
  const state = PersistentState.open({
    dataDir,
    fresh,
    onSaveError: (error) => log.info(`saving the state failed (retried): ${error.message}`),
  });
  cleanups.add(() => state.close());
  return state;
}

interface Servers {
  readonly broker: Broker;
  readonly api: AwsApi;
  readonly tts: TtsSim;
  readonly secrets: StackSecrets;
  /** Provisioning outcomes by thing, recorded from the start. */
  readonly outcomes: Map<string, ProvisioningOutcome[]>;
}

/** The broker, the AWS API and the TTS stand-in, with their saved state restored. */
async function startServers(
  options: LocalOptions,
  log: TrafficLog,
  state: PersistentState,
  cleanups: Cleanups,
): Promise<Servers> {
  const broker = await startBroker({ host: options.host, port: options.mqttPort });
  cleanups.add(() => broker.close());
  broker.onMessage((message) => {
    state.touch();
    log.mqtt(message);
  });
  const outcomes = recordOutcomes(broker);
  const api = await startAwsApi({
    host: options.host,
    port: options.apiPort,
    accountId: ACCOUNT_ID,
    region: REGION,
    // TTS takes the pub/sub endpoint as a bare host name (no port), as AWS's `-ats` address is.
    endpointAddress: options.host,
    publish: (topic, payload, publishOptions) => broker.publish(topic, payload, publishOptions),
    onCall: (call) => {
      state.touch();
      log.api(call);
    },
  });
  cleanups.add(() => api.close());
  state.add('iot', api.iot);
  state.add('shadows', api.iotData);
  state.add('secrets', api.secrets);
  const secrets = ensureStackSecrets(api.secrets, options.stackName);
  // The stand-in checks every call against its part of TTS's OpenAPI description.
  const tts = await startTtsSim({
    port: options.ttsPort,
    apiKeys: { [secrets.apiKey]: [...REQUIRED_APPLICATION_RIGHTS] },
    claimableJoinEUIs: [CLAIM_JOIN_EUI],
    onRequest: () => state.touch(),
    maxLoggedRequests: MAX_LOGGED_TTS_REQUESTS,
  });
  cleanups.add(() => tts.close());
  state.add('tts', tts);
  // After the restore, which empties the stand-in's Device Repository (not part of its state).
  seedFormatterDemo(tts);
  return { broker, api, tts, secrets, outcomes };
}

/** The outcomes on `lorawan/<thing>/provisioning`: one may come before any application subscribes. */
function recordOutcomes(broker: Broker): Map<string, ProvisioningOutcome[]> {
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
  return outcomes;
}

/** The setup custom resources, through a local CloudFormation receiver. */
async function setUp(
  runner: LambdaRunner,
  options: LocalOptions,
  servers: Servers,
  log: TrafficLog,
  cleanups: Cleanups,
): Promise<void> {
  const cloudFormation = await CloudFormationStandIn.start(runner, options.host);
  cleanups.add(() => cloudFormation.close());
  await runSetup(cloudFormation, {
    options,
    ttsUrl: servers.tts.url,
    secrets: servers.secrets,
    log,
  });
}

/**
 * The simulated network and devices (restored with their sessions and counters), and the
 * demo devices' things, created for those that have none yet.
 */
async function startDevices(
  options: LocalOptions,
  servers: Servers,
  state: PersistentState,
  log: TrafficLog,
  cleanups: Cleanups,
): Promise<{ simulator: DeviceSimulator; devices: LocalDevice[] }> {
  const externalJoinServer = new ExternalJoinServer(CLAIM_JOIN_EUI);
  state.add('externalJoinServer', externalJoinServer);
  const simulator = await DeviceSimulator.start({
    brokerUrl: servers.broker.url,
    stackName: options.stackName,
    applicationID: options.applicationID,
    network: ttsNetworkState(servers.tts.state, externalJoinServer),
    onEvent: (event) => log.device(event),
  });
  cleanups.add(() => simulator.close());
  state.add('devices', simulator);
  const devices = demoDevices(options, simulator, externalJoinServer);
  for (const device of devices) {
    simulator.addDevice(device);
    // A demo device whose thing was deleted gets a new thing, and joins again.
    if (!servers.api.iot.getThing(device.devEUI)) simulator.dropSession(device.devEUI);
  }
  await createDemoThings(devices, { options, apiUrl: servers.api.url, iot: servers.api.iot });
  return { simulator, devices };
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
    write(errorMessage(error));
    return 2;
  }
  if (options.help) {
    write(usage());
    return 0;
  }
  const log = new TrafficLog(write, options.verbose);
  // Listening from the start: a signal during the start stops the stack once it is up.
  const stopRequest = stopSignal(options.exitAfterMs, log);
  let stack: LocalStack;
  try {
    stack = await startLocalStack(options, log, { traffic: !options.once });
  } catch (error) {
    stopRequest.release();
    write(`The local stack did not start: ${errorMessage(error)}`);
    return 1;
  }
  write(stack.guide());
  write(readyLine(stack));
  let code = 0;
  if (options.once) code = await demoOnce(stack, write);
  else await stopRequest.requested;
  stopRequest.stopping();
  await stack.stop();
  stopRequest.release();
  log.info(`stopped; state saved in ${stack.dataDir}`);
  return code;
}

/** Runs the `--once` demo and prints a line per device; 0 if every check passed. */
async function demoOnce(stack: LocalStack, write: (line: string) => void): Promise<number> {
  const results = await runDemo(stack);
  for (const result of results) write(demoLine(result));
  return results.length > 0 && results.every(demoPassed) ? 0 : 1;
}

/**
 * Resolves on the first SIGINT or SIGTERM (or after `exitAfterMs`); later signals only say
 * that the stack is stopping, so that the terminal's and npm's copies of one Ctrl+C do not
 * cut the stop short.
 */
function stopSignal(
  exitAfterMs: number,
  log: TrafficLog,
): { requested: Promise<void>; stopping(): void; release(): void } {
  let resolveStop: () => void = () => undefined;
  let stopping = false;
  const requested = new Promise<void>((resolve) => (resolveStop = resolve));
  const onSignal = (signal: string) => {
    if (stopping) return log.info(`${signal}: already stopping`);
    stopping = true;
    log.info(`stopping (${signal})`);
    resolveStop();
    // A stop that hangs (it waits at most 5 s for functions and queues) must not keep the
    // terminal: give up loudly.
    setTimeout(() => {
      log.info(`stopping took over ${STOP_DEADLINE_MS / 1000} s: exiting without waiting`);
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
  };
  const onSigint = () => onSignal('SIGINT');
  const onSigterm = () => onSignal('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  const timer =
    exitAfterMs > 0
      ? setTimeout(() => onSignal(`after ${exitAfterMs} ms`), exitAfterMs)
      : undefined;
  return {
    requested,
    /** From now on signals only say so: the default handler would kill the process mid-save. */
    stopping() {
      if (timer) clearTimeout(timer);
      stopping = true;
    },
    release() {
      if (timer) clearTimeout(timer);
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
    },
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
