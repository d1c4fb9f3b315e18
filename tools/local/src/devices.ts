import { randomBytes, randomUUID } from 'node:crypto';
import { wrapKey } from '@tts-aws-iot/keywrap';
import {
  decryptFRMPayload,
  deriveLegacyAppSKey,
  encryptFRMPayload,
  parseAesKey,
  parseDevAddr,
  toHex,
  type AesKey,
  type DevAddr,
} from '@tts-aws-iot/lorawan';
import type {
  ApplicationDownlinkJson,
  DownlinkQueueRequestJson,
  ErrorDetailsJson,
} from '@tts-aws-iot/tts';
import { connectAsync, type MqttClient } from 'mqtt';
import { mqttAddress } from './broker';
import {
  EndDevice,
  NET_ID,
  sensorReading,
  type DeviceProfile,
  type EndDeviceSnapshot,
  type ReceivedDownlink,
} from './end-device';
import { LocalStackError } from './errors';

export type { DeviceProfile, ReceivedDownlink } from './end-device';

type Json = Record<string, unknown>;

/** A device as the TTS stand-in has it registered (Identity, Join and Network Server). */
export interface RegisteredDevice {
  readonly deviceID: string;
  /** 16 uppercase hex digits. */
  readonly devEUI: string;
  readonly joinEUI: string;
  /** The root AppKey on the Join Server (32 hex digits): the cluster's, or a claimed device's external one. */
  readonly appKey: string;
}

/**
 * What the simulated network needs from the TTS stand-in's state: the pub/sub, Join Server
 * and Application Server settings that the setup custom resource wrote, and the devices that
 * create-device registered. The network acts only on what is configured there, so a setup
 * step that did not happen shows up as traffic that does not flow.
 */
export interface TtsNetworkState {
  /** The stack name of the application's AWS IoT pub/sub, when one is configured. */
  pubSubStackName(applicationID: string): string | undefined;
  /** The application's KEK on the Join Server, when one is set. */
  kek(applicationID: string): { readonly label: string; readonly key: Uint8Array } | undefined;
  /** Whether the Application Server skips payload crypto for the application (its link). */
  skipPayloadCrypto(applicationID: string): boolean;
  /**
   * The device with this DevEUI, once it is registered on IS, JS (with its AppKey) and NS, or
   * claimed and registered on IS and NS; undefined again once it is deleted.
   */
  device(applicationID: string, devEUI: string): RegisteredDevice | undefined;
  /** Every device of the application that {@link device} answers, i.e. that is ready to join. */
  registeredDevices(applicationID: string): readonly RegisteredDevice[];
}

/** Something worth a line in the traffic log. */
export type DeviceEvent =
  | {
      readonly type: 'joined';
      readonly devEUI: string;
      readonly devAddr: string;
      readonly e2e: boolean;
    }
  | {
      readonly type: 'uplink';
      readonly devEUI: string;
      readonly fCnt: number;
      readonly fPort: number;
      readonly payload: Uint8Array;
    }
  | { readonly type: 'downlink'; readonly devEUI: string; readonly downlink: ReceivedDownlink }
  | { readonly type: 'downlink_failed'; readonly devEUI: string; readonly reason: string }
  | { readonly type: 'not_ready'; readonly devEUI: string; readonly reason: string }
  /** A device registered through the integration (not a demo device) that the simulator now runs. */
  | { readonly type: 'discovered'; readonly devEUI: string; readonly deviceID: string };

export interface DeviceSimulatorOptions {
  readonly brokerUrl: string;
  readonly stackName: string;
  readonly applicationID: string;
  readonly network: TtsNetworkState;
  readonly onEvent?: (event: DeviceEvent) => void;
}

const UPLINK_F_PORT = 2;
const JOIN_RETRY_MS = 1_000;
/** How often the simulator looks for devices registered through the integration. */
const DISCOVERY_MS = 2_000;
const GATEWAY = { gateway_id: 'local-gateway', eui: '0000000000000001' };

