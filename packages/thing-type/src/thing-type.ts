import type {
  CustomResourceEvent,
  CustomResourceLogic,
  CustomResourceOutcome,
  ThingTypeRecord,
} from '@tts-aws-iot/aws';
import { InputError } from '@tts-aws-iot/integration';

/** The properties of `Custom::ThingType` (CloudFormation passes strings). */
export interface ThingTypeProperties {
  readonly ThingTypeName: string;
  readonly [name: string]: string;
}

/** What the thing-type setup needs from AWS IoT (`IotThingTypeAdmin` in libs/aws). */
export interface ThingTypeSetup {
  describeThingType(thingTypeName: string): Promise<ThingTypeRecord | undefined>;
  createThingType(
    thingTypeName: string,
    properties: { readonly searchableAttributes: readonly string[]; readonly description?: string },
  ): Promise<void>;
  /** Returns `false` when the thing type does not exist. */
  setThingTypeDeprecated(thingTypeName: string, deprecated: boolean): Promise<boolean>;
  enableThingEvents(): Promise<void>;
  describeDataEndpoint(): Promise<string>;
}

/** The attributes the registry can search things of the type by (ARCHITECTURE.md). */
export const SEARCHABLE_ATTRIBUTES = ['devEUI', 'stackName'] as const;

const THING_TYPE_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const DESCRIPTION = 'LoRaWAN devices of The Things Stack, managed by the tts-aws-iot integration';

/**
 * The logic of `Custom::ThingType`; the PhysicalResourceId is the thing type name.
 *
 * - Create and Update make sure the thing type exists and is not deprecated (so a stack
 *   re-created under the same name adopts the type it deprecated), turn on the registry's
 *   thing events, and return the account's `iot:Data-ATS` address as `EndpointAddress`.
 *   A changed `ThingTypeName` yields a new PhysicalResourceId, and CloudFormation then
 *   deletes the old one.
 * - Delete deprecates the thing type (deleting it is only possible 5 minutes later, and
 *   not while things use it) and leaves thing events on: other stacks may rely on them.
 */
export function thingTypeResource(iot: ThingTypeSetup): CustomResourceLogic<ThingTypeProperties> {
  return async (
    event: CustomResourceEvent<ThingTypeProperties>,
  ): Promise<CustomResourceOutcome> => {
    if (event.RequestType === 'Delete') {
      // A PhysicalResourceId that is no thing type name was never created by this function.
      if (THING_TYPE_NAME.test(event.PhysicalResourceId))
        await iot.setThingTypeDeprecated(event.PhysicalResourceId, true);
      return { physicalResourceId: event.PhysicalResourceId };
    }
    const thingTypeName = parseThingTypeName(event.ResourceProperties.ThingTypeName);
    await ensureThingType(iot, thingTypeName);
    await iot.enableThingEvents();
    const endpointAddress = await iot.describeDataEndpoint();
    return { physicalResourceId: thingTypeName, data: { EndpointAddress: endpointAddress } };
  };
}

async function ensureThingType(iot: ThingTypeSetup, thingTypeName: string): Promise<void> {
  const existing = await iot.describeThingType(thingTypeName);
  if (!existing) {
    await iot.createThingType(thingTypeName, {
      searchableAttributes: SEARCHABLE_ATTRIBUTES,
      description: DESCRIPTION,
    });
  } else if (existing.deprecated) {
    await iot.setThingTypeDeprecated(thingTypeName, false);
  }
}

function parseThingTypeName(value: string | undefined): string {
  const name = value?.trim() ?? '';
  if (!THING_TYPE_NAME.test(name)) {
    throw new InputError(
      'invalid_thing_type_name',
      `ThingTypeName ${JSON.stringify(value ?? '')} is invalid: use 1 to 128 letters, digits, ":", "_" or "-".`,
      { thingTypeName: value },
    );
  }
  return name;
}
