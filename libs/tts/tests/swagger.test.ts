/**
 * Every TTS call the client makes must exist in TTS's own OpenAPI description, with that
 * method, path and those field names (docs/tts.md). The description is the part of TTS's
 * api.swagger.json that the TTS simulator serves (tools/tts-sim/api, which a tts-sim test
 * regenerates from the full file): a call outside it fails here, as the simulator would not
 * serve it either. Each client method is called against a
 * recording fetch; each recorded request is then checked against the swagger: the route,
 * the path parameters (and that the body agrees with them), the query parameters, every
 * body field and value type (resolving `$ref`s), every `field_mask` path, and that every
 * field the body sets is in the mask (TTS ignores unmasked fields). The response fields the
 * client reads are checked against the answer's schema too.
 */
import { ttsApiDocument } from '@tts-aws-iot/tts-sim';
import { TtsClient, type FetchFunction } from '../src';

type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  enum?: string[];
};
type Parameter = { name: string; in: 'path' | 'query' | 'body'; schema?: Schema };
// The routes the simulator does not serve are listed by method only, without responses.
type Operation = { parameters?: Parameter[]; responses?: Record<string, { schema?: Schema }> };
type Swagger = {
  paths: Record<string, Record<string, Operation>>;
  definitions: Record<string, Schema>;
};

const swagger = ttsApiDocument() as Swagger;

// Field masks name oneof groups that the JSON (and so the swagger) flattens away:
// `provider.aws_iot.region` sets `aws_iot.region`. Only the groups the client uses.
const ONEOF_GROUPS: Record<string, readonly string[]> = {
  provider: ['nats', 'mqtt', 'aws_iot'],
  deployment: ['default'],
};

function resolve(schema: Schema | undefined): Schema | undefined {
  let current = schema;
  for (let depth = 0; current?.$ref && depth < 20; depth++) {
    const name = current.$ref.replace('#/definitions/', '');
    current = swagger.definitions[name];
    if (!current) throw new Error(`unresolved $ref ${name}`);
  }
  return current;
}

interface Route {
  readonly template: string;
  readonly operation: Operation;
  readonly pathParams: Record<string, string>;
}

function findRoute(method: string, path: string): Route | undefined {
  const candidates: Route[] = [];
  for (const [template, operations] of Object.entries(swagger.paths)) {
    const operation = operations[method.toLowerCase()];
    if (!operation) continue;
    const names = [...template.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);
    const pattern = template
      .split(/\{[^}]+\}/)
      .map((literal) => literal.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
      .join('([^/]+)');
    const match = new RegExp(`^${pattern}$`).exec(path);
    if (!match) continue;
    candidates.push({
      template,
      operation,
      pathParams: Object.fromEntries(
        names.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]),
      ),
    });
  }
  // The most specific route wins (most literal characters), as in grpc-gateway.
  const literal = (template: string) => template.replace(/\{[^}]+\}/g, '').length;
  return candidates.sort((a, b) => literal(b.template) - literal(a.template))[0];
}

