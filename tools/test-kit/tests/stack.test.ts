import { createDecipheriv } from 'node:crypto';

import {
  APP_S_KEY_HEX,
  KEK_HEX,
  KEK_RING_SECRET,
  keyMaterialForms,
  stackEnvironment,
  TEST_STACK,
  WRAPPED_APP_S_KEY,
  type MotoServer,
} from '../src';

describe('the test stack', () => {
  it('wraps the AppSKey under the current KEK of its ring (RFC 3394)', () => {
    const ring = JSON.parse(KEK_RING_SECRET) as Record<string, string>;
    const kek = Buffer.from(ring[ring['current']!]!, 'hex');
    const decipher = createDecipheriv(
      'id-aes128-wrap',
      kek,
      Buffer.from('A6A6A6A6A6A6A6A6', 'hex'),
    );
    const unwrapped = Buffer.concat([
      decipher.update(Buffer.from(WRAPPED_APP_S_KEY, 'base64')),
      decipher.final(),
    ]);
    expect(unwrapped.toString('hex').toUpperCase()).toBe(APP_S_KEY_HEX);
    expect(kek.toString('hex').toUpperCase()).toBe(KEK_HEX);
  });

  it('lists each key in hex of either case and in base64', () => {
    expect(keyMaterialForms()).toEqual(
      expect.arrayContaining([
        KEK_HEX,
        KEK_HEX.toLowerCase(),
        Buffer.from(APP_S_KEY_HEX, 'hex').toString('base64'),
      ]),
    );
  });

  it('gives the Lambda environment of the stack against a moto, overrides winning', () => {
    const moto = {
      endpoint: 'http://127.0.0.1:5000',
      env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' },
    } as unknown as MotoServer;
    expect(stackEnvironment(moto, { E2E_ENABLED: 'false' })).toMatchObject({
      AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
      STACK_NAME: TEST_STACK.stackName,
      APPLICATION_ID: TEST_STACK.applicationID,
      KEK_SECRET_ID: TEST_STACK.kekSecretID,
      IOT_DATA_ENDPOINT: 'http://127.0.0.1:5000',
      E2E_ENABLED: 'false',
    });
  });
});
