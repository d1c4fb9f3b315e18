import { containerScoped, createLambdaKit, lambdaHandler } from '@tts-aws-iot/lambda-kit';

import { checkVersion, fetchManifest, parseVersionCheckConfig } from './version-check';

const kit = createLambdaKit({ functionName: 'CheckVersion' });

const config = containerScoped(() => parseVersionCheckConfig(process.env));

/**
 * CheckVersion: invoked every hour by the stack's schedule; publishes `NewerReleaseAvailable`.
 */
export const handler = lambdaHandler(
  kit,
  () => checkVersion(config(), { fetchManifest, counters: kit.counters, log: kit.logger }),
  { logKeys: () => ({}) },
);
