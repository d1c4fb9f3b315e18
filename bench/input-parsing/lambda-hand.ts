/**
 * What `libs/tts/src/messages.ts` gave the uplink Lambda before valibot: the hand parser,
 * bundled in its place for the "before" row of the bundles table (an esbuild plugin of
 * `npm run bench input-parsing` resolves `./messages` of libs/tts/src/index.ts here).
 */
import type { ErrorDetails } from '@tts-aws-iot/tts';

export { parseApplicationUpByHand as parseApplicationUp } from './uplink-hand';

export function findErrorDetails(details: ErrorDetails, name: string): ErrorDetails | undefined {
  if (details.name === name) return details;
  return details.cause === undefined ? undefined : findErrorDetails(details.cause, name);
}
