import { OptionsError } from '../src/errors';
import { defaultConcurrency, DEFAULT_OPTIONS, parseOptions, usage } from '../src/options';

describe('npm start options', () => {
  it('defaults to the addresses and names of docs/architecture.md', () => {
    expect(parseOptions([], {})).toEqual(DEFAULT_OPTIONS);
    expect(DEFAULT_OPTIONS).toMatchObject({
      mqttPort: 1883,
      apiPort: 4566,
      ttsPort: 1885,
      stackName: 'local',
      applicationID: 'local-app',
      thingTypeName: 'lorawan',
      e2e: true,
    });
  });

  it('takes environment variables, and flags over them', () => {
    const options = parseOptions(
      [
        '--mqtt-port',
        '2883',
        '--devices=5',
        '--claim-devices',
        '0',
        '--no-e2e',
        '--once',
        '--interval',
        '0.5',
      ],
      {
        LOCAL_MQTT_PORT: '1999',
        LOCAL_API_PORT: '4567',
        LOCAL_EXIT_AFTER_MS: '3000',
        LOCAL_STACK_NAME: 'demo',
        LOCAL_CLAIM_DEVICES: '3',
      },
    );
    expect(options).toMatchObject({
      mqttPort: 2883,
      apiPort: 4567,
      devices: 5,
      claimDevices: 0,
      e2e: false,
      once: true,
      uplinkIntervalMs: 500,
      exitAfterMs: 3000,
      stackName: 'demo',
    });
  });

  it('reports every bad value and unknown argument at once', () => {
    const parse = () =>
      parseOptions(['--devices', 'many', '--bogus'], {
        LOCAL_TTS_PORT: '70000',
        LOCAL_E2E: 'maybe',
      });
    expect(parse).toThrow(OptionsError);
    expect(parse).toThrow(
      /LOCAL_TTS_PORT "70000" is not a port.*LOCAL_E2E "maybe" is not true or false.*--devices "many" is not a count.*unknown argument "--bogus"/,
    );
  });

  it('sizes the execution environments per function to the machine, or as told', () => {
    expect(defaultConcurrency(1)).toBe(4);
    expect(defaultConcurrency(2)).toBe(4);
    expect(defaultConcurrency(8)).toBe(16);
    expect(parseOptions([], { LOCAL_CONCURRENCY: '3' }).concurrency).toBe(3);
    expect(parseOptions(['--concurrency', '16'], { LOCAL_CONCURRENCY: '3' }).concurrency).toBe(16);
    expect(() => parseOptions(['--concurrency', '0'], {})).toThrow(
      /--concurrency \(LOCAL_CONCURRENCY\) 0: each function needs at least 1 execution environment/,
    );
    expect(() => parseOptions(['--concurrency', 'lots'], {})).toThrow(
      /--concurrency "lots" is not a count/,
    );
  });

  it('documents every option with its variable', () => {
    expect(usage()).toContain('--mqtt-port <port>');
    expect(usage()).toContain('[LOCAL_EXIT_AFTER_MS]');
  });
});
