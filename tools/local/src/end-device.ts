import { randomBytes } from 'node:crypto';
import {
  deriveLegacyAppSKey,
  parseAesKey,
  parseDevAddr,
  toHex,
  type AesKey,
  type DevAddr,
} from '@tts-aws-iot/lorawan';

/** What a simulated device is: its identity and its own copy of the root key. */
export interface DeviceProfile {
  readonly devEUI: string;
  readonly joinEUI: string;
  /** 32 hex digits. The device's own AppKey: the Join Server's copy comes from registration. */
  readonly appKey: string;
}

/** A downlink a simulated device received and decrypted with its own AppSKey. */
export interface ReceivedDownlink {
  readonly fCnt: number;
  readonly fPort: number;
  readonly payload: Uint8Array;
  readonly confirmed: boolean;
}

/** The Things Network's NetID: the simulated network's DevAddrs start with 0x26/0x27. */
export const NET_ID = 0x000013;

/** An end device as the data directory keeps it (hex keys, plain numbers). */
export interface EndDeviceSnapshot {
  readonly profile: DeviceProfile;
  readonly devNonce: number;
  readonly session?: {
    readonly devAddr: string;
    readonly appSKey: string;
    readonly fCntUp: number;
  };
  readonly received: readonly ReceivedDownlink[];
}

/** How many received downlinks a device remembers across restarts. */
const KEPT_DOWNLINKS = 50;

/** The radio side of one device: its keys and counters, as the firmware keeps them. */
export class EndDevice {
  private devNonce = randomBytes(2).readUInt16BE();
  session: { devAddr: DevAddr; appSKey: AesKey; fCntUp: number } | undefined;
  readonly received: ReceivedDownlink[] = [];

  constructor(
    readonly profile: DeviceProfile,
    private readonly appKey: AesKey = parseAesKey(profile.appKey),
  ) {}

  /** A device as it was saved: same DevNonce, session and counters. */
  static restore(saved: EndDeviceSnapshot): EndDevice {
    const device = new EndDevice(saved.profile);
    device.devNonce = saved.devNonce;
    if (saved.session)
      device.session = {
        devAddr: parseDevAddr(saved.session.devAddr),
        appSKey: parseAesKey(saved.session.appSKey),
        fCntUp: saved.session.fCntUp,
      };
    device.received.push(...saved.received.map((d) => ({ ...d, payload: Buffer.from(d.payload) })));
    return device;
  }

  snapshot(): EndDeviceSnapshot {
    return {
      profile: this.profile,
      devNonce: this.devNonce,
      ...(this.session && {
        session: {
          devAddr: toHex(this.session.devAddr),
          appSKey: toHex(this.session.appSKey),
          fCntUp: this.session.fCntUp,
        },
      }),
      received: this.received.slice(-KEPT_DOWNLINKS),
    };
  }

  nextDevNonce(): number {
    this.devNonce = (this.devNonce + 1) & 0xffff;
    return this.devNonce;
  }

  /** Derives the session from the join-accept fields (LoRaWAN 1.0.x, §6.2.5). */
  activate(joinNonce: number, devNonce: number, devAddr: DevAddr): void {
    this.session = {
      devAddr,
      appSKey: deriveLegacyAppSKey(this.appKey, joinNonce, NET_ID, devNonce),
      fCntUp: 0,
    };
  }
}

/** A deterministic sensor reading: temperature (0.01 °C, int16), humidity (%), battery (%). */
export function sensorReading(fCnt: number): Uint8Array {
  const reading = Buffer.alloc(4);
  reading.writeInt16BE(Math.round((21 + 2 * Math.sin(fCnt / 5)) * 100), 0);
  reading.writeUInt8(45 + (fCnt % 10), 2);
  reading.writeUInt8(Math.max(0, 100 - Math.floor(fCnt / 50)), 3);
  return reading;
}
