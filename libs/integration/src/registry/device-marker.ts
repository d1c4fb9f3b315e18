/**
 * How the TTS devices this stack provisions say so: its marker and the thing they were
 * provisioned for, both Identity Server attributes that only holders of the TTS API key can
 * write. The registration writes them; a deletion reads them back (device-deletion.ts).
 */
import type { DeviceMarker } from '@tts-aws-iot/tts';

/**
 * The TTS end-device attribute (on the Identity Server) that marks a device as provisioned
 * by this stack: `aws-iot-stack=<stack name>`. CreateThing and ClaimThing write it; only it
 * makes a device this stack's to complete or delete, since only holders of the TTS API key
 * can set it (thing attributes can be set by anyone allowed to create or update things).
 */
const STACK_MARKER_KEY = 'aws-iot-stack';

/**
 * The TTS end-device attribute that names the thing a device was provisioned for, by the
 * thing's registry ID (`aws-iot-thing-id=<thingId>`): a thing deleted and created again
 * under the same name has another ID, so it neither completes nor deletes the earlier
 * thing's device.
 */
export const THING_ID_KEY = 'aws-iot-thing-id';

/** This stack's marker on the TTS devices it provisions. */
export function stackMarker(stackName: string): DeviceMarker {
  return { key: STACK_MARKER_KEY, value: stackName };
}
