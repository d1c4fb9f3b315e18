import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import { isJsonObject } from '@tts-aws-iot/input';

/** Log keys for one invocation, picked from its event. */
export type LogKeysFromEvent<TEvent> = (event: TEvent) => Readonly<Record<string, unknown>>;

const MAX_CORRELATION_IDS = 20;

/**
 * The identifiers that tie a log line to TTS and to a device, taken from a TTS message
 * (`correlation_ids`, `end_device_ids.dev_eui`, `end_device_ids.device_id`) or a request
 * or registry event naming a thing (`thingName`). Only these fields are read: an event
 * is never logged wholesale, since it may carry wrapped keys.
 */
export function ttsLogKeys(event: unknown): Record<string, unknown> {
  if (!isJsonObject(event)) return {};
  const keys: Record<string, unknown> = {};
  const correlationIDs = event['correlation_ids'];
  if (Array.isArray(correlationIDs)) {
    const ids = correlationIDs
      .filter((id): id is string => typeof id === 'string')
      .slice(0, MAX_CORRELATION_IDS);
    if (ids.length > 0) keys['correlation_ids'] = ids;
  }
  const device = event['end_device_ids'];
  if (isJsonObject(device)) {
    if (typeof device['dev_eui'] === 'string') keys['dev_eui'] = device['dev_eui'];
    if (typeof device['device_id'] === 'string') keys['device_id'] = device['device_id'];
  }
  if (typeof event['thingName'] === 'string') keys['thing_name'] = event['thingName'];
  return keys;
}

/**
 * Appends the invocation's identifiers to every log line (before the handler). Runs after
 * `injectLambdaContext`, whose `resetKeys` removes them again when the invocation ends,
 * so they never leak into the next one.
 */
export function logKeys<TEvent>(
  logger: Logger,
  pick: LogKeysFromEvent<TEvent>,
): MiddlewareObj<TEvent> {
  const logKeysBefore = (request: { event: TEvent }): void => {
    const keys = pick(request.event);
    if (Object.keys(keys).length > 0) logger.appendKeys({ ...keys });
  };
  return { before: logKeysBefore };
}
