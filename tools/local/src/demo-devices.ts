import { randomBytes } from 'node:crypto';
import { CreateThingCommand, IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { IotControlPlane } from './aws-api/iot';
import type { DeviceSimulator } from './devices';
import type { DeviceProfile } from './end-device';
import { formatterDemoAttributes } from './formatter-demo';
import { FREQUENCY_PLAN_ID } from './lambdas';
import type { LocalOptions } from './options';
import type { ExternalJoinServer } from './tts-network';
import { REGION } from './wiring';

/** A simulated device, and how its thing has it provisioned. */
export interface LocalDevice extends DeviceProfile {
  /**
   * Set for a device claimed from its external Join Server: its thing carries this code, not
   * the AppKey, which only the device and that Join Server hold.
   */
  readonly claimAuthenticationCode?: string;
}

/** The JoinEUI of the demo devices created with their AppKey. */
export const JOIN_EUI = '70B3D57ED0000000';
/** A made-up JoinEUI of an external Join Server, which the TTS stand-in can claim from. */
export const CLAIM_JOIN_EUI = '0000000000C1A100';
/** Microchip's OUI, as in the documentation's examples; the index makes each DevEUI. */
const DEV_EUI_PREFIX = '0004A30B001C';

/**
 * The demo devices of `--devices` and `--claim-devices`, created ones first: DevEUIs by
 * index, so a resumed stack finds the ones it made before (with their keys and codes) and
 * adds only those it lacks.
 */
export function demoDevices(
  options: LocalOptions,
  simulator: DeviceSimulator,
  externalJoinServer: ExternalJoinServer,
): LocalDevice[] {
  return Array.from({ length: options.devices + options.claimDevices }, (_, i): LocalDevice => {
    const devEUI = `${DEV_EUI_PREFIX}${(i + 1).toString(16).toUpperCase().padStart(4, '0')}`;
    // A device made before keeps what it is (created or claimed), whatever the counts now.
    const known = externalJoinServer.get(devEUI) ?? simulator.profile(devEUI);
    if (known) return known;
    if (i < options.devices) return { devEUI, joinEUI: JOIN_EUI, appKey: randomHex(16) };
    const external = {
      devEUI,
      joinEUI: CLAIM_JOIN_EUI,
      appKey: randomHex(16),
      claimAuthenticationCode: randomHex(4),
    };
    // The claimable devices' AppKeys stay on their external Join Server (here: the
    // simulated network), as a maker's Join Server keeps them; TTS and the things never
    // see them.
    externalJoinServer.add(external);
    return external;
  });
}

/**
 * As an operator would: a thing with each device's LoRaWAN attributes, for the devices
 * whose thing does not exist yet. The registry event makes create-device register it in TTS
 * with its AppKey, or claim register it with the code from its label; either then strips
 * the key or code from the thing.
 */
export async function createDemoThings(
  devices: readonly LocalDevice[],
  settings: {
    readonly options: LocalOptions;
    readonly apiUrl: string;
    readonly iot: IotControlPlane;
  },
): Promise<void> {
  const missing = devices.filter((device) => settings.iot.getThing(device.devEUI) === undefined);
  if (missing.length === 0) return;
  const iot = localIotClient(settings.apiUrl);
  try {
    for (const device of missing)
      await iot.send(
        new CreateThingCommand({
          thingName: device.devEUI,
          thingTypeName: settings.options.thingTypeName,
          attributePayload: { attributes: demoAttributes(device, settings.options.stackName) },
        }),
      );
  } finally {
    iot.destroy();
  }
}

/** The attributes of a demo device's thing: root key, or claim code (docs/architecture.md). */
export function demoAttributes(device: LocalDevice, stackName: string): Record<string, string> {
  const identity = { devEUI: device.devEUI, stackName, joinEUI: device.joinEUI };
  return device.claimAuthenticationCode === undefined
    ? {
        ...identity,
        lorawanVersion: '1.0.3',
        regionalParametersVersion: '1.0.3-a',
        frequencyPlanID: FREQUENCY_PLAN_ID,
        appKey: device.appKey,
        ...formatterDemoAttributes(device.devEUI),
      }
    : { ...identity, claimAuthenticationCode: device.claimAuthenticationCode };
}

/** An IoT data-plane client of the local AWS API (shadows; any credentials do). */
export function localIotDataClient(endpoint: string): IoTDataPlaneClient {
  return new IoTDataPlaneClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** An IoT client of the local AWS API (any credentials do). */
export function localIotClient(endpoint: string): IoTClient {
  return new IoTClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex').toUpperCase();
}
