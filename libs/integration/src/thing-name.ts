/**
 * Thing naming and ownership (docs/architecture.md "Names"): the name the uplink Lambda gives
 * a thing it creates for a device, and whether a thing is one this stack manages. Which thing
 * is a device's is things.ts's: by its `devEUI` attribute, whatever its name.
 */
import type { IntegrationConfig } from './config';
import { InputError, StackMismatchError } from './errors';
import type { ThingRecord } from './ports';

/** The identifiers thing naming needs (as `EndDeviceIds` of `@tts-aws-iot/tts` carries them). */
export interface DeviceIdentity {
  readonly deviceID: string;
  /** 16 uppercase hex digits. */
  readonly devEUI: string | undefined;
}

/** The configuration thing naming needs. */
export type ThingNaming = Pick<IntegrationConfig, 'stackName' | 'thingNameScheme'>;

/** AWS IoT thing names: `[a-zA-Z0-9:_-]{1,128}`. */
export const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;

/**
 * The name of the thing the uplink Lambda creates for a device that has none: `DevEUI` → the DevEUI (16 uppercase hex digits);
 * `DeviceID` → `<stackName>_<deviceID>`.
 *
 * @throws InputError `missing_dev_eui` for the DevEUI scheme and a device without one (ABP);
 *   `thing_name_too_long` when stack name and device ID exceed the registry's 128 characters
 */
export function thingNameFor(naming: ThingNaming, device: DeviceIdentity): string {
  if (naming.thingNameScheme === 'DevEUI') {
    if (device.devEUI === undefined) {
      throw new InputError(
        'missing_dev_eui',
        `Device ${device.deviceID} has no DevEUI, which the DevEUI thing name scheme needs. Give the device a DevEUI in TTS, or deploy with ThingNameScheme DeviceID.`,
        { deviceID: device.deviceID },
      );
    }
    return device.devEUI;
  }
  const name = `${naming.stackName}_${device.deviceID}`;
  if (name.length > 128) {
    throw new InputError(
      'thing_name_too_long',
      `Thing name ${name} is longer than the 128 characters AWS IoT allows. Use a shorter stack name or device ID, or the DevEUI scheme.`,
      { deviceID: device.deviceID },
    );
  }
  return name;
}

/** The attributes of a thing the uplink Lambda creates for a device (no root keys, no claim code). */
export function autoCreatedThingAttributes(
  stackName: string,
  device: DeviceIdentity,
): Record<string, string> {
  return {
    ...(device.devEUI === undefined ? {} : { devEUI: device.devEUI }),
    stackName,
    deviceID: device.deviceID,
  };
}

/**
 * Refuses a thing that another stack manages (or that none does): the integration never
 * touches it.
 *
 * @throws StackMismatchError `stack_mismatch`: `DevEUI <eui> is registered for mismatching stack <name>`
 */
export function assertThingOfStack(thing: ThingRecord, stackName: string): void {
  const owner = thing.attributes['stackName'] || undefined;
  if (owner === stackName) return;
  const devEUI = thing.attributes['devEUI'];
  const subject = devEUI ? `DevEUI ${devEUI}` : `Thing ${thing.thingName}`;
  throw new StackMismatchError(
    thing.thingName,
    owner,
    `${subject} is registered for mismatching stack ${owner ?? '(none)'}. This stack (${stackName}) leaves thing ${thing.thingName} alone: delete it, or set its stackName attribute to ${stackName} to hand it over.`,
  );
}

/**
 * The TTS device ID of a thing of this stack: its `deviceID` attribute; else, for the
 * DeviceID scheme, the part of the name after `<stackName>_`; else the TTS default
 * `eui-<deveui lowercase>` from its `devEUI` attribute. `undefined` when none applies.
 */
export function deviceIDOfThing(naming: ThingNaming, thing: ThingRecord): string | undefined {
  const attribute = thing.attributes['deviceID'];
  if (attribute) return attribute;
  const prefix = `${naming.stackName}_`;
  if (naming.thingNameScheme === 'DeviceID' && thing.thingName.startsWith(prefix)) {
    return thing.thingName.slice(prefix.length);
  }
  const devEUI = thing.attributes['devEUI'];
  return devEUI ? `eui-${devEUI.toLowerCase()}` : undefined;
}
