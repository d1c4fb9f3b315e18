import type {
  CustomResourceEvent,
  CustomResourceLogic,
  CustomResourceOutcome,
  ThingPage,
  ThingTypeRecord,
} from '@tts-aws-iot/aws';
import { checkInput, describeValue, readInput } from '@tts-aws-iot/input';
import { InputError } from '@tts-aws-iot/integration';
import * as v from 'valibot';

/**
 * The properties of `Custom::ThingType` (CloudFormation passes strings): `ThingTypeName`,
 * and `StackName`, the integration's name that its things carry as their `stackName`
 * attribute. Stacks deployed before `StackName` was added send none until their next
 * update.
 */
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
  /** One page of the things of the type; none when the type does not exist. */
  listThingsOfType(
    thingTypeName: string,
    page: { readonly nextToken?: string },
  ): Promise<ThingPage>;
  enableThingEvents(): Promise<void>;
  describeDataEndpoint(): Promise<string>;
}

/** Where the Delete says why it kept or deprecated the thing type (a Powertools `Logger` fits). */
export interface ThingTypeLog {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface ThingTypeResourceOptions {
  readonly log?: ThingTypeLog;
  /**
   * Delete reads at most this many pages of the type's things (ListThings, up to 250
   * each) looking for another stack's; when more remain, it keeps the type. Default 20
   * (5,000 things): 20 sequential calls fit the function's time limit with room to spare.
   */
  readonly maxThingPages?: number;
}

/** The default of `ThingTypeResourceOptions.maxThingPages`. */
const MAX_THING_PAGES = 20;

/** The attributes the registry can search things of the type by (docs/architecture.md). */
export const SEARCHABLE_ATTRIBUTES = ['devEUI', 'stackName'] as const;

const THING_TYPE_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const DESCRIPTION = 'LoRaWAN devices of The Things Stack, managed by the tts-aws-iot integration';

/**
 * The logic of `Custom::ThingType`; the PhysicalResourceId is the thing type name.
 *
 * - Create and Update make sure the thing type exists and is not deprecated (so a stack
 *   re-created under the same name adopts the type it deprecated), turn on the registry's
 *   thing events, and return the account's `iot:Data-ATS` address as `EndpointAddress`.
 *   A changed `ThingTypeName` yields a new PhysicalResourceId, and CloudFormation then
 *   deletes the old one.
 * - Delete deprecates the thing type only when no other stack uses it (see
 *   `findThingOfAnotherStack`): the type is shared by every stack given the same
 *   `ThingTypeName` (by default `lorawan`), and no new thing can be made of a deprecated
 *   type, so deprecating it under a stack that still runs would stop that stack from
 *   creating things. When in doubt it keeps the type, which costs nothing, and logs why;
 *   a Delete never fails for that reason, so it never blocks a stack's deletion.
 *   Deleting the type is only possible 5 minutes after deprecation, and not while things
 *   use it, so that is left to the operator. Thing events stay on: other stacks may rely
 *   on them.
 */
export function thingTypeResource(
  iot: ThingTypeSetup,
  options: ThingTypeResourceOptions = {},
): CustomResourceLogic<ThingTypeProperties> {
  const log = options.log ?? SILENT;
  const maxThingPages = options.maxThingPages ?? MAX_THING_PAGES;
  return async (
    event: CustomResourceEvent<ThingTypeProperties>,
  ): Promise<CustomResourceOutcome> => {
    if (event.RequestType === 'Delete') {
      // A PhysicalResourceId that is no thing type name was never created by this function.
      if (THING_TYPE_NAME.test(event.PhysicalResourceId)) {
        // A Delete must not fail over a property: without a usable StackName, any thing
        // that names a stack counts as another stack's.
        const stackName = validStackName(event.ResourceProperties['StackName']);
        await releaseThingType(iot, event.PhysicalResourceId, stackName, { log, maxThingPages });
      }
      return { physicalResourceId: event.PhysicalResourceId };
    }
    const thingTypeName = parseThingTypeName(event.ResourceProperties.ThingTypeName);
    // Only Delete uses it, but a malformed one is a template error best shown now.
    parseStackName(event.ResourceProperties['StackName']);
    await ensureThingType(iot, thingTypeName);
    await iot.enableThingEvents();
    const endpointAddress = await iot.describeDataEndpoint();
    return { physicalResourceId: thingTypeName, data: { EndpointAddress: endpointAddress } };
  };
}

/** What a bounded scan of a thing type's things found. */
export type ThingTypeUse =
  /** Every thing read belongs to `stackName`, to no stack, or there is none. */
  | { readonly kind: 'unused'; readonly scannedThings: number }
  /** `thingName` carries `stackName` = `ownerStackName`, another stack's. */
  | {
      readonly kind: 'another_stack';
      readonly thingName: string;
      readonly ownerStackName: string;
      readonly scannedThings: number;
    }
  /** The scan stopped at `maxThingPages` with more things to read. */
  | { readonly kind: 'undecided'; readonly scannedThings: number };

/**
 * Looks for a thing of the type that belongs to a stack other than `stackName` (its
 * `stackName` attribute says which; `undefined` makes any stack another one). It stops
 * at the first such thing, and after `maxThingPages` pages. Things without a `stackName`
 * are no stack's: the integration ignores them. The registry cannot show a stack that
 * has no things yet; the README ("Uninstall") says how to undo a deprecation then.
 */
async function findThingOfAnotherStack(
  iot: Pick<ThingTypeSetup, 'listThingsOfType'>,
  thingTypeName: string,
  stackName: string | undefined,
  maxThingPages: number = MAX_THING_PAGES,
): Promise<ThingTypeUse> {
  let scannedThings = 0;
  let nextToken: string | undefined;
  for (let pages = 0; pages < maxThingPages; pages++) {
    const page = await iot.listThingsOfType(
      thingTypeName,
      nextToken === undefined ? {} : { nextToken },
    );
    for (const thing of page.things) {
      scannedThings++;
      const owner = thing.attributes['stackName'];
      if (owner && owner !== stackName) {
        return {
          kind: 'another_stack',
          thingName: thing.thingName,
          ownerStackName: owner,
          scannedThings,
        };
      }
    }
    nextToken = page.nextToken;
    if (nextToken === undefined) return { kind: 'unused', scannedThings };
  }
  return { kind: 'undecided', scannedThings };
}

async function releaseThingType(
  iot: ThingTypeSetup,
  thingTypeName: string,
  stackName: string | undefined,
  options: { readonly log: ThingTypeLog; readonly maxThingPages: number },
): Promise<void> {
  const { log } = options;
  const where = { thing_type_name: thingTypeName, stack_name: stackName ?? null };
  const deprecateYourself = `If no stack uses it any more, deprecate it yourself: aws iot deprecate-thing-type --thing-type-name ${thingTypeName}.`;
  let use: ThingTypeUse;
  try {
    use = await findThingOfAnotherStack(iot, thingTypeName, stackName, options.maxThingPages);
  } catch (error) {
    log.warn(
      `Thing type ${thingTypeName} kept: its things could not be listed to tell whether another stack uses it. ${deprecateYourself}`,
      {
        ...where,
        error,
      },
    );
    return;
  }
  const scan = { ...where, scanned_things: use.scannedThings };
  switch (use.kind) {
    case 'another_stack': {
      const whose =
        stackName === undefined
          ? `names stack ${use.ownerStackName}, and this request carries no StackName to tell whether that is this stack`
          : `belongs to stack ${use.ownerStackName}`;
      log.info(`Thing type ${thingTypeName} kept: thing ${use.thingName} ${whose}.`, {
        ...scan,
        thing_name: use.thingName,
        owner_stack_name: use.ownerStackName,
      });
      return;
    }
    case 'undecided':
      log.warn(
        `Thing type ${thingTypeName} kept: its first ${use.scannedThings} things are all of this stack or of none, and more remain unread. ${deprecateYourself}`,
        scan,
      );
      return;
    case 'unused': {
      const deprecated = await iot.setThingTypeDeprecated(thingTypeName, true);
      log.info(
        deprecated
          ? `Thing type ${thingTypeName} deprecated: none of its ${use.scannedThings} things belongs to another stack.`
          : `Thing type ${thingTypeName} is gone already.`,
        scan,
      );
    }
  }
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

/** The thing type name, trimmed: 1 to 128 of the characters AWS IoT allows. */
const THING_TYPE_NAME_PROPERTY = v.pipe(
  v.optional(v.string(), ''),
  v.trim(),
  v.regex(THING_TYPE_NAME),
);

/**
 * The stack name, trimmed; absent (stacks deployed before `StackName`) reads as undefined.
 */
const STACK_NAME_PROPERTY = v.pipe(
  v.optional(v.string(), ''),
  v.trim(),
  v.check((name) => name === '' || STACK_NAME.test(name)),
  v.transform((name) => name || undefined),
);

/** How a refusal shows the property it was given (CloudFormation passes strings). */
function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : describeValue(value);
}

function parseThingTypeName(value: unknown): string {
  return readInput(
    THING_TYPE_NAME_PROPERTY,
    value,
    () =>
      new InputError(
        'invalid_thing_type_name',
        `ThingTypeName ${shown(value ?? '')} is invalid: use 1 to 128 letters, digits, ":", "_" or "-".`,
        { thingTypeName: value },
      ),
  );
}

/** The stack name, or undefined when it is absent or malformed (a Delete must not fail over it). */
function validStackName(value: unknown): string | undefined {
  const reading = checkInput(STACK_NAME_PROPERTY, value);
  return 'output' in reading ? reading.output : undefined;
}

/** `undefined` when absent (stacks deployed before `StackName`); a malformed one is a template error. */
function parseStackName(value: unknown): string | undefined {
  return readInput(
    STACK_NAME_PROPERTY,
    value,
    () =>
      new InputError(
        'invalid_stack_name',
        `StackName ${shown(value)} is invalid: use a letter, then up to 127 letters, digits and hyphens.`,
        { stackName: value },
      ),
  );
}

const SILENT: ThingTypeLog = { info: () => undefined, warn: () => undefined };
