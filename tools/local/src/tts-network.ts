import type { Component, SimState } from '@tts-aws-iot/tts-sim';
import type { RegisteredDevice, TtsNetworkState } from './devices';

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
 * Reads the TTS stand-in's state (TTS JSON, as the Lambdas wrote it through the HTTP API) as
 * the simulated network sees it: pub/sub, Join Server KEK, Application Server link, devices.
 * The stand-in's Device Claiming Server records a claim but holds no root key, so the devices
 * of `externalJoinServer` join with the AppKey kept there, and only once they are claimed
 * with their own code and registered on IS and NS.
 */
export function ttsNetworkState(
  state: SimState,
  externalJoinServer: readonly ExternalJoinServerDevice[] = [],
): TtsNetworkState {
  /** The external Join Server's AppKey of a device claimed into this key with its own code. */
  const claimedAppKey = (key: string, devEUI: string): string | undefined => {
    const claim = state.claims.get(key);
    const external = externalJoinServer.find((d) => d.devEUI === devEUI);
    if (
      !claim ||
      !external ||
      claim.devEUI.toUpperCase() !== devEUI ||
      claim.joinEUI.toUpperCase() !== external.joinEUI.toUpperCase() ||
      claim.authenticationCode.toUpperCase() !== external.claimAuthenticationCode.toUpperCase()
    )
      return undefined;
    return external.appKey;
  };
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
        const appKey =
          joinServer === undefined
            ? claimedAppKey(key, devEUI)
            : at(joinServer, ['root_keys', 'app_key', 'key']);
        // A device is ready to join once IS, JS (with its AppKey, or its claim) and NS know it.
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