/** The network side of one device's session, as TTS keeps it. */
interface NetworkSession {
  readonly registered: RegisteredDevice;
  readonly devAddr: DevAddr;
  readonly sessionKeyID: Buffer;
  readonly appSKey: AesKey;
  /** The lowest downlink FCnt the network still accepts (1.0.x: one counter for all downlinks). */
  nextFCntDown: number;
  lastFCntDown: number | undefined;
  readonly queue: ApplicationDownlinkJson[];
  /** A confirmed downlink awaiting the device's ACK on its next uplink. */
  awaitingAck: ApplicationDownlinkJson | undefined;
}

/** A device with a session (checked before the cast). */
type JoinedDevice = EndDevice & { session: NonNullable<EndDevice['session']> };

/** A network session as the data directory keeps it (hex and base64 instead of bytes). */
interface NetworkSessionSnapshot extends Omit<
  NetworkSession,
  'devAddr' | 'sessionKeyID' | 'appSKey'
> {
  readonly devAddr: string;
  readonly sessionKeyID: string;
  readonly appSKey: string;
}

/** Everything the simulator holds, for the local stack's data directory. */
export interface DeviceSimulatorSnapshot {
  readonly joinNonce: number;
  readonly nextDevAddr: number;
  readonly devices: readonly EndDeviceSnapshot[];
  readonly sessions: readonly (readonly [string, NetworkSessionSnapshot])[];
}

/**
 * The TTS stand-in's radio side: simulated LoRaWAN 1.0.3 OTAA devices and the Application
 * Server's AWS IoT pub/sub. It connects to the broker as `thethings-<stack>`, performs joins
 * (the network derives the AppSKey from the Join Server's AppKey, wraps it with the
 * application's KEK and publishes `join_accept`), publishes uplinks that the device encrypted
 * with its own AppSKey, and takes `downlink/push|replace`: queued downlinks go out in the
 * receive window after the device's next uplink (class A), and the device decrypts them.
 */
export class DeviceSimulator {
  private readonly devices = new Map<string, EndDevice>();
  private readonly sessions = new Map<string, NetworkSession>();
  /** Each session's wrapped AppSKey, with the KEK it was wrapped under. */
  private readonly envelopes = new WeakMap<
    NetworkSession,
    { kek: Uint8Array; kekLabel: string; envelope: { encrypted_key: string; kek_label: string } }
  >();
  private joinNonce = 1;
  private nextDevAddr = randomBytes(2).readUInt16BE();
  private readonly stopping = new AbortController();
  private running: Promise<void>[] = [];
  private intervalMs: number | undefined;

  private constructor(
    private readonly options: DeviceSimulatorOptions,
    private readonly client: MqttClient,
  ) {}

  /** Connects the pub/sub to the broker and subscribes to the downlink topics. */
  static async start(options: DeviceSimulatorOptions): Promise<DeviceSimulator> {
    const client = await connectAsync({
      ...mqttAddress(options.brokerUrl),
      clientId: `thethings-${options.stackName}`,
      reconnectPeriod: 1000,
    });
    const simulator = new DeviceSimulator(options, client);
    const base = simulator.baseTopic;
    client.on('message', (topic, payload) => {
      if (topic === `${base}/downlink/push` || topic === `${base}/downlink/replace`) {
        void simulator.takeDownlinks(payload, topic.endsWith('/replace'));
      }
    });
    await client.subscribeAsync([`${base}/downlink/push`, `${base}/downlink/replace`], { qos: 1 });
    return simulator;
  }

  /** `thethings/lorawan/<stack>`, the pub/sub's base topic. */
  get baseTopic(): string {
    return `thethings/lorawan/${this.options.stackName}`;
  }

  /** Adds a device (not yet joined); a device it has already (restored, say) stays as it is. */
  addDevice(profile: DeviceProfile): void {
    if (this.devices.has(profile.devEUI)) return;
    this.devices.set(profile.devEUI, new EndDevice(profile));
    if (this.intervalMs !== undefined) this.runInBackground(profile.devEUI, 0);
  }

  /** Ends a device's session on both sides (its thing is gone): it joins anew when registered again. */
  dropSession(devEUI: string): void {
    this.sessions.delete(devEUI);
    const device = this.devices.get(devEUI);
    if (device) device.session = undefined;
  }

