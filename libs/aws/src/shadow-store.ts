import {
  GetThingShadowCommand,
  UpdateThingShadowCommand,
  type IoTDataPlaneClient,
} from '@aws-sdk/client-iot-data-plane';
import { jsonObject, readInput, type JsonObject } from '@tts-aws-iot/input';
import {
  ShadowVersionConflictError,
  type ShadowDocument,
  type ShadowStore,
  type ShadowUpdate,
} from '@tts-aws-iot/integration';

import * as v from 'valibot';

import { AwsRequestError, awsErrorName, awsHttpStatus, fromAwsError, isNotFound } from './errors';

const SERVICE = 'IoT Data';

/** `ShadowStore` on the IoT data plane's named shadows. */
export class IotShadowStore implements ShadowStore {
  constructor(private readonly client: IoTDataPlaneClient) {}

  async getShadow(thingName: string, shadowName: string): Promise<ShadowDocument | undefined> {
    const site = {
      service: SERVICE,
      action: 'GetThingShadow',
      resource: `shadow ${shadowName} of thing ${thingName}`,
    };
    let payload: Uint8Array | undefined;
    try {
      ({ payload } = await this.client.send(new GetThingShadowCommand({ thingName, shadowName })));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw fromAwsError(error, site);
    }
    const { state, version } = parseDocument(payload, site);
    return {
      state: {
        ...(state.reported === undefined ? {} : { reported: state.reported }),
        ...(state.desired === undefined ? {} : { desired: state.desired }),
      },
      version,
    };
  }

  async updateShadow(
    thingName: string,
    shadowName: string,
    update: ShadowUpdate,
  ): Promise<{ version: number }> {
    const site = {
      service: SERVICE,
      action: 'UpdateThingShadow',
      resource: `shadow ${shadowName} of thing ${thingName}`,
    };
    const body = {
      state: {
        reported: update.reported,
        ...(update.desired === undefined ? {} : { desired: update.desired }),
      },
      ...(update.version === undefined ? {} : { version: update.version }),
      ...(update.clientToken === undefined ? {} : { clientToken: update.clientToken }),
    };
    let payload: Uint8Array | undefined;
    try {
      ({ payload } = await this.client.send(
        new UpdateThingShadowCommand({
          thingName,
          shadowName,
          payload: new TextEncoder().encode(JSON.stringify(body)),
        }),
      ));
    } catch (error) {
      if (awsErrorName(error) === 'ConflictException' || awsHttpStatus(error) === 409) {
        throw new ShadowVersionConflictError(thingName, { cause: error });
      }
      throw fromAwsError(error, site);
    }
    return { version: parseDocument(payload, site).version };
  }
}

type Site = { service: string; action: string; resource: string };

/** A part of the document the store leaves out when it is not an object. */
const part = <T>(schema: v.GenericSchema<unknown, T>, empty: T) =>
  v.fallback(v.optional(schema, empty), empty);

/**
 * A shadow document as IoT answers it. The store needs its version; the state is passed on
 * as far as it holds objects (the readers of its fields check what they read). The issue
 * messages say what is wrong with the document.
 */
const SHADOW_DOCUMENT = v.pipe(
  jsonObject('is not a JSON object'),
  v.object(
    {
      state: part(
        v.object({
          reported: part<JsonObject | undefined>(jsonObject('an object'), undefined),
          desired: part<JsonObject | undefined>(jsonObject('an object'), undefined),
        }),
        {},
      ),
      version: v.pipe(v.number('has no version'), v.safeInteger('has no version')),
    },
    // The only key it requires.
    'has no version',
  ),
);

/** The response document; IoT always answers JSON, so anything else is an AWS-side fault. */
function parseDocument(payload: Uint8Array | undefined, site: Site) {
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder().decode(payload ?? new Uint8Array()));
  } catch (error) {
    throw unreadable(site, 'is not JSON', error);
  }
  return readInput(SHADOW_DOCUMENT, document, (issue) => unreadable(site, issue.expected));
}

function unreadable(site: Site, problem: string, cause?: unknown): AwsRequestError {
  return new AwsRequestError(
    'invalid_shadow_document',
    `${site.service} ${site.action} for ${site.resource} answered a document that ${problem}. Check the endpoint (IOT_DATA_ENDPOINT) points at AWS IoT.`,
    { action: site.action },
    { cause },
  );
}
