import { parseConfig } from '../src/config';
import { ConfigurationError } from '../src/errors';

const ENV = {
  STACK_NAME: 'tts-prod',
  THING_TYPE_NAME: 'lorawan',
  THING_NAME_SCHEME: 'DevEUI',
  THING_SHADOW_METRICS: 'true',
  APPLICATION_ID: 'my-app',
  CLUSTER_ADDRESS: 'eu1.cloud.thethings.industries',
  E2E_ENABLED: 'true',
  KEK_SECRET_ID: 'tts-prod/kek',
  API_KEY_SECRET_ID: 'tts-prod/api-key',
  IOT_DATA_ENDPOINT: 'abc123-ats.iot.eu-west-1.amazonaws.com',
};

describe('ALLOW_PLAINTEXT_SESSION_KEYS', () => {
  it('is off unless set to true', () => {
    expect(parseConfig(ENV).allowPlaintextSessionKeys ?? false).toBe(false);
    expect(
      parseConfig({ ...ENV, ALLOW_PLAINTEXT_SESSION_KEYS: 'false' }).allowPlaintextSessionKeys ??
        false,
    ).toBe(false);
    expect(
      parseConfig({ ...ENV, ALLOW_PLAINTEXT_SESSION_KEYS: 'true' }).allowPlaintextSessionKeys,
    ).toBe(true);
  });

  it('refuses another value, naming the variable', () => {
    expect(() => parseConfig({ ...ENV, ALLOW_PLAINTEXT_SESSION_KEYS: 'yes' })).toThrow(
      ConfigurationError,
    );
    expect(() => parseConfig({ ...ENV, ALLOW_PLAINTEXT_SESSION_KEYS: 'yes' })).toThrow(
      /ALLOW_PLAINTEXT_SESSION_KEYS "yes" is invalid: use true or false/,
    );
  });
});