  /** The profile of a device the simulator runs (its own keys), if it runs it. */
  profile(devEUI: string): DeviceProfile | undefined {
    return this.devices.get(devEUI)?.profile;
  }

  /**
   * Adds every device registered in TTS that the simulator does not run yet, e.g. one whose
   * thing a user created with `aws iot create-thing`: like a real device, it holds the root
   * key that create-device put on the Join Server. Answers the DevEUIs it added.
   */
  discover(): string[] {
    const added: string[] = [];
    for (const registered of this.options.network.registeredDevices(this.options.applicationID)) {
      if (this.devices.has(registered.devEUI)) continue;
      const { devEUI, joinEUI, appKey, deviceID } = registered;
      this.addDevice({ devEUI, joinEUI, appKey });
      this.options.onEvent?.({ type: 'discovered', devEUI, deviceID });
      added.push(devEUI);
    }
    return added;
  }

  /** The devices' keys, sessions and counters and the network's sessions and queues. */
  snapshot(): DeviceSimulatorSnapshot {
    return {
      joinNonce: this.joinNonce,
      nextDevAddr: this.nextDevAddr,
      devices: [...this.devices.values()].map((device) => device.snapshot()),
      sessions: [...this.sessions].map(([devEUI, session]) => [
        devEUI,
        {
          ...session,
          devAddr: toHex(session.devAddr),
          sessionKeyID: session.sessionKeyID.toString('base64'),
          appSKey: toHex(session.appSKey),
        },
      ]),
    };
  }

  /** Resumes from a {@link snapshot}: the devices rejoin nothing, their counters go on. */
  restore(snapshot: unknown): void {
    const saved = snapshot as DeviceSimulatorSnapshot;
    this.joinNonce = saved.joinNonce;
    this.nextDevAddr = saved.nextDevAddr;
    this.devices.clear();
    for (const device of saved.devices)
      this.devices.set(device.profile.devEUI, EndDevice.restore(device));
    this.sessions.clear();
    for (const [devEUI, session] of saved.sessions)
      this.sessions.set(devEUI, {
        ...session,
        queue: [...session.queue],
        devAddr: parseDevAddr(session.devAddr),
        sessionKeyID: Buffer.from(session.sessionKeyID, 'base64'),
        appSKey: parseAesKey(session.appSKey),
      });
  }

  /** The downlinks a device received so far, decrypted with its own AppSKey. */
  received(devEUI: string): readonly ReceivedDownlink[] {
    return this.device(devEUI).received;
  }

  /** Whether the device has joined. */
  joined(devEUI: string): boolean {
    return this.device(devEUI).session !== undefined;
  }

  /** Performs an OTAA join; fails when the device is not registered or the pub/sub is not configured. */
  async join(devEUI: string): Promise<void> {
    const device = this.device(devEUI);
    const app = this.options.applicationID;
    const registered = this.options.network.device(app, devEUI);
    if (!registered) {
      throw new LocalStackError(
        'device_not_registered',
        `Device ${devEUI} is not registered in the TTS stand-in yet: create-device registers it after its thing is created.`,
        { devEUI },
      );
    }
    this.checkPubSub();
    const devNonce = device.nextDevNonce();
    const joinNonce = this.joinNonce++;
    const devAddr = this.allocateDevAddr();
    device.activate(joinNonce, devNonce, devAddr);
    const session: NetworkSession = {
      registered,
      devAddr,
      sessionKeyID: randomBytes(16),
      // The network's AppSKey comes from the Join Server's AppKey: if registration carried
      // another key than the device's, uplinks will not decrypt — as on a real network.
      appSKey: deriveLegacyAppSKey(parseAesKey(registered.appKey), joinNonce, NET_ID, devNonce),
      nextFCntDown: 0,
      lastFCntDown: undefined,
      queue: [],
      awaitingAck: undefined,
    };
    this.sessions.set(devEUI, session);
    const appSKeyEnvelope = this.appSKeyEnvelope(session);
    await this.publishUp(session, 'join', {
      join_accept: {
        session_key_id: session.sessionKeyID.toString('base64'),
        ...(appSKeyEnvelope && { app_s_key: appSKeyEnvelope }),
        received_at: now(),
      },
    });
    this.options.onEvent?.({
      type: 'joined',
      devEUI,
      devAddr: toHex(devAddr),
      e2e: appSKeyEnvelope !== undefined,
    });
  }

