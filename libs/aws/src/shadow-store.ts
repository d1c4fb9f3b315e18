import {
  GetThingShadowCommand,
  UpdateThingShadowCommand,
  type IoTDataPlaneClient,
} from '@aws-sdk/client-iot-data-plane';
import {
  ShadowVersionConflictError,
  type ShadowDocument,
  type ShadowStore,
  type ShadowUpdate,
} from '@tts-aws-iot/integration';

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
    const document = parseDocument(payload, site);
    const state = isObject(document['state']) ? document['state'] : {};
    return {
      state: {
        ...(isObject(state['reported']) ? { reported: state['reported'] } : {}),
        ...(isObject(state['desired']) ? { desired: state['desired'] } : {}),
      },
      version: versionOf(document, site),
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
    return { version: versionOf(parseDocument(payload, site), site) };
  }
}

type Site = { service: string; action: string; resource: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The response document; IoT always answers JSON, so anything else is an AWS-side fault. */
function parseDocument(payload: Uint8Array | undefined, site: Site): Record<string, unknown> {
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder().decode(payload ?? new Uint8Array()));
  } catch (error) {
    throw unreadable(site, 'is not JSON', error);
  }
  if (!isObject(document)) throw unreadable(site, 'is not a JSON object');
  return document;
}

function versionOf(document: Record<string, unknown>, site: Site): number {
  const version = document['version'];
  if (typeof version !== 'number' || !Number.isSafeInteger(version))
    throw unreadable(site, 'has no version');
  return version;
}

function unreadable(site: Site, problem: string, cause?: unknown): AwsRequestError {
  return new AwsRequestError(
    'invalid_shadow_document',
    `${site.service} ${site.action} for ${site.resource} answered a document that ${problem}. Check the endpoint (IOT_DATA_ENDPOINT) points at AWS IoT.`,
    { action: site.action },
    { cause },
  );
}
