/**
 * Whether deleting a thing may delete the TTS device its `deviceID` names (CreateThing's
 * deletion, `packages/create-device`): only TTS's own record of the device decides, since a
 * thing's attributes can be set by anyone allowed to create or update things.
 */
import { hasMarker, type RegisteredEndDevice } from '@tts-aws-iot/tts';

import type { RegistryConfig } from '../config';
import { thingNameFor } from '../thing-name';
import { DEVICE_ATTRIBUTES } from './device-attributes';
import { stackMarker, THING_ID_KEY } from './device-marker';

/**
 * Why deleting a thing must leave the TTS device of its `deviceID` alone, or `undefined`
 * when the device is demonstrably the thing's and this stack's: TTS has it, with the
 * thing's DevEUI (and JoinEUI, when the thing names one), and with this stack's marker; a
 * device without any marker only under `DELETE_UNMARKED_DEVICES=true`. A thing's
 * attributes are no proof: anyone allowed to create or update things can set them.
 */
export function deviceDeletionRefusal(
  device: RegisteredEndDevice | undefined,
  thing: {
    readonly thingName: string;
    readonly thingId?: string;
    readonly attributes: Readonly<Record<string, string>>;
  },
  deviceID: string,
  config: Pick<RegistryConfig, 'stackName' | 'applicationID' | 'thingNameScheme'> &
    Partial<Pick<RegistryConfig, 'deleteUnmarkedDevices'>>,
): string | undefined {
  const name = `TTS device ${deviceID} in application ${config.applicationID}`;
  if (!device) return `${name} does not exist: nothing to delete.`;
  const thingDevEUI =
    thing.attributes[DEVICE_ATTRIBUTES.devEUI] ||
    (config.thingNameScheme === 'DevEUI' ? thing.thingName : '');
  if (!thingDevEUI)
    return `The thing names no DevEUI to check ${name} against: left it alone; delete it in TTS if it is this thing's.`;
  if (thingDevEUI.toUpperCase() !== device.devEUI.toUpperCase())
    return `${name} has DevEUI ${device.devEUI || '(none)'}, but the thing has ${thingDevEUI}: it is not this thing's device, left it alone.`;
  const thingJoinEUI =
    thing.attributes[DEVICE_ATTRIBUTES.joinEUI] || thing.attributes[DEVICE_ATTRIBUTES.appEUI];
  if (thingJoinEUI && thingJoinEUI.toUpperCase() !== device.joinEUI.toUpperCase())
    return `${name} has JoinEUI ${device.joinEUI || '(none)'}, but the thing has ${thingJoinEUI}: it is not this thing's device, left it alone.`;
  // Only the device's own thing deletes it, not another thing copying its identifiers. A
  // device provisioned for a thing names it by registry ID (checked below; the thing may have
  // any name); one without (provisioned before, or never through a thing) by the name the
  // naming scheme gives it, which no other thing can have.
  if (!Object.hasOwn(device.attributes, THING_ID_KEY)) {
    let ownThing: string | undefined;
    try {
      ownThing = thingNameFor(config, {
        deviceID,
        devEUI: device.devEUI.toUpperCase() || undefined,
      });
    } catch {
      ownThing = undefined;
    }
    if (ownThing !== thing.thingName)
      return `${name} belongs to the thing ${ownThing ?? '(none)'} under the ${config.thingNameScheme} thing name scheme, not to ${thing.thingName}: left it alone.`;
  }
  const marker = stackMarker(config.stackName);
  const provisionedFor = Object.hasOwn(device.attributes, THING_ID_KEY)
    ? device.attributes[THING_ID_KEY]
    : undefined;
  // With any thing name allowed, a device that names its thing is deleted only by that thing.
  if (hasMarker(device, marker) && provisionedFor && provisionedFor !== thing.thingId)
    return `${name} was provisioned for another thing named ${thing.thingName} (its ${THING_ID_KEY} attribute is ${provisionedFor}; the deleted thing had ID ${thing.thingId ?? '(none given)'}): left it alone.`;
  if (hasMarker(device, marker)) return undefined;
  const owner = Object.hasOwn(device.attributes, marker.key)
    ? device.attributes[marker.key]
    : undefined;
  if (owner !== undefined)
    return `${name} was provisioned by stack ${JSON.stringify(owner)} (its ${marker.key} attribute), not by ${config.stackName}: left it alone.`;
  if (config.deleteUnmarkedDevices) return undefined;
  return `${name} was not provisioned by this stack (it has no ${marker.key}=${config.stackName} attribute): left it alone. Delete it in TTS, or deploy with DELETE_UNMARKED_DEVICES=true to let deleting a thing delete such devices.`;
}
