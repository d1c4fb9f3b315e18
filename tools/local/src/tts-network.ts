import { randomBytes } from 'node:crypto';
import { deviceKey, type Claim, type Component, type SimState } from '@tts-aws-iot/tts-sim';
import type { RegisteredDevice, TtsNetworkState } from './devices';
import type { Persistent } from './state';

type Json = Readonly<Record<string, unknown>>;

/**
 * A device whose root key lives on an external Join Server (its maker's), as a claimable
 * device's does: the cluster's Join Server never holds it, and the claim only hands the
 * device to the application once the authentication code on its label checks out.
 */
export interface ExternalJoinServerDevice {
  /** 16 uppercase hex digits. */
  readonly devEUI: string;
  readonly joinEUI: string;
  /** 32 hex digits. */
  readonly appKey: string;
  /** The code printed on the device's label. */
  readonly claimAuthenticationCode: string;
}

/**
 * The maker's Join Server of the claimable devices (one JoinEUI): it keeps their AppKeys and
 * label codes. A claim of a device it does not know yet (a user claiming with
 * `aws iot create-thing … claimAuthenticationCode=…`) makes one for that claim, as if the
 * maker had shipped a device with that code on its label; the AppKey stays here.
 */
export class ExternalJoinServer implements Persistent {
  private readonly devices = new Map<string, ExternalJoinServerDevice>();

  constructor(readonly joinEUI: string) {}

  add(device: ExternalJoinServerDevice): void {
    this.devices.set(device.devEUI.toUpperCase(), device);
  }

  get(devEUI: string): ExternalJoinServerDevice | undefined {
    return this.devices.get(devEUI.toUpperCase());
  }

  /** The AppKey of a device claimed with its own code; undefined for another JoinEUI or code. */
  appKeyFor(claim: Claim, devEUI: string): string | undefined {
    if (claim.devEUI.toUpperCase() !== devEUI) return undefined;
    if (claim.joinEUI.toUpperCase() !== this.joinEUI) return undefined;
    let device = this.devices.get(devEUI);
    if (!device) {
      device = {
        devEUI,
        joinEUI: this.joinEUI,
        appKey: randomBytes(16).toString('hex').toUpperCase(),
        claimAuthenticationCode: claim.authenticationCode,
      };
      this.add(device);
    }
    const codeMatches =
      claim.authenticationCode.toUpperCase() === device.claimAuthenticationCode.toUpperCase();
    return codeMatches ? device.appKey : undefined;
  }

  snapshot(): unknown {
    return [...this.devices.values()];
  }

  restore(snapshot: unknown): void {
    this.devices.clear();
    for (const device of snapshot as ExternalJoinServerDevice[]) this.add(device);
  }
}

/**
 * Reads the TTS stand-in's state (TTS JSON, as the Lambdas wrote it through the HTTP API) as
 * the simulated network sees it: pub/sub, Join Server KEK, Application Server link, devices.
 * The stand-in's Device Claiming Server records a claim but holds no root key, so claimed
 * devices join with the AppKey of `externalJoinServer`, and only once they are claimed
 * with their own code and registered on IS and NS.
 */
export function ttsNetworkState(
  state: SimState,
  externalJoinServer?: ExternalJoinServer,
): TtsNetworkState {
  const registered = (applicationID: string, devEUI?: string) =>
    registeredDevices(state, applicationID, externalJoinServer, devEUI);
  // Every uplink asks for its device: find its IS entry by DevEUI without a scan each time.
  const keys = new Map<string, string>();
  const device = (applicationID: string, devEUI: string): RegisteredDevice | undefined => {
    const key = keys.get(devEUI) ?? '';
    const known = key.startsWith(`${applicationID}/`) ? state.devices.is.get(key) : undefined;
    if (known !== undefined && devEUIOf(known) === devEUI)
      return readyDevice(state, key, known, externalJoinServer);
    const found = registered(applicationID, devEUI)[0];
    if (found) keys.set(devEUI, deviceKey(applicationID, found.deviceID));
    return found;
  };
  return {
    pubSubStackName: (applicationID) => pubSubStackName(state, applicationID),
    kek(applicationID) {
      const settings = state.kekSettings.get(applicationID);
      const label = at(settings, ['kek_label']);
      const key = at(settings, ['kek', 'key']);
      if (typeof label !== 'string' || typeof key !== 'string') return undefined;
      return { label, key: Buffer.from(key, 'hex') };
    },
    skipPayloadCrypto(applicationID) {
      return at(state.links.get(applicationID), ['skip_payload_crypto']) === true;
    },
    device,
    registeredDevices: (applicationID) => registered(applicationID),
  };
}

function pubSubStackName(state: SimState, applicationID: string): string | undefined {
  for (const [key, pubsub] of state.pubsubs) {
    if (!key.startsWith(`${applicationID}/`)) continue;
    const awsIot = at(pubsub, ['aws_iot']);
    const stackName =
      at(awsIot, ['default', 'stack_name']) ?? at(awsIot, ['deployment', 'default', 'stack_name']);
    if (typeof stackName === 'string') return stackName;
  }
  return undefined;
}

/**
 * The application's devices (or the one with `onlyDevEUI`) that are ready to join:
 * registered on IS, JS (with its AppKey, or claimed from the external Join Server) and NS.
 */
function registeredDevices(
  state: SimState,
  applicationID: string,
  externalJoinServer: ExternalJoinServer | undefined,
  onlyDevEUI?: string,
): RegisteredDevice[] {
  const ready: RegisteredDevice[] = [];
  for (const [key, identity] of state.devices.is) {
    if (!key.startsWith(`${applicationID}/`)) continue;
    if (onlyDevEUI !== undefined && devEUIOf(identity) !== onlyDevEUI) continue;
    const device = readyDevice(state, key, identity, externalJoinServer);
    if (device) ready.push(device);
  }
  return ready;
}

/** The device of this IS entry, when NS has it and JS (or the external Join Server) its AppKey. */
function readyDevice(
  state: SimState,
  key: string,
  identity: unknown,
  externalJoinServer: ExternalJoinServer | undefined,
): RegisteredDevice | undefined {
  if (!state.devices.ns.has(key)) return undefined;
  const devEUI = devEUIOf(identity);
  const joinServer = state.devices.js.get(key);
  const claim = state.claims.get(key);
  const appKey =
    joinServer !== undefined
      ? at(joinServer, ['root_keys', 'app_key', 'key'])
      : claim && externalJoinServer?.appKeyFor(claim, devEUI);
  if (typeof appKey !== 'string' || devEUI === '') return undefined;
  return {
    deviceID: String(at(identity, ['ids', 'device_id'])),
    devEUI,
    joinEUI: String(at(identity, ['ids', 'join_eui']) ?? '0000000000000000').toUpperCase(),
    appKey: appKey.toUpperCase(),
  };
}

function devEUIOf(identity: unknown): string {
  return String(at(identity, ['ids', 'dev_eui']) ?? '').toUpperCase();
}

/** The registries of the TTS stand-in that still hold the device (none once it is deleted). */
export function registriesHolding(
  state: SimState,
  applicationID: string,
  deviceID: string,
): Component[] {
  const key = `${applicationID}/${deviceID}`;
  return (Object.keys(state.devices) as Component[]).filter((component) =>
    state.devices[component].has(key),
  );
}

function at(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const field of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Json)[field];
  }
  return current;
}
