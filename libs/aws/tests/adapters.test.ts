import {
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  ThrottlingException,
  VersionConflictException,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { ConflictException, type IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  ShadowVersionConflictError,
  ThingAlreadyExistsError,
  ThingVersionConflictError,
  TransientError,
  type SecretReader,
} from '@tts-aws-iot/integration';

import {
  CachedSecretReader,
  createIotDataClient,
  IotDataPublisher,
  IotShadowStore,
  IotThingRegistry,
  IotThingTypeAdmin,
  MAX_PUBLISH_PAYLOAD_BYTES,
  SecretsManagerSecretReader,
} from '../src';

/** A client whose `send` answers with `reply(command)`; the commands sent are kept. */
function fakeClient<T>(
  reply: (command: { constructor: { name: string }; input: unknown }) => unknown,
) {
  const sent: { name: string; input: unknown }[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: unknown }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      return reply(command);
    },
  } as unknown as T;
  return { client, sent };
}

const metadata = { httpStatusCode: 409 };

describe('IotThingRegistry (AWS behaviour the emulator lacks)', () => {
  it('reports a thing that exists with another configuration', async () => {
    const { client } = fakeClient<IoTClient>(() => {
      throw new ResourceAlreadyExistsException({
        message: 'exists',
        resourceId: 'x',
        resourceArn: 'y',
        $metadata: metadata,
      });
    });
    const registry = new IotThingRegistry(client);
    await expect(
      registry.createThing({ thingName: 'T1', thingTypeName: 'lorawan', attributes: {} }),
    ).rejects.toBeInstanceOf(ThingAlreadyExistsError);
  });

  it('reports a version conflict on an attribute update', async () => {
    const { client, sent } = fakeClient<IoTClient>(() => {
      throw new VersionConflictException({ message: 'version', $metadata: metadata });
    });
    const registry = new IotThingRegistry(client);
    await expect(
      registry.updateThingAttributes('T1', { appKey: null }, { expectedVersion: 3 }),
    ).rejects.toBeInstanceOf(ThingVersionConflictError);
    expect(sent[0]).toEqual({
      name: 'UpdateThingCommand',
      input: {
        thingName: 'T1',
        attributePayload: { attributes: { appKey: '' }, merge: true },
        expectedVersion: 3,
      },
    });
  });
});

describe('IotThingRegistry.findThings (paging and errors)', () => {
  const query = {
    attributeName: 'devEUI',
    attributeValue: '0004A30B001C0530',
    thingTypeName: 'lorawan',
  };

  it('sends the attribute and type filters, follows nextToken, and asks for no more than the limit', async () => {
    const { client, sent } = fakeClient<IoTClient>((command) => {
      const token = (command.input as { nextToken?: string }).nextToken;
      return token === undefined
        ? { things: [{ thingName: 'a', attributes: {} }], nextToken: 'p2' }
        : { things: [{ thingName: 'b', thingTypeName: 'lorawan', attributes: {}, version: 2 }] };
    });
    const found = await new IotThingRegistry(client).findThings({ ...query, limit: 3 });
    expect(found).toEqual([
      { thingName: 'a', attributes: {} },
      { thingName: 'b', thingTypeName: 'lorawan', attributes: {}, version: 2 },
    ]);
    expect(sent).toEqual([
      { name: 'ListThingsCommand', input: { ...query, maxResults: 3 } },
      { name: 'ListThingsCommand', input: { ...query, maxResults: 2, nextToken: 'p2' } },
    ]);
  });

  it('stops paging once it has the limit', async () => {
    const { client, sent } = fakeClient<IoTClient>(() => ({
      things: [{ thingName: 'a', attributes: {} }],
      nextToken: 'more',
    }));
    await expect(
      new IotThingRegistry(client).findThings({ ...query, limit: 1 }),
    ).resolves.toHaveLength(1);
    expect(sent).toHaveLength(1);
  });

  it('maps throttling to a retryable error that names ListThings and the search', async () => {
    const { client } = fakeClient<IoTClient>(() => {
      throw new ThrottlingException({ message: 'slow down', $metadata: { httpStatusCode: 429 } });
    });
    await expect(
      new IotThingRegistry(client).findThings({ ...query, limit: 10 }),
    ).rejects.toMatchObject({
      retryable: true,
      message: expect.stringContaining(
        'ListThings for things of type lorawan with devEUI=0004A30B001C0530',
      ),
    });
  });
});

