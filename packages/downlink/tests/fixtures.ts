import { CachedSecretReader } from '@tts-aws-iot/aws';
import {
  InMemorySecretReader,
  InMemoryShadowStore,
  InMemoryThingRegistry,
  KekRingSource,
  RecordingPublisher,
  ThingDirectory,
  type IntegrationConfig,
} from '@tts-aws-iot/integration';
import { formatKekRing, KekRing, wrapKey } from '@tts-aws-iot/keywrap';

import type { DownlinkDependencies } from '../src/downlink';

// Realistic key material: a KEK ring and a session AppSKey wrapped under its current KEK,
// as the uplink Lambda keeps it in the shadow after a join.
export const KEK_HEX = '8C9A3F61D2E04B7795A1C3E5F7092B4D';
export const APP_S_KEY_HEX = '5D1F0E2A4B6C8D9EA0B1C2D3E4F50617';
export const KEK_RING_SECRET = formatKekRing(new KekRing('kek-2', { 'kek-2': Buffer.from(KEK_HEX, 'hex') }));
export const WRAPPED_APP_S_KEY = Buffer.from(wrapKey(Buffer.from(KEK_HEX, 'hex'), Buffer.from(APP_S_KEY_HEX, 'hex'))).toString('base64');

export const THING = '0004A30B001C0530';
/** A thing of another stack in the same account. */
export const OTHER_STACKS_THING = '0004A30B001C0AAA';
export const DEV_ADDR = '260B1A2F';
export const SESSION_KEY_ID = 'AYpZ2oDPE0rYOBmhqrUpuQ==';

export const sessionShadow = {
  devAddr: DEV_ADDR,
  sessionID: SESSION_KEY_ID,
  appSKeyEnvelope: { encryptedKey: WRAPPED_APP_S_KEY, kekLabel: 'kek-2' },
  fCntDown: 0,
  lastAFCntDown: 4,
};

export const config: IntegrationConfig = {
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
};

/** In-memory ports with one thing of the stack (and its E2E session), everything captured. */
export async function setup(overrides: Partial<IntegrationConfig> = {}) {
  const effective = { ...config, ...overrides };
  const registry = new InMemoryThingRegistry();
  registry.things.set(THING, { thingName: THING, thingTypeName: 'lorawan', attributes: { devEUI: THING, stackName: 'tts-stack', deviceID: 'eui-0004a30b001c0530' } });
  registry.things.set(OTHER_STACKS_THING, { thingName: OTHER_STACKS_THING, attributes: { devEUI: OTHER_STACKS_THING, stackName: 'other' } });
  const shadows = new InMemoryShadowStore();
  await shadows.updateShadow(THING, 'lorawan', { reported: sessionShadow });
  shadows.calls.length = 0;
  const publisher = new RecordingPublisher();
  const logs: { level: string; message: string; attributes: unknown }[] = [];
  const metrics: Record<string, number> = {};
  const log = (level: string) => (message: string, attributes: unknown) => void logs.push({ level, message, attributes });
  let ids = 0;
  const deps: DownlinkDependencies = {
    config: effective,
    things: new ThingDirectory(registry, effective),
    shadows,
    publisher,
    keks: effective.e2eEnabled
      ? new KekRingSource(new CachedSecretReader(new InMemorySecretReader(new Map([['tts-stack/kek', KEK_RING_SECRET]]))), 'tts-stack/kek')
      : undefined,
    log: { debug: log('debug'), info: log('info'), warn: log('warn') },
    counters: { count: (name, value = 1) => void (metrics[name] = (metrics[name] ?? 0) + value) },
    newDownlinkID: () => `dl-${++ids}`,
    delay: () => new Promise<void>((resolve) => setImmediate(resolve)),
    random: Math.random,
  };
  return { deps, registry, shadows, publisher, logs, metrics };
}