/** Checks `value` against `schema`; returns problems, with `at` the dotted field path. */
function checkValue(
  value: unknown,
  schema: Schema | undefined,
  at: string,
  pathParams: Record<string, string>,
): string[] {
  const resolved = resolve(schema);
  if (!resolved) return [`${at}: no schema`];
  if (Array.isArray(value)) {
    if (resolved.type !== 'array') return [`${at}: is an array, the swagger says ${resolved.type}`];
    return value.flatMap((item, i) => checkValue(item, resolved.items, `${at}[${i}]`, pathParams));
  }
  if (typeof value === 'object' && value !== null) {
    if (resolved.type !== 'object' && !resolved.properties)
      return [`${at}: is an object, the swagger says ${resolved.type}`];
    return Object.entries(value).flatMap(([key, child]) => {
      const childAt = at ? `${at}.${key}` : key;
      // The swagger types FieldMask as a string; TTS takes {paths: [...]} (docs/tts.md). checkFieldMask checks it.
      if (childAt === 'field_mask') return [];
      const property = resolved.properties?.[key];
      if (property) return checkValue(child, property, childAt, pathParams);
      if (typeof resolved.additionalProperties === 'object')
        return checkValue(child, resolved.additionalProperties, childAt, pathParams);
      // grpc-gateway empties the schema of a message bound to the path: its fields must be path parameters.
      if (!resolved.properties && resolved.type === 'object')
        return checkPathBound(child, childAt, pathParams);
      return [`${childAt}: not a field of the swagger definition`];
    });
  }
  const expected = resolved.type;
  if (resolved.enum && !resolved.enum.includes(String(value)))
    return [`${at}: ${JSON.stringify(value)} is not one of the enum values`];
  if (expected === 'string' && typeof value !== 'string') return [`${at}: should be a string`];
  if (expected === 'boolean' && typeof value !== 'boolean') return [`${at}: should be a boolean`];
  if (expected === 'integer' && !Number.isInteger(value)) return [`${at}: should be an integer`];
  return [];
}

function checkPathBound(value: unknown, at: string, pathParams: Record<string, string>): string[] {
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).flatMap(([key, child]) =>
      checkPathBound(child, `${at}.${key}`, pathParams),
    );
  if (!(at in pathParams))
    return [`${at}: bound to the path in the swagger, but the route has no such parameter`];
  return pathParams[at] === value
    ? []
    : [`${at}: ${JSON.stringify(value)} differs from the path's ${JSON.stringify(pathParams[at])}`];
}

/** Body fields that repeat a path parameter must carry the same value. */
function checkAgreesWithPath(body: unknown, pathParams: Record<string, string>): string[] {
  return leaves(body)
    .filter((leaf) => leaf in pathParams)
    .flatMap((leaf) => {
      const value = leaf
        .split('.')
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], body);
      return value === pathParams[leaf]
        ? []
        : [
            `${leaf}: ${JSON.stringify(value)} differs from the path's ${JSON.stringify(pathParams[leaf])}`,
          ];
    });
}

/** A mask path as a JSON field path: oneof group names dropped, checked to hold a member. */
function maskToFieldPath(maskPath: string): { fieldPath: string; problem?: string } {
  const segments = maskPath.split('.');
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const group = ONEOF_GROUPS[segments[i]!];
    if (group) {
      if (!group.includes(segments[i + 1] ?? ''))
        return {
          fieldPath: '',
          problem: `${maskPath}: ${segments[i + 1]} is not a member of oneof ${segments[i]}`,
        };
      continue;
    }
    out.push(segments[i]!);
  }
  return { fieldPath: out.join('.') };
}

function schemaAt(schema: Schema | undefined, fieldPath: string): Schema | undefined {
  let current = resolve(schema);
  for (const segment of fieldPath.split('.')) {
    current = resolve(current?.properties?.[segment]);
    if (!current) return undefined;
  }
  return current;
}

function leaves(value: unknown, at = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [at];
  return Object.entries(value).flatMap(([key, child]) => leaves(child, at ? `${at}.${key}` : key));
}

function checkFieldMask(
  body: Record<string, unknown>,
  bodySchema: Schema | undefined,
  pathParams: Record<string, string>,
): string[] {
  const mask = body['field_mask'] as { paths?: unknown } | undefined;
  if (mask === undefined) return [];
  const problems: string[] = [];
  if (!Array.isArray(mask.paths) || mask.paths.length === 0)
    return ['field_mask: needs {paths: [...]}'];
  const messages = Object.keys(body).filter(
    (key) => key !== 'field_mask' && typeof body[key] === 'object',
  );
  if (messages.length !== 1)
    return [`field_mask: cannot tell which message it masks (${messages.join(', ')})`];
  const messageKey = messages[0]!;
  const messageSchema = resolve(bodySchema)?.properties?.[messageKey];
  const fieldPaths: string[] = [];
  for (const maskPath of mask.paths as string[]) {
    const { fieldPath, problem } = maskToFieldPath(maskPath);
    if (problem) problems.push(`field_mask ${problem}`);
    else if (!schemaAt(messageSchema, fieldPath))
      problems.push(`field_mask path ${maskPath} is not a field of ${messageKey}`);
    else fieldPaths.push(fieldPath);
  }
  for (const leaf of leaves(body[messageKey])) {
    if (`${messageKey}.${leaf}` in pathParams) continue;
    if (!fieldPaths.some((path) => leaf === path || leaf.startsWith(`${path}.`)))
      problems.push(`${messageKey}.${leaf} is set but not in the field_mask, so TTS ignores it`);
  }
  return problems;
}