describe('IotThingTypeAdmin.listThingsOfType (AWS behaviour the emulator lacks)', () => {
  it('asks for full pages of the type and passes the token on', async () => {
    const { client, sent } = fakeClient<IoTClient>(() => ({
      things: [{ thingName: 'T1' }, { attributes: {} }],
      nextToken: 'n2',
    }));
    await expect(
      new IotThingTypeAdmin(client).listThingsOfType('lorawan', { nextToken: 'n1' }),
    ).resolves.toEqual({
      things: [{ thingName: 'T1', attributes: {} }],
      nextToken: 'n2',
    });
    expect(sent).toEqual([
      {
        name: 'ListThingsCommand',
        input: { thingTypeName: 'lorawan', maxResults: 250, nextToken: 'n1' },
      },
    ]);
  });

  it('lists no things of a type that does not exist', async () => {
    const { client } = fakeClient<IoTClient>(() => {
      throw new ResourceNotFoundException({
        message: 'no such type',
        $metadata: { httpStatusCode: 404 },
      });
    });
    await expect(new IotThingTypeAdmin(client).listThingsOfType('gone')).resolves.toEqual({
      things: [],
    });
  });

  it('reports throttling as retryable, naming the call and the type', async () => {
    const { client } = fakeClient<IoTClient>(() => {
      throw new ThrottlingException({
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 429 },
      });
    });
    const attempt = new IotThingTypeAdmin(client).listThingsOfType('lorawan');
    await expect(attempt).rejects.toBeInstanceOf(TransientError);
    await expect(attempt).rejects.toMatchObject({
      message: expect.stringContaining('ListThings for things of type lorawan'),
    });
  });
});

describe('IotShadowStore', () => {
  it('maps a stale version to ShadowVersionConflictError', async () => {
    const { client } = fakeClient<IoTDataPlaneClient>(() => {
      throw new ConflictException({ message: 'Version conflict', $metadata: metadata });
    });
    await expect(
      new IotShadowStore(client).updateShadow('T1', 'lorawan', { reported: {}, version: 1 }),
    ).rejects.toBeInstanceOf(ShadowVersionConflictError);
  });

  it.each([
    ['not JSON', new TextEncoder().encode('<html>'), 'is not JSON'],
    ['a JSON array', new TextEncoder().encode('[1]'), 'is not a JSON object'],
    ['without a version', new TextEncoder().encode('{"state":{}}'), 'has no version'],
    ['with a fractional version', new TextEncoder().encode('{"version":1.5}'), 'has no version'],
    ['empty', undefined, 'is not JSON'],
  ])('rejects a shadow document that is %s with a clear code', async (_, payload, problem) => {
    const { client } = fakeClient<IoTDataPlaneClient>(() => ({ payload }));
    await expect(new IotShadowStore(client).getShadow('T1', 'lorawan')).rejects.toMatchObject({
      code: 'invalid_shadow_document',
      retryable: false,
      message: expect.stringContaining(`answered a document that ${problem}.`),
    });
  });

  it('ignores state sections that are not objects', async () => {
    const payload = new TextEncoder().encode(
      '{"state":{"reported":[1],"desired":{"a":1}},"version":4}',
    );
    const { client } = fakeClient<IoTDataPlaneClient>(() => ({ payload }));
    await expect(new IotShadowStore(client).getShadow('T1', 'lorawan')).resolves.toEqual({
      state: { desired: { a: 1 } },
      version: 4,
    });
  });
});

describe('IotDataPublisher', () => {
  it('refuses a message over the IoT Core limit without calling AWS', async () => {
    const { client, sent } = fakeClient<IoTDataPlaneClient>(() => ({}));
    const publisher = new IotDataPublisher(client);
    await expect(
      publisher.publish('lorawan/T1/uplink', { data: 'x'.repeat(MAX_PUBLISH_PAYLOAD_BYTES) }),
    ).rejects.toMatchObject({
      code: 'aws_payload_too_large',
      retryable: false,
      attributes: { topic: 'lorawan/T1/uplink' },
    });
    expect(sent).toHaveLength(0);
  });

  it('publishes with QoS 1 unless told otherwise', async () => {
    const { client, sent } = fakeClient<IoTDataPlaneClient>(() => ({}));
    const publisher = new IotDataPublisher(client);
    await publisher.publish('a', { n: 1 });
    await publisher.publish('b', { n: 2 }, { qos: 0 });
    expect(sent.map(({ input }) => (input as { qos: number }).qos)).toEqual([1, 0]);
  });
});

