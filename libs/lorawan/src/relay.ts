/**
 * Relayed frames (relay specification TS011-1.0.0): a relay forwards what it hears from an
 * end-device in the FRMPayload of its own uplinks on FPort 226 (ForwardUplinkReq), and the
 * network answers on the same port with the end-device's PHYPayload (ForwardDownlinkReq,
 * nothing but that PHYPayload). The FRMPayload is encrypted like any other: decrypt it first.
 */
import { checkBytes, checkUint, copyOf, readUintLE, writeUintLE } from './bytes';
import { LorawanError } from './errors';

/** The FPort of relayed frames, both ways. */
export const RELAY_F_PORT = 226;

/**
 * A ForwardUplinkReq: how the relay heard the end-device, and what it heard. The layout is
 * UplinkMetadata (3 bytes: WORChannel 17..16, -(RSSI + 15) 15..9, SNR + 20 8..4, DR 3..0) |
 * Frequency (3 bytes, 100 Hz) | PHYPayload, as The Things Stack, ChirpStack and Semtech's
 * relay firmware write it.
 */
export interface ForwardUplinkReq {
  /** The wake-on-radio channel the relay heard it on: 0 default, 1 the second channel. */
  readonly worChannel: number;
  /** RSSI in dBm, -142 to -15. */
  readonly rssi: number;
  /** SNR in dB, -20 to 11. */
  readonly snr: number;
  /** The data rate index of the end-device's uplink. */
  readonly dataRate: number;
  /** The end-device's uplink frequency in Hz. */
  readonly frequency: number;
  /** The end-device's PHYPayload, to decode with `decodePHYPayload`. */
  readonly phyPayload: Uint8Array;
}

/** Decodes the (decrypted) FRMPayload of an FPort-226 uplink; RFU bits are ignored. */
export function decodeForwardUplinkReq(frmPayload: Uint8Array): ForwardUplinkReq {
  if (!(frmPayload instanceof Uint8Array) || frmPayload.length < 7) {
    throw new LorawanError(
      'invalid_length',
      `A ForwardUplinkReq has 6 bytes of metadata and frequency, then the PHYPayload; got ${frmPayload instanceof Uint8Array ? `${frmPayload.length} bytes` : typeof frmPayload}.`,
      { structure: 'ForwardUplinkReq' },
    );
  }
  const metadata = readUintLE(frmPayload, 0, 3);
  return {
    worChannel: (metadata >>> 16) & 0x03,
    rssi: -((metadata >>> 9) & 0x7f) - 15,
    snr: ((metadata >>> 4) & 0x1f) - 20,
    dataRate: metadata & 0x0f,
    frequency: readUintLE(frmPayload, 3, 3) * 100,
    phyPayload: copyOf(frmPayload, 6, frmPayload.length),
  };
}

/** Encodes a ForwardUplinkReq, checking every field, as the FRMPayload of an FPort-226 uplink. */
export function encodeForwardUplinkReq(request: ForwardUplinkReq): Uint8Array {
  const { worChannel, rssi, snr, dataRate, frequency } = request;
  const phyPayload = checkBytes('PHYPayload', request.phyPayload, 255);
  if (phyPayload.length === 0)
    throw new LorawanError('invalid_value', 'Invalid PHYPayload: a relayed frame is expected.', {
      field: 'PHYPayload',
    });
  if (!Number.isInteger(rssi) || rssi < -142 || rssi > -15)
    throw new LorawanError(
      'invalid_value',
      `Invalid RSSI: ${String(rssi)}; an integer from -142 to -15 dBm is expected.`,
      { field: 'RSSI' },
    );
  if (!Number.isInteger(snr) || snr < -20 || snr > 11)
    throw new LorawanError(
      'invalid_value',
      `Invalid SNR: ${String(snr)}; an integer from -20 to 11 dB is expected.`,
      { field: 'SNR' },
    );
  if (!Number.isInteger(frequency / 100))
    throw new LorawanError(
      'invalid_value',
      `Invalid Frequency: ${String(frequency)}; a multiple of 100 Hz is expected.`,
      { field: 'Frequency' },
    );
  const out = new Uint8Array(6 + phyPayload.length);
  const metadata =
    (checkUint('WORChannel', worChannel, 3) << 16) |
    (-(rssi + 15) << 9) |
    ((snr + 20) << 4) |
    checkUint('DataRate', dataRate, 15);
  writeUintLE(out, 0, metadata, 3);
  writeUintLE(out, 3, checkUint('Frequency / 100', frequency / 100, 0xffffff), 3);
  out.set(phyPayload, 6);
  return out;
}
