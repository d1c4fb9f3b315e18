import { repositoryKey, type TtsSim } from '@tts-aws-iot/tts-sim';

/**
 * The local stack's Device Repository device: the first created demo device's thing names a
 * model (`brandID`, `modelID`, `firmwareVersion`, `bandID`), so create-device registers it
 * with those `version_ids` and `FORMATTER_REPOSITORY` on the Application Server, and the TTS
 * stand-in's Device Repository serves this JavaScript codec for the model. With end-to-end
 * encryption the traffic functions then decode its uplinks and encode decoded downlinks.
 */
export const FORMATTER_DEMO_DEV_EUI = '0004A30B001C0001';

/** The model of the demo codec, as thing attributes. */
export const FORMATTER_DEMO_MODEL = {
  brandID: 'tts-aws-iot',
  modelID: 'local-sensor',
  firmwareVersion: '1.0',
  bandID: 'EU_863_870',
} as const;

/**
 * The demo codec: the simulator's readings (int16 temperature × 100, humidity %, battery %),
 * the demo's 3-byte check uplink (`DE 40 <n>`), and a downlink `{level}` as `01 <level>` on
 * FPort 10.
 */
export const FORMATTER_DEMO_CODEC = `
function decodeUplink(input) {
  var b = input.bytes;
  if (b.length === 4) {
    var t = (b[0] << 8) | b[1];
    if (t > 0x7fff) t -= 0x10000;
    return { data: { temperature: t / 100, humidity: b[2], battery: b[3] } };
  }
  if (b.length === 3 && b[0] === 0xde && b[1] === 0x40) return { data: { check: b[2] } };
  return { errors: ['unknown payload of ' + b.length + ' bytes'] };
}
function encodeDownlink(input) {
  var level = input.data.level;
  if (typeof level !== 'number' || level < 0 || level > 255 || level % 1 !== 0)
    return { errors: ['level must be a whole number from 0 to 255'] };
  return { bytes: [0x01, level], fPort: 10 };
}
`;

/** Puts the demo codec into the TTS stand-in's Device Repository (both directions). */
export function seedFormatterDemo(tts: TtsSim): void {
  for (const direction of ['uplink/decoder', 'downlink/encoder'])
    tts.state.repository.set(repositoryKey(FORMATTER_DEMO_MODEL, direction), {
      formatter: 'FORMATTER_JAVASCRIPT',
      formatter_parameter: FORMATTER_DEMO_CODEC,
    });
}

/** The model attributes of a demo device's thing: only the formatter demo device has them. */
export function formatterDemoAttributes(devEUI: string): Record<string, string> {
  return devEUI === FORMATTER_DEMO_DEV_EUI ? { ...FORMATTER_DEMO_MODEL } : {};
}
