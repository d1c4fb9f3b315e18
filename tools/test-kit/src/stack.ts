import {
  CreateThingCommand,
  CreateThingTypeCommand,
  DeleteThingCommand,
  DescribeThingCommand,
  IoTClient,
} from '@aws-sdk/client-iot';
import {
  GetThingShadowCommand,
  IoTDataPlaneClient,
  UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createCipheriv } from 'node:crypto';

import { startMoto, type MotoServer } from './moto';

/**
 * The stack the tests deploy, so that unit tests, bundle tests and emulator suites speak of
 * the same one: its configuration, its Lambda environment against a moto, what its setup
 * leaves in the account, and one device's end-to-end encrypted session.
 */

/** The stack's configuration (an `IntegrationConfig` of libs/integration). */
export const TEST_STACK = {
  stackName: 'tts-stack',
  thingTypeName: 'lorawan',
  thingNameScheme: 'DevEUI',
  thingShadowMetrics: true,
  applicationID: 'my-app',
  clusterURL: 'https://eu1.cloud.thethings.industries/api/v3',
  e2eEnabled: true,
  kekSecretID: 'tts-stack/kek',
  apiKeySecretID: 'tts-stack/api-key',
  iotDataEndpoint: 'https://example-ats.iot.eu-west-1.amazonaws.com',
} as const;

/** The device of the session: its DevEUI (also its thing name), DevAddr and session key ID. */
export const DEV_EUI = '0004A30B001C0530';
export const DEV_ADDR = '260B1A2F';
export const SESSION_KEY_ID = 'AYpZ2oDPE0rYOBmhqrUpuQ==';

/** The session's AppSKey, and the KEKs of the stack's ring: `kek-2` (current) and `kek-1`. */
export const APP_S_KEY_HEX = '5D1F0E2A4B6C8D9EA0B1C2D3E4F50617';
export const KEK_HEX = '8C9A3F61D2E04B7795A1C3E5F7092B4D';
const OLD_KEK_HEX = '11223344556677881122334455667788';

/** The `<stack>/kek` secret as the stack deploys it: the flat ring `{current, <label>: hex}`. */
export const KEK_RING_SECRET = JSON.stringify({
  current: 'kek-2',
  'kek-1': OLD_KEK_HEX,
  'kek-2': KEK_HEX,
});

/**
 * The AppSKey wrapped under the current KEK (base64), as the TTS Join Server hands it on.
 * Wrapped by OpenSSL's RFC 3394 `id-aes128-wrap`, not by libs/keywrap: the fixture does not
 * lean on the code under test.
 */
export const WRAPPED_APP_S_KEY = (() => {
  const cipher = createCipheriv(
    'id-aes128-wrap',
    Buffer.from(KEK_HEX, 'hex'),
    Buffer.from('A6A6A6A6A6A6A6A6', 'hex'),
  );
  return Buffer.concat([cipher.update(Buffer.from(APP_S_KEY_HEX, 'hex')), cipher.final()]).toString(
    'base64',
  );
})();

/** Every form in which the session's key material must never appear: hex in either case, and base64. */
export function keyMaterialForms(): string[] {
  return [APP_S_KEY_HEX, KEK_HEX, OLD_KEK_HEX].flatMap((hex) => [
    hex,
    hex.toLowerCase(),
    Buffer.from(hex, 'hex').toString('base64'),
  ]);
}

/**
 * The Lambda environment of the stack (docs/architecture.md "Config") with `moto` as its AWS
 * account; `overrides` win.
 */
export function stackEnvironment(
  moto: MotoServer,
  overrides: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return {
    ...moto.env,
    STACK_NAME: TEST_STACK.stackName,
    THING_TYPE_NAME: TEST_STACK.thingTypeName,
    THING_NAME_SCHEME: TEST_STACK.thingNameScheme,
    THING_SHADOW_METRICS: String(TEST_STACK.thingShadowMetrics),
    APPLICATION_ID: TEST_STACK.applicationID,
    CLUSTER_ADDRESS: 'eu1.cloud.thethings.industries',
    E2E_ENABLED: String(TEST_STACK.e2eEnabled),
    KEK_SECRET_ID: TEST_STACK.kekSecretID,
    API_KEY_SECRET_ID: TEST_STACK.apiKeySecretID,
    IOT_DATA_ENDPOINT: moto.endpoint,
    ...overrides,
  };
}