describe('SecretsManagerSecretReader', () => {
  it('names the secret, never its value, when it holds binary data', async () => {
    const { client } = fakeClient<SecretsManagerClient>(() => ({
      SecretBinary: new Uint8Array([1, 2]),
    }));
    await expect(
      new SecretsManagerSecretReader(client).getSecretString('stack/kek'),
    ).rejects.toMatchObject({
      code: 'secret_not_string',
      attributes: { secretID: 'stack/kek' },
    });
  });
});

describe('CachedSecretReader', () => {
  function countingReader(values: (string | Error)[]) {
    let calls = 0;
    const release: (() => void)[] = [];
    const reader: SecretReader = {
      getSecretString: async () => {
        const value = values[Math.min(calls, values.length - 1)]!;
        calls++;
        await new Promise<void>((resolve) => release.push(resolve));
        if (value instanceof Error) throw value;
        return value;
      },
    };
    return {
      reader,
      calls: () => calls,
      releaseAll: () => release.splice(0).forEach((resolve) => resolve()),
    };
  }

  it('reads each secret once for concurrent and later calls', async () => {
    const inner = countingReader(['ring']);
    const cached = new CachedSecretReader(inner.reader);
    const reads = [cached.getSecretString('kek'), cached.getSecretString('kek')];
    inner.releaseAll();
    await expect(Promise.all(reads)).resolves.toEqual(['ring', 'ring']);
    await expect(cached.getSecretString('kek')).resolves.toBe('ring');
    expect(inner.calls()).toBe(1);
  });

  it('keeps secrets apart by ID', async () => {
    const inner = countingReader(['a', 'b']);
    const cached = new CachedSecretReader(inner.reader);
    const reads = [cached.getSecretString('one'), cached.getSecretString('two')];
    inner.releaseAll();
    await expect(Promise.all(reads)).resolves.toEqual(['a', 'b']);
  });

  it('forgets a failed read so that the next call tries again', async () => {
    const inner = countingReader([new TransientError('aws_unavailable', 'down'), 'ring']);
    const cached = new CachedSecretReader(inner.reader);
    const first = cached.getSecretString('kek');
    inner.releaseAll();
    await expect(first).rejects.toThrow('down');
    const second = cached.getSecretString('kek');
    inner.releaseAll();
    await expect(second).resolves.toBe('ring');
    expect(inner.calls()).toBe(2);
  });

  it('reads again after invalidate', async () => {
    const inner = countingReader(['old', 'new']);
    const cached = new CachedSecretReader(inner.reader);
    const first = cached.getSecretString('kek');
    inner.releaseAll();
    await expect(first).resolves.toBe('old');
    cached.invalidate('kek');
    const second = cached.getSecretString('kek');
    inner.releaseAll();
    await expect(second).resolves.toBe('new');
  });
});

describe('createIotDataClient', () => {
  it('uses the given account endpoint', async () => {
    const client = createIotDataClient('https://abc-ats.iot.eu-west-1.amazonaws.com', { env: {} });
    const endpoint = await client.config.endpoint!();
    expect(`${endpoint.protocol}//${endpoint.hostname}`).toBe(
      'https://abc-ats.iot.eu-west-1.amazonaws.com',
    );
  });

  it('lets AWS_ENDPOINT_URL_IOT_DATA_PLANE win over the given endpoint', async () => {
    const client = createIotDataClient('https://abc-ats.iot.eu-west-1.amazonaws.com', {
      env: { AWS_ENDPOINT_URL_IOT_DATA_PLANE: 'http://127.0.0.1:4566' },
    });
    const endpoint = await client.config.endpoint!();
    expect(`${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`).toBe(
      'http://127.0.0.1:4566',
    );
  });
});
