import { parseConfig, parseDefaultFrequencyPlanID, parseRegistryConfig } from '../src/config';
import { ConfigurationError } from '../src/errors';

/** The environment a deployed stack gives its functions (docs/architecture.md "Config"). */
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

function thrown(parse: () => unknown): ConfigurationError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('did not throw');
}

describe('parseConfig', () => {
  it('reads the stack parameters, with host names turned into HTTPS base URLs', () => {
    expect(parseConfig(ENV)).toEqual({
      stackName: 'tts-prod',
      thingTypeName: 'lorawan',
      thingNameScheme: 'DevEUI',
      thingShadowMetrics: true,
      applicationID: 'my-app',
      clusterURL: 'https://eu1.cloud.thethings.industries/api/v3',
      e2eEnabled: true,
      kekSecretID: 'tts-prod/kek',
      apiKeySecretID: 'tts-prod/api-key',
      iotDataEndpoint: 'https://abc123-ats.iot.eu-west-1.amazonaws.com',
    });
  });

  it('takes full URLs, so that the bundles run against the local stack and emulators', () => {
    const config = parseConfig({
      ...ENV,
      CLUSTER_ADDRESS: 'http://127.0.0.1:1885',
      ALLOW_HTTP_CLUSTER: 'true',
      IOT_DATA_ENDPOINT: 'http://127.0.0.1:4566/',
    });
    expect(config.clusterURL).toBe('http://127.0.0.1:1885/api/v3');
    expect(config.iotDataEndpoint).toBe('http://127.0.0.1:4566');
  });

  it('refuses an http:// CLUSTER_ADDRESS unless ALLOW_HTTP_CLUSTER=true', () => {
    for (const allow of [undefined, 'false', 'yes']) {
      const error = thrown(() =>
        parseConfig({
          ...ENV,
          CLUSTER_ADDRESS: 'http://eu1.cloud.thethings.industries',
          ALLOW_HTTP_CLUSTER: allow,
        }),
      );
      expect(error.code).toBe('invalid_configuration');
      expect(error.message).toContain(
        'CLUSTER_ADDRESS "http://eu1.cloud.thethings.industries" is invalid: use https://',
      );
    }
    expect(
      parseConfig({ ...ENV, CLUSTER_ADDRESS: 'https://eu1.cloud.thethings.industries' }).clusterURL,
    ).toBe('https://eu1.cloud.thethings.industries/api/v3');
  });

  it('needs no KEK secret without E2E', () => {
    expect(
      parseConfig({ ...ENV, E2E_ENABLED: 'false', KEK_SECRET_ID: undefined }).kekSecretID,
    ).toBeUndefined();
  });

  it('fails with every problem listed, retryably: a redeploy fixes it and no event may be lost', () => {
    const error = thrown(() =>
      parseConfig({
        ...ENV,
        STACK_NAME: undefined,
        THING_NAME_SCHEME: 'Serial',
        E2E_ENABLED: 'yes',
        IOT_DATA_ENDPOINT: 'ftp://x',
      }),
    );
    expect(error).toMatchObject({ code: 'invalid_configuration', retryable: true });
    expect(error.problems).toEqual([
      'STACK_NAME is missing',
      'THING_NAME_SCHEME "Serial" is invalid: use DevEUI or DeviceID',
      'E2E_ENABLED "yes" is invalid: use true or false',
      'IOT_DATA_ENDPOINT "ftp://x" is invalid: use a host name or an http(s) URL',
    ]);
    expect(error.message).toMatch(
      /^Invalid Lambda configuration: STACK_NAME is missing; .*Fix the function's environment \(the stack parameters\)\.$/,
    );
  });

  it('needs the KEK secret with E2E, listed in its place among the other problems', () => {
    const error = thrown(() =>
      parseConfig({ ...ENV, APPLICATION_ID: 'My App', KEK_SECRET_ID: ' ', API_KEY_SECRET_ID: '' }),
    );
    expect(error.problems).toEqual([
      'APPLICATION_ID "My App" is invalid: a TTS application ID (lowercase letters, digits, single hyphens)',
      'KEK_SECRET_ID is missing',
      'API_KEY_SECRET_ID is missing',
    ]);
  });
});

describe('parseRegistryConfig', () => {
  it('adds the default frequency plan, the region’s plan the stack sets', () => {
    expect(
      parseRegistryConfig({ ...ENV, DEFAULT_FREQUENCY_PLAN_ID: 'US_902_928_FSB_2' }),
    ).toMatchObject({
      stackName: 'tts-prod',
      defaultFrequencyPlanID: 'US_902_928_FSB_2',
    });
  });

  it('lists a bad frequency plan with the other problems in one error', () => {
    const error = thrown(() =>
      parseRegistryConfig({ ...ENV, APPLICATION_ID: '', DEFAULT_FREQUENCY_PLAN_ID: 'eu868' }),
    );
    expect(error.problems).toEqual([
      'APPLICATION_ID is missing',
      'DEFAULT_FREQUENCY_PLAN_ID "eu868" is invalid: use a TTS frequency plan ID such as EU_863_870_TTN',
    ]);
  });
});

describe('parseDefaultFrequencyPlanID', () => {
  it("takes the deployment's plan", () => {
    expect(parseDefaultFrequencyPlanID('US_902_928_FSB_2')).toBe('US_902_928_FSB_2');
  });

  it('falls back to EU_863_870_TTN when none is set', () => {
    expect(parseDefaultFrequencyPlanID(undefined)).toBe('EU_863_870_TTN');
    expect(parseDefaultFrequencyPlanID(' ')).toBe('EU_863_870_TTN');
  });

  it('refuses a value that is no frequency plan ID, as a configuration error', () => {
    const error = thrown(() => parseDefaultFrequencyPlanID('eu868'));
    expect(error).toMatchObject({ code: 'invalid_configuration', retryable: true });
    expect(error.message).toMatch(/DEFAULT_FREQUENCY_PLAN_ID "eu868" is invalid/);
  });
});

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