/** Checks one recorded request; returns its problems (empty when it matches the swagger). */
function checkRequest(method: string, url: URL, body: unknown): string[] {
  const path = url.pathname.replace(/^\/api\/v3/, '');
  const route = findRoute(method, path);
  if (!route) return [`${method} ${path}: no such route in the swagger`];
  if (!route.operation.responses)
    return [`${method} ${route.template}: a TTS route that tools/tts-sim does not serve`];
  const parameters = route.operation.parameters ?? [];
  const problems: string[] = [];
  for (const key of url.searchParams.keys()) {
    if (!parameters.some((p) => p.in === 'query' && p.name === key))
      problems.push(`query parameter ${key} is not in the swagger`);
  }
  const bodyParameter = parameters.find((p) => p.in === 'body');
  if (body === undefined) {
    if (bodyParameter) problems.push('the route takes a body, none was sent');
  } else if (!bodyParameter) {
    problems.push('a body was sent to a route that takes none');
  } else {
    problems.push(...checkValue(body, bodyParameter.schema, '', route.pathParams));
    problems.push(...checkAgreesWithPath(body, route.pathParams));
    problems.push(
      ...checkFieldMask(body as Record<string, unknown>, bodyParameter.schema, route.pathParams),
    );
  }
  return problems.map((problem) => `${method} ${route.template}: ${problem}`);
}