/** Powertools variables for a bundle whose logs, metrics and traces a test does not read. */
export const SILENT_POWERTOOLS = {
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_TRACE_ENABLED: 'false',
} as const;

/** The test stack's AWS account in a private moto, and what a test checks it with. */
export interface StackAccount {
  /** Recording requests from the start; `moto.startRecording()` forgets what came before. */
  readonly moto: MotoServer;
  /** The stack's Lambda environment against this account (`stackEnvironment`). */
  readonly env: Record<string, string>;
  /** Creates a thing of the stack's thing type. */
  createThing(thingName: string, attributes: Readonly<Record<string, string>>): Promise<void>;
  deleteThing(thingName: string): Promise<void>;
  /** A thing's type and attributes. */
  thing(
    thingName: string,
  ): Promise<{ thingId?: string; thingTypeName?: string; attributes: Record<string, string> }>;
  /** A thing's `lorawan` shadow. */
  shadow(
    thingName: string,
  ): Promise<{ state: { reported: Record<string, unknown> }; version: number }>;
  /** Merges `reported` into a thing's `lorawan` shadow. */
  report(thingName: string, reported: Readonly<Record<string, unknown>>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * What the stack's setup leaves in the account: the thing type with the searchable attributes
 * `devEUI` and `stackName`, and the secrets; then the recording starts.
 */
async function setUpAccount(
  moto: MotoServer,
  iot: IoTClient,
  secretValues: Readonly<Record<string, string>>,
): Promise<void> {
  const secrets = new SecretsManagerClient(moto.clientConfig);
  try {
    await iot.send(
      new CreateThingTypeCommand({
        thingTypeName: TEST_STACK.thingTypeName,
        thingTypeProperties: { searchableAttributes: ['devEUI', 'stackName'] },
      }),
    );
    for (const [name, value] of Object.entries(secretValues)) {
      await secrets.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    }
    await moto.startRecording();
  } finally {
    secrets.destroy();
  }
}

/**
 * Starts the test stack's account: a private moto with what the stack's setup leaves there
 * (the thing type `lorawan` with the searchable attributes `devEUI` and `stackName`, and
 * `secrets`), and the stack's Lambda environment for it with `env` on top.
 */
export async function startStackAccount(
  options: {
    readonly secrets?: Readonly<Record<string, string>>;
    readonly env?: Readonly<Record<string, string>>;
  } = {},
): Promise<StackAccount> {
  const moto = await startMoto();
  const iot = new IoTClient(moto.clientConfig);
  const data = new IoTDataPlaneClient(moto.clientConfig);
  const thingTypeName = TEST_STACK.thingTypeName;
  try {
    await setUpAccount(moto, iot, options.secrets ?? {});
  } catch (error) {
    await moto.stop();
    throw error;
  }
  const shadowName = 'lorawan';
  return {
    moto,
    env: stackEnvironment(moto, options.env),
    async createThing(thingName, attributes) {
      await iot.send(
        new CreateThingCommand({ thingName, thingTypeName, attributePayload: { attributes } }),
      );
    },
    async deleteThing(thingName) {
      await iot.send(new DeleteThingCommand({ thingName }));
    },
    async thing(thingName) {
      const thing = await iot.send(new DescribeThingCommand({ thingName }));
      return {
        thingId: thing.thingId,
        thingTypeName: thing.thingTypeName,
        attributes: thing.attributes ?? {},
      };
    },
    async shadow(thingName) {
      const { payload } = await data.send(new GetThingShadowCommand({ thingName, shadowName }));
      return JSON.parse(new TextDecoder().decode(payload)) as Awaited<
        ReturnType<StackAccount['shadow']>
      >;
    },
    async report(thingName, reported) {
      const payload = new TextEncoder().encode(JSON.stringify({ state: { reported } }));
      await data.send(new UpdateThingShadowCommand({ thingName, shadowName, payload }));
    },
    async stop() {
      iot.destroy();
      data.destroy();
      await moto.stop();
    },
  };
}
