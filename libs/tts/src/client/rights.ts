import type { AuthInfo } from './types';

/**
 * The application rights the integration's API key needs (docs/tts.md): device registration
 * with root keys, pub/sub and link settings, and traffic in both directions.
 */
export const REQUIRED_APPLICATION_RIGHTS = [
  'RIGHT_APPLICATION_DEVICES_READ',
  'RIGHT_APPLICATION_DEVICES_READ_KEYS',
  'RIGHT_APPLICATION_DEVICES_WRITE',
  'RIGHT_APPLICATION_DEVICES_WRITE_KEYS',
  'RIGHT_APPLICATION_SETTINGS_BASIC',
  'RIGHT_APPLICATION_SETTINGS_PACKAGES',
  'RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE',
  'RIGHT_APPLICATION_TRAFFIC_READ',
] as const;

// Pseudo-rights that stand for every application right, present and future.
const ALL_APPLICATION_RIGHTS = new Set(['RIGHT_APPLICATION_ALL', 'RIGHT_ALL']);

/** The rights of `required` that the credentials described by `authInfo` lack (in `required`'s order). */
export function missingRights(
  authInfo: AuthInfo,
  required: readonly string[] = REQUIRED_APPLICATION_RIGHTS,
): string[] {
  const granted = new Set([...authInfo.rights, ...authInfo.universalRights]);
  if ([...ALL_APPLICATION_RIGHTS].some((right) => granted.has(right))) return [];
  return required.filter((right) => !granted.has(right));
}