const KEY = Uint8Array.from(Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex'));
const IDS = {
  applicationID: 'app1',
  deviceID: 'dev1',
  devEUI: '0004A30B001C0530',
  joinEUI: '70B3D57ED0000000',
};
const MODEL = {
  brandID: 'example',
  modelID: 'windsensor',
  firmwareVersion: '1.0',
  hardwareVersion: '1.0',
  bandID: 'EU_863_870',
};

/** Every client method with arguments that exercise all of its fields, and the answer fields it reads. */
const CALLS: Record<
  string,
  { call: (tts: TtsClient) => Promise<unknown>; reads?: readonly string[] }
> = {
  getAuthInfo: {
    call: (tts) => tts.getAuthInfo(),
    reads: [
      'api_key.api_key.rights',
      'api_key.entity_ids.application_ids.application_id',
      'universal_rights.rights',
      'is_admin',
    ],
  },
  createEndDevice: {
    call: (tts) =>
      tts.createEndDevice({
        ids: IDS,
        joinServerAddress: 'tts.example',
        networkServerAddress: 'tts.example',
        applicationServerAddress: 'tts.example',
        versionIDs: MODEL,
      }),
  },
  getEndDevice: {
    call: (tts) => tts.getEndDevice(IDS),
    reads: ['ids.device_id', 'ids.application_ids.application_id', 'ids.dev_eui', 'ids.join_eui'],
  },
  deleteEndDevice: { call: (tts) => tts.deleteEndDevice(IDS) },
  setJoinServerDevice: {
    call: (tts) =>
      tts.setJoinServerDevice({
        ids: IDS,
        networkServerAddress: 'tts.example',
        applicationServerAddress: 'tts.example',
        appKey: KEY,
        nwkKey: KEY,
      }),
  },
  deleteJoinServerDevice: { call: (tts) => tts.deleteJoinServerDevice(IDS) },
  setNetworkServerDevice: {
    call: (tts) =>
      tts.setNetworkServerDevice({
        ids: IDS,
        lorawanVersion: 'MAC_V1_1',
        lorawanPhyVersion: 'RP002_V1_0_4',
        frequencyPlanID: 'EU_863_870_TTN',
        versionIDs: MODEL,
      }),
  },
  deleteNetworkServerDevice: { call: (tts) => tts.deleteNetworkServerDevice(IDS) },
  setApplicationServerDevice: {
    call: (tts) =>
      tts.setApplicationServerDevice({
        ids: IDS,
        skipPayloadCryptoOverride: true,
        versionIDs: MODEL,
      }),
  },
  getApplicationServerFormatters: {
    call: (tts) => tts.getApplicationServerFormatters(IDS),
    reads: [
      'formatters.up_formatter',
      'formatters.up_formatter_parameter',
      'formatters.down_formatter',
      'formatters.down_formatter_parameter',
      'version_ids.brand_id',
      'version_ids.model_id',
      'version_ids.firmware_version',
      'version_ids.hardware_version',
      'version_ids.band_id',
    ],
  },
  getApplicationDefaultFormatters: {
    call: (tts) => tts.getApplicationDefaultFormatters('app1'),
    reads: ['default_formatters.up_formatter', 'default_formatters.down_formatter_parameter'],
  },
  getRepositoryFormatter: {
    call: async (tts) => {
      await tts.getRepositoryFormatter('app1', MODEL, 'uplink/decoder');
      await tts.getRepositoryFormatter('app1', MODEL, 'downlink/encoder');
    },
    reads: ['formatter', 'formatter_parameter'],
  },
  deleteApplicationServerDevice: { call: (tts) => tts.deleteApplicationServerDevice(IDS) },
  claimEndDevice: {
    call: (tts) =>
      tts.claimEndDevice({
        devEUI: IDS.devEUI,
        joinEUI: IDS.joinEUI,
        authenticationCode: 'ABC123',
        applicationID: 'app1',
        deviceID: 'dev1',
      }),
  },
  supportsClaiming: {
    call: (tts) => tts.supportsClaiming(IDS.joinEUI),
    reads: ['supports_claiming'],
  },
  unclaimEndDevice: { call: (tts) => tts.unclaimEndDevice(IDS) },
  setAwsIotPubSub: {
    call: (tts) =>
      tts.setAwsIotPubSub({
        applicationID: 'app1',
        pubSubID: 'aws-iot',
        region: 'eu-west-1',
        roleArn: 'arn:aws:iam::123456789012:role/Name',
        externalID: 'x',
        endpointAddress: 'abc-ats.iot.eu-west-1.amazonaws.com',
        stackName: 'my-stack',
      }),
  },
  deletePubSub: { call: (tts) => tts.deletePubSub({ applicationID: 'app1', pubSubID: 'aws-iot' }) },
  setSkipPayloadCrypto: { call: (tts) => tts.setSkipPayloadCrypto('app1', true) },
  setApplicationKek: { call: (tts) => tts.setApplicationKek('app1', { label: 'kek-1', key: KEY }) },
  deleteApplicationKek: { call: (tts) => tts.deleteApplicationKek('app1') },
};

interface Recorded {
  readonly method: string;
  readonly url: URL;
  readonly body: unknown;
}

async function record(call: (tts: TtsClient) => Promise<unknown>): Promise<Recorded[]> {
  const requests: Recorded[] = [];
  const fetch: FetchFunction = async (url, init) => {
    requests.push({
      method: String(init.method),
      url: new URL(url),
      body: init.body === undefined ? undefined : JSON.parse(String(init.body)),
    });
    return new Response('{}', { status: 200 });
  };
  await call(
    new TtsClient({ baseURL: 'https://tts.example/api/v3', apiKey: () => 'NNSXS.TEST.KEY', fetch }),
  );
  return requests;
}

describe('the TTS client against the TTS OpenAPI description', () => {
  it('exercises every public client method here', () => {
    const methods = Object.getOwnPropertyNames(TtsClient.prototype).filter(
      (name) => name !== 'constructor' && name !== 'delete',
    );
    expect(methods.sort()).toEqual(Object.keys(CALLS).sort());
  });

  it.each(Object.entries(CALLS))(
    '%s uses a route, parameters and fields that TTS defines',
    async (_name, { call }) => {
      const requests = await record(call);
      expect(requests.length).toBeGreaterThan(0);
      const problems = requests.flatMap((request) =>
        checkRequest(request.method, request.url, request.body),
      );
      expect(problems).toEqual([]);
    },
  );

  it.each(Object.entries(CALLS).filter(([, { reads }]) => reads))(
    '%s reads answer fields that TTS defines',
    async (_name, { call, reads }) => {
      const [request] = await record(call);
      const route = findRoute(request!.method, request!.url.pathname.replace(/^\/api\/v3/, ''))!;
      const answer = route.operation.responses!['200']!.schema;
      expect(reads!.filter((field) => !schemaAt(answer, field))).toEqual([]);
    },
  );

  // The checker itself must be able to fail; otherwise the checks above prove nothing.
  describe('the checker', () => {
    const url = (path: string) => new URL(`https://tts.example/api/v3${path}`);

    it('rejects a route that does not exist', () => {
      expect(checkRequest('PUT', url('/applications/app1/devices/dev1/keys'), {})).toEqual([
        expect.stringContaining('no such route'),
      ]);
    });

    it('rejects a route that TTS has but the simulator does not serve', () => {
      expect(checkRequest('GET', url('/applications/app1/devices'), undefined)).toEqual([
        expect.stringContaining('does not serve'),
      ]);
    });

    it('rejects a method the route does not have', () => {
      expect(checkRequest('PATCH', url('/as/applications/app1/link'), {})).toEqual([
        expect.stringContaining('no such route'),
      ]);
    });

    it('rejects an unknown body field', () => {
      const problems = checkRequest('PUT', url('/as/applications/app1/link'), {
        link: { skip_crypto: true },
        field_mask: { paths: ['skip_payload_crypto'] },
      });
      expect(problems).toContainEqual(expect.stringContaining('link.skip_crypto: not a field'));
    });

    it('rejects an enum value TTS does not know', () => {
      const problems = checkRequest('PUT', url('/ns/applications/app1/devices/dev1'), {
        end_device: { lorawan_version: 'MAC_V1_2' },
        field_mask: { paths: ['lorawan_version'] },
      });
      expect(problems).toContainEqual(expect.stringContaining('not one of the enum values'));
    });

    it('rejects a mask path that is not a field', () => {
      const problems = checkRequest('PUT', url('/as/applications/app1/link'), {
        link: { skip_payload_crypto: true },
        field_mask: { paths: ['skip_payload_crypto', 'skip'] },
      });
      expect(problems).toContainEqual(
        expect.stringContaining('field_mask path skip is not a field'),
      );
    });

    it('rejects a field that is set but not masked', () => {
      const problems = checkRequest('PUT', url('/ns/applications/app1/devices/dev1'), {
        end_device: { lorawan_version: 'MAC_V1_1', frequency_plan_id: 'EU_863_870_TTN' },
        field_mask: { paths: ['lorawan_version'] },
      });
      expect(problems).toContainEqual(
        expect.stringContaining('end_device.frequency_plan_id is set but not in the field_mask'),
      );
    });

    it('rejects a body whose IDs disagree with the path', () => {
      const problems = checkRequest('PUT', url('/as/applications/app1/devices/dev1'), {
        end_device: { ids: { device_id: 'dev2', application_ids: { application_id: 'app1' } } },
        field_mask: { paths: ['ids.dev_eui'] },
      });
      expect(problems).toContainEqual(
        expect.stringContaining('end_device.ids.device_id: "dev2" differs'),
      );
    });

    it('rejects an unknown query parameter', () => {
      expect(
        checkRequest('DELETE', url('/as/pubsub/app1/aws-iot?force=true'), undefined),
      ).toContainEqual(expect.stringContaining('query parameter force'));
    });
  });
});
