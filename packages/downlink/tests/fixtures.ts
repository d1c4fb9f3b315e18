import { type IntegrationConfig } from '@tts-aws-iot/integration';
import { inMemoryTraffic } from '@tts-aws-iot/integration/testing';
import { decryptFRMPayload, parseAesKey, parseDevAddr } from '@tts-aws-iot/lorawan';
import {
  APP_S_KEY_HEX,
  DEV_ADDR,
  DEV_EUI,
  KEK_RING_SECRET,
  SESSION_KEY_ID,
  TEST_STACK,
  WRAPPED_APP_S_KEY,
} from '@tts-aws-iot/test-kit';

import type { DownlinkDependencies } from '../src/downlink';

// The test stack's device with its session, as the uplink Lambda keeps it in the shadow
// after a join: the AppSKey wrapped under the current KEK of the stack's ring.
export {
  APP_S_KEY_HEX,
  DEV_ADDR,
  KEK_HEX,
  KEK_RING_SECRET,
  keyMaterialForms,
  SESSION_KEY_ID,
  WRAPPED_APP_S_KEY,
} from '@tts-aws-iot/test-kit';
export const THING = DEV_EUI;
/** A thing of another stack in the same account. */
export const OTHER_STACKS_THING = '0004A30B001C0AAA';

export const sessionShadow = {
  devAddr: DEV_ADDR,
  sessionID: SESSION_KEY_ID,
  appSKeyEnvelope: { encryptedKey: WRAPPED_APP_S_KEY, kekLabel: 'kek-2' },
  fCntDown: 0,
  lastAFCntDown: 4,
};

export const config: IntegrationConfig = TEST_STACK;

/** The plaintext of a pushed E2E downlink (`f_cnt`, base64 `frm_payload`), under the session's AppSKey. */
export function decryptPushed(downlink: { f_cnt: number; frm_payload: string }): number[] {
  return Array.from(
    decryptFRMPayload(
      parseAesKey(APP_S_KEY_HEX),
      'down',
      parseDevAddr(DEV_ADDR),
      downlink.f_cnt,
      Buffer.from(downlink.frm_payload, 'base64'),
    ),
  );
}

/** In-memory ports with one thing of the stack (and its E2E session), everything captured. */
export async function setup(overrides: Partial<IntegrationConfig> = {}) {
  const world = inMemoryTraffic(
    { ...config, ...overrides },
    { [TEST_STACK.kekSecretID]: KEK_RING_SECRET },
    // Concurrent reservations take turns only when waiting yields to the event loop.
    { delay: () => new Promise<void>((resolve) => setImmediate(resolve)), random: Math.random },
  );
  const { registry, shadows } = world;
  registry.things.set(THING, {
    thingName: THING,
    thingTypeName: 'lorawan',
    attributes: { devEUI: THING, stackName: 'tts-stack', deviceID: 'eui-0004a30b001c0530' },
  });
  registry.things.set(OTHER_STACKS_THING, {
    thingName: OTHER_STACKS_THING,
    attributes: { devEUI: OTHER_STACKS_THING, stackName: 'other' },
  });
  await shadows.updateShadow(THING, 'lorawan', { reported: sessionShadow });
  shadows.calls.length = 0;
  let ids = 0;
  const deps: DownlinkDependencies = { ...world.deps, newDownlinkID: () => `dl-${++ids}` };
  return { ...world, deps };
}