  /** Sends one uplink (by default a sensor reading), then delivers a queued downlink (class A). */
  async uplink(devEUI: string, payload?: Uint8Array): Promise<void> {
    const { device, session } = this.activeSession(devEUI);
    const fCnt = device.session.fCntUp++;
    const plaintext = payload ?? sensorReading(fCnt);
    const ciphertext = encryptFRMPayload(
      device.session.appSKey,
      'up',
      device.session.devAddr,
      fCnt,
      plaintext,
    );
    if (session.awaitingAck) {
      // The ACK bit of this uplink confirms the last confirmed downlink.
      await this.publishUp(session, 'downlink/ack', { downlink_ack: session.awaitingAck });
      session.awaitingAck = undefined;
    }
    await this.publishUp(session, 'uplink', {
      uplink_message: this.uplinkMessage(session, fCnt, ciphertext),
    });
    this.options.onEvent?.({
      type: 'uplink',
      devEUI,
      fCnt,
      fPort: UPLINK_F_PORT,
      payload: plaintext,
    });
    await this.transmitDownlink(device, session);
  }

  /** The joined device and its network session; a device deleted from TTS loses its session. */
  private activeSession(devEUI: string): {
    device: JoinedDevice;
    session: NetworkSession;
  } {
    const device = this.device(devEUI);
    const session = this.sessions.get(devEUI);
    if (!device.session || !session)
      throw new LocalStackError(
        'device_not_joined',
        `Device ${devEUI} has not joined: join it first.`,
        { devEUI },
      );
    this.checkPubSub();
    if (!this.options.network.device(this.options.applicationID, devEUI)) {
      // Deleted from TTS: the network drops the frame; the device, unanswered, will rejoin.
      this.sessions.delete(devEUI);
      device.session = undefined;
      throw new LocalStackError(
        'device_not_registered',
        `Device ${devEUI} is no longer registered in the TTS stand-in: its uplinks are dropped.`,
        { devEUI },
      );
    }
    return {
      device: device as JoinedDevice,
      session,
    };
  }

  /** The `uplink_message` the Application Server publishes for a frame. */
  private uplinkMessage(session: NetworkSession, fCnt: number, ciphertext: Uint8Array): Json {
    const skip = this.options.network.skipPayloadCrypto(this.options.applicationID);
    const appSKeyEnvelope = this.appSKeyEnvelope(session);
    return {
      session_key_id: session.sessionKeyID.toString('base64'),
      f_port: UPLINK_F_PORT,
      f_cnt: fCnt,
      // With skip payload crypto the ciphertext travels on; otherwise the AS decrypts it.
      frm_payload: Buffer.from(
        skip
          ? ciphertext
          : decryptFRMPayload(session.appSKey, 'up', session.devAddr, fCnt, ciphertext),
      ).toString('base64'),
      rx_metadata: [
        {
          gateway_ids: GATEWAY,
          time: now(),
          timestamp: (fCnt * 1_000_003) >>> 0,
          rssi: -42 - (fCnt % 20),
          channel_rssi: -42 - (fCnt % 20),
          snr: 9.5 - (fCnt % 7),
          uplink_token: randomBytes(8).toString('base64'),
        },
      ],
      settings: {
        data_rate: { lora: { bandwidth: 125000, spreading_factor: 7, coding_rate: '4/5' } },
        frequency: '868100000',
      },
      received_at: now(),
      consumed_airtime: '0.051456s',
      network_ids: { net_id: '000013', cluster_id: 'local', cluster_address: '127.0.0.1' },
      ...(skip && appSKeyEnvelope && { app_s_key: appSKeyEnvelope }),
      ...(skip &&
        session.lastFCntDown !== undefined && { last_a_f_cnt_down: session.lastFCntDown }),
    };
  }

