import type { SimState } from '@tts-aws-iot/tts-sim';
import type { RegisteredDevice, TtsNetworkState } from './devices';

type Json = Readonly<Record<string, unknown>>;

/**
 * Reads the TTS stand-in's state (TTS JSON, as the Lambdas wrote it through the HTTP API) as
 * the simulated network sees it: pub/sub, Join Server KEK, Application Server link, devices.
 */
export function ttsNetworkState(state: SimState): TtsNetworkState {
  return {
    pubSubStackName(applicationID) {
      for (const [key, pubsub] of state.pubsubs) {
        if (!key.startsWith(`${applicationID}/`)) continue;
        const awsIot = at(pubsub, ['aws_iot']);
        const stackName =
          at(awsIot, ['default', 'stack_name']) ??
          at(awsIot, ['deployment', 'default', 'stack_name']);
        if (typeof stackName === 'string') return stackName;
      }
      return undefined;
    },
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
    device(applicationID, devEUI) {
      for (const [key, identity] of state.devices.is) {
        if (
          !key.startsWith(`${applicationID}/`) ||
          String(at(identity, ['ids', 'dev_eui']) ?? '').toUpperCase() !== devEUI
        )
          continue;
        const joinServer = state.devices.js.get(key);
        const appKey = at(joinServer, ['root_keys', 'app_key', 'key']);
        // A device is ready to join once IS, JS (with its AppKey) and NS know it.
        if (typeof appKey !== 'string' || !state.devices.ns.has(key)) return undefined;
        const device: RegisteredDevice = {
          deviceID: String(at(identity, ['ids', 'device_id'])),
          devEUI,
          joinEUI: String(at(identity, ['ids', 'join_eui']) ?? '0000000000000000').toUpperCase(),
          appKey,
        };
        return device;
      }
      return undefined;
    },
  };
}

function at(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const field of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Json)[field];
  }
  return current;
}
