// `@tts-aws-iot/integration/testing`: in-memory doubles of the ports and of the traffic and
// provisioning dependencies, for tests and benches only (lint refuses them in other code).
export {
  InMemorySecretReader,
  InMemoryShadowStore,
  InMemoryThingRegistry,
  inMemoryProvisioning,
  inMemoryTraffic,
} from './in-memory';