  /**
   * Runs every device on its own: it tries to join every second until it is registered and
   * the pub/sub is configured, then sends an uplink every `intervalMs` (devices staggered).
   */
  startTraffic(intervalMs: number): void {
    this.intervalMs = intervalMs;
    const devEUIs = [...this.devices.keys()];
    devEUIs.forEach((devEUI, index) =>
      this.runInBackground(devEUI, (intervalMs * index) / devEUIs.length),
    );
    this.running.push(this.discoverPeriodically());
  }

  async close(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.running);
    await this.client.endAsync();
  }

  private runInBackground(devEUI: string, offsetMs: number): void {
    this.running.push(this.runDevice(devEUI, this.intervalMs ?? JOIN_RETRY_MS, offsetMs));
  }

  /** Picks up devices registered through the integration while the traffic runs. */
  private async discoverPeriodically(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      this.discover();
      await this.sleep(DISCOVERY_MS);
    }
  }

  private async runDevice(devEUI: string, intervalMs: number, offsetMs: number): Promise<void> {
    let lastProblem: string | undefined;
    await this.sleep(offsetMs);
    while (!this.stopping.signal.aborted) {
      let sent = false;
      try {
        if (this.joined(devEUI)) {
          await this.uplink(devEUI);
          sent = true;
        } else await this.join(devEUI);
        lastProblem = undefined;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        // Say it once, not every second while waiting.
        if (reason !== lastProblem) this.options.onEvent?.({ type: 'not_ready', devEUI, reason });
        lastProblem = reason;
      }
      // The first uplink follows a join within a second; then one every interval.
      await this.sleep(sent ? intervalMs : JOIN_RETRY_MS);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.stopping.signal;
      if (signal.aborted) return resolve();
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private device(devEUI: string): EndDevice {
    const device = this.devices.get(devEUI);
    if (!device)
      throw new LocalStackError('unknown_device', `No simulated device ${devEUI}.`, { devEUI });
    return device;
  }

  private checkPubSub(): void {
    const configured = this.options.network.pubSubStackName(this.options.applicationID);
    if (configured !== this.options.stackName) {
      throw new LocalStackError(
        'pubsub_not_configured',
        configured === undefined
          ? `Application ${this.options.applicationID} has no AWS IoT pub/sub in the TTS stand-in: the pubsub-config custom resource configures it.`
          : `The pub/sub of ${this.options.applicationID} publishes for stack ${configured}, not ${this.options.stackName}.`,
      );
    }
  }

  /** The AppSKey as the AS hands it on: wrapped with the KEK if set, else in the clear (as TTS does). */
  private appSKeyEnvelope(
    session: NetworkSession,
  ): { encrypted_key: string; kek_label: string } | { key: string } | undefined {
    if (!this.options.network.skipPayloadCrypto(this.options.applicationID)) return undefined;
    const kek = this.options.network.kek(this.options.applicationID);
    if (!kek) return { key: toHex(session.appSKey) };
    // Key wrap is deterministic: a session's envelope under one KEK is wrapped once.
    const known = this.envelopes.get(session);
    if (known && known.kekLabel === kek.label && Buffer.from(kek.key).equals(known.kek))
      return known.envelope;
    const envelope = {
      encrypted_key: Buffer.from(wrapKey(kek.key, session.appSKey)).toString('base64'),
      kek_label: kek.label,
    };
    this.envelopes.set(session, { kek: kek.key, kekLabel: kek.label, envelope });
    return envelope;
  }

  private allocateDevAddr(): DevAddr {
    this.nextDevAddr = (this.nextDevAddr + 1) & 0xffff;
    return parseDevAddr(`260B${this.nextDevAddr.toString(16).padStart(4, '0')}`);
  }

  /** Queues pushed downlinks as the Network Server would, or answers `downlink_failed`. */
  private async takeDownlinks(payload: Buffer, replace: boolean): Promise<void> {
    let request: DownlinkQueueRequestJson;
    try {
      request = JSON.parse(payload.toString('utf8')) as DownlinkQueueRequestJson;
    } catch {
      return;
    }
    const deviceID = request.end_device_ids?.device_id;
    const entry = [...this.sessions.entries()].find(
      ([, session]) => session.registered.deviceID === deviceID,
    );
    if (!entry) return;
    const [devEUI, session] = entry;
    if (replace) session.queue.splice(0);
    const skip = this.options.network.skipPayloadCrypto(this.options.applicationID);
    for (const downlink of request.downlinks ?? []) {
      const refusal = skip ? this.checkEncryptedDownlink(session, downlink) : undefined;
      if (refusal) {
        await this.publishUp(session, 'downlink/failed', {
          downlink_failed: { downlink, error: refusal },
        });
        this.options.onEvent?.({ type: 'downlink_failed', devEUI, reason: refusal.name });
        continue;
      }
      // Without skip payload crypto the AS assigns the counter itself.
      const queued = skip ? downlink : { ...downlink, f_cnt: session.nextFCntDown };
      session.nextFCntDown = (queued.f_cnt ?? session.nextFCntDown) + 1;
      session.lastFCntDown = queued.f_cnt;
      session.queue.push(queued);
      await this.publishUp(session, 'downlink/queued', { downlink_queued: queued });
    }
  }

  /** The Network Server's checks of an application-encrypted downlink (docs/tts.md "Downlinks"). */
  private checkEncryptedDownlink(
    session: NetworkSession,
    downlink: ApplicationDownlinkJson,
  ): ErrorDetailsJson | undefined {
    const error = (
      name: string,
      message: string,
      code: number,
      attributes: Record<string, unknown> = {},
    ): ErrorDetailsJson => ({
      namespace: 'pkg/networkserver',
      name,
      message_format: message,
      attributes,
      code,
    });
    if (!downlink.f_port) return error('no_f_port', 'f_port must be set (1..223)', 3);
    if (downlink.f_cnt === undefined || !downlink.session_key_id)
      return error(
        'missing_session',
        'f_cnt and session_key_id must be set with skip payload crypto',
        3,
      );
    if (!Buffer.from(downlink.session_key_id, 'base64').equals(session.sessionKeyID))
      return error('unknown_session', 'unknown session', 5);
    if (downlink.f_cnt < session.nextFCntDown) {
      return error('f_cnt_too_low', 'FCnt too low', 3, {
        f_cnt: downlink.f_cnt,
        min_f_cnt: session.nextFCntDown,
      });
    }
    return undefined;
  }

  /** The receive window after an uplink: the first queued downlink reaches the device. */
  private async transmitDownlink(device: EndDevice, session: NetworkSession): Promise<void> {
    const downlink = session.queue.shift();
    if (!downlink || !device.session) return;
    const fCnt = downlink.f_cnt ?? 0;
    const frm = Buffer.from(downlink.frm_payload ?? '', 'base64');
    // Without skip payload crypto the AS encrypts the plaintext it was given.
    const skip = this.options.network.skipPayloadCrypto(this.options.applicationID);
    const onAir = skip
      ? frm
      : encryptFRMPayload(session.appSKey, 'down', session.devAddr, fCnt, frm);
    const received: ReceivedDownlink = {
      fCnt,
      fPort: downlink.f_port,
      payload: decryptFRMPayload(
        device.session.appSKey,
        'down',
        device.session.devAddr,
        fCnt,
        onAir,
      ),
      confirmed: downlink.confirmed === true,
    };
    device.received.push(received);
    await this.publishUp(session, 'downlink/sent', { downlink_sent: downlink });
    if (received.confirmed) session.awaitingAck = downlink;
    this.options.onEvent?.({ type: 'downlink', devEUI: device.profile.devEUI, downlink: received });
  }

  private async publishUp(
    session: NetworkSession,
    subtopic: string,
    message: Record<string, unknown>,
  ): Promise<void> {
    const { registered, devAddr } = session;
    const body = {
      end_device_ids: {
        device_id: registered.deviceID,
        application_ids: { application_id: this.options.applicationID },
        dev_eui: registered.devEUI,
        join_eui: registered.joinEUI,
        dev_addr: toHex(devAddr),
      },
      correlation_ids: [`as:up:${randomUUID()}`],
      received_at: now(),
      ...message,
    };
    await this.client.publishAsync(`${this.baseTopic}/${subtopic}`, JSON.stringify(body), {
      qos: 1,
    });
  }
}

function now(): string {
  return new Date().toISOString();
}
