import { TEST_STACK } from '@tts-aws-iot/test-kit';

import {
  InMemoryShadowStore,
  InMemoryThingRegistry,
  RecordingPublisher,
} from '../../src/testing/in-memory';
import type { IntegrationConfig } from '../../src/config';
import type { RefreshableSecretReader } from '../../src/ports';
import { trafficDependencies } from '../../src/traffic/dependencies';

const CONFIG: IntegrationConfig = TEST_STACK;

/** Ports whose secret reader counts how often it is asked for (as a lazily built one would be built). */
function ports() {
  let secretsUsed = 0;
  const secrets: RefreshableSecretReader = { getSecretString: async () => '{}' };
  return {
    get secretsUsed() {
      return secretsUsed;
    },
    ports: {
      registry: new InMemoryThingRegistry(),
      shadows: new InMemoryShadowStore(),
      publisher: new RecordingPublisher(),
      get secrets() {
        secretsUsed += 1;
        return secrets;
      },
    },
  };
}

const runtime = {
  log: { debug: () => undefined, info: () => undefined, warn: () => undefined },
  counters: { count: () => undefined },
  delay: async () => undefined,
  random: () => 0.5,
};

describe('trafficDependencies', () => {
  it('reads the KEK ring from its secret with E2E', () => {
    const world = ports();
    const deps = trafficDependencies(CONFIG, world.ports, runtime);
    expect(deps.keks).toBeDefined();
    expect(world.secretsUsed).toBe(1);
    expect(deps).toMatchObject({
      config: CONFIG,
      shadows: world.ports.shadows,
      publisher: world.ports.publisher,
      ...runtime,
    });
  });

  it('does not touch the secrets without E2E', () => {
    const world = ports();
    const deps = trafficDependencies(
      { ...CONFIG, e2eEnabled: false, kekSecretID: undefined },
      world.ports,
      runtime,
    );
    expect(deps.keks).toBeUndefined();
    expect(world.secretsUsed).toBe(0);
  });

  it('finds the things of the configured stack only', async () => {
    const world = ports();
    world.ports.registry.things.set('0004A30B001C0530', {
      thingName: '0004A30B001C0530',
      attributes: { stackName: 'other' },
    });
    const deps = trafficDependencies(CONFIG, world.ports, runtime);
    await expect(deps.things.find('0004A30B001C0530')).rejects.toMatchObject({
      code: 'stack_mismatch',
    });
  });
});
