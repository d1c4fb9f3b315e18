import { CreateThingCommand, CreateThingTypeCommand, type IoTClient } from '@aws-sdk/client-iot';
import { type IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import {
  CreateSecretCommand,
  UpdateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ShadowVersionConflictError } from '@tts-aws-iot/integration';
import { describeWithMoto, startMoto, type MotoServer } from '@tts-aws-iot/test-kit';

import {
  CachedSecretReader,
  createIotClient,
  createIotDataClient,
  createSecretsManagerClient,
  IotDataPublisher,
  IotShadowStore,
  IotThingRegistry,
  IotThingTypeAdmin,
  SecretsManagerSecretReader,
} from '../src';

/**
 * The adapters through the real SDK clients against moto, an independent emulator. Where
 * moto is more lenient than AWS (thing versions, conflicting creates), adapters.test.ts
 * covers AWS's answer with a fake client.
 */
describeWithMoto('AWS adapters against moto', () => {
  let moto: MotoServer;
  let iot: IoTClient;
  let data: IoTDataPlaneClient;
  let secrets: SecretsManagerClient;
  const saved = { ...process.env };

  beforeAll(async () => {
    moto = await startMoto();
    Object.assign(process.env, moto.env);
    iot = createIotClient({ maxAttempts: 1 });
    // The account endpoint would be AWS's; the SDK variable (set by moto.env) must win.
    data = createIotDataClient('https://example-ats.iot.us-east-1.amazonaws.com', {
      maxAttempts: 1,
    });
    secrets = createSecretsManagerClient({ maxAttempts: 1 });
    await iot.send(
      new CreateThingTypeCommand({
        thingTypeName: 'lorawan',
        thingTypeProperties: { searchableAttributes: ['devEUI', 'stackName'] },
      }),
    );
  }, 40_000);

  afterAll(async () => {
    iot?.destroy();
    data?.destroy();
    secrets?.destroy();
    await moto?.stop();
    process.env = saved;
  });

  describe('IotThingRegistry', () => {
    const attributes = {
      devEUI: '0004A30B001C0530',
      stackName: 'tts',
      appKey: '2B7E151628AED2A6ABF7158809CF4F3C',
    };

    it('says a missing thing is undefined', async () => {
      await expect(
        new IotThingRegistry(iot).describeThing('0000000000000000'),
      ).resolves.toBeUndefined();
    });

    it('creates a thing and describes it with its type, attributes and version', async () => {
      const registry = new IotThingRegistry(iot);
      await registry.createThing({
        thingName: '0004A30B001C0530',
        thingTypeName: 'lorawan',
        attributes,
      });
      const thing = await registry.describeThing('0004A30B001C0530');
      expect(thing).toEqual({
        thingName: '0004A30B001C0530',
        thingId: expect.any(String),
        thingTypeName: 'lorawan',
        attributes,
        version: expect.any(Number),
      });
    });

    it('creates the same thing twice without an error', async () => {
      const registry = new IotThingRegistry(iot);
      const input = {
        thingName: '0004A30B001C0531',
        thingTypeName: 'lorawan',
        attributes: { devEUI: '0004A30B001C0531', stackName: 'tts' },
      };
      await registry.createThing(input);
      await expect(registry.createThing(input)).resolves.toBeUndefined();
    });

    it('merges attributes and removes those set to null', async () => {
      const registry = new IotThingRegistry(iot);
      await registry.createThing({ thingName: 'tts_dev-1', thingTypeName: 'lorawan', attributes });
      await registry.updateThingAttributes('tts_dev-1', { appKey: null, deviceID: 'dev-1' });
      const thing = await registry.describeThing('tts_dev-1');
      expect(thing?.attributes).toEqual({
        devEUI: '0004A30B001C0530',
        stackName: 'tts',
        deviceID: 'dev-1',
      });
    });

    it('maps a rejected request to a non-retryable error that names the thing', async () => {
      const registry = new IotThingRegistry(iot);
      await expect(
        registry.createThing({
          thingName: 'no-such-type',
          thingTypeName: 'missing-type',
          attributes: {},
        }),
      ).rejects.toMatchObject({
        retryable: false,
        code: 'aws_not_found',
        message: expect.stringContaining('CreateThing for thing no-such-type'),
      });
    });
  });

  describe('IotThingRegistry.findThings (ListThings by a searchable attribute)', () => {
    const devEUI = '0004A30B001C0F00';
    beforeAll(async () => {
      await iot.send(
        new CreateThingTypeCommand({
          thingTypeName: 'search',
          thingTypeProperties: { searchableAttributes: ['devEUI', 'stackName'] },
        }),
      );
      const registry = new IotThingRegistry(iot);
      const things: [string, string, Record<string, string>][] = [
        ['greenhouse-7', 'search', { devEUI, stackName: 'tts' }],
        ['theirs', 'search', { devEUI, stackName: 'other' }],
        ['other-device', 'search', { devEUI: '0004A30B001C0F01', stackName: 'tts' }],
        ['other-type', 'lorawan', { devEUI, stackName: 'tts' }],
      ];
      for (const [thingName, thingTypeName, attributes] of things)
        await registry.createThing({ thingName, thingTypeName, attributes });
    });

    it('finds the things of the type whose attribute has exactly that value, with their attributes', async () => {
      const found = await new IotThingRegistry(iot).findThings({
        attributeName: 'devEUI',
        attributeValue: devEUI,
        thingTypeName: 'search',
        limit: 10,
      });
      expect([...found].sort((a, b) => a.thingName.localeCompare(b.thingName))).toEqual([
        {
          thingName: 'greenhouse-7',
          thingTypeName: 'search',
          attributes: { devEUI, stackName: 'tts' },
          version: expect.any(Number),
        },
        {
          thingName: 'theirs',
          thingTypeName: 'search',
          attributes: { devEUI, stackName: 'other' },
          version: expect.any(Number),
        },
      ]);
    });

    it('pages through the results and stops at the limit', async () => {
      const registry = new IotThingRegistry(iot);
      const query = { attributeName: 'stackName', attributeValue: 'tts', thingTypeName: 'search' };
      await expect(registry.findThings({ ...query, limit: 1 })).resolves.toHaveLength(1);
      const all = await registry.findThings({ ...query, limit: 10 });
      expect(all.map((thing) => thing.thingName).sort()).toEqual(['greenhouse-7', 'other-device']);
    });

    it('finds nothing for a value no thing has, and nothing for a prefix of one', async () => {
      const registry = new IotThingRegistry(iot);
      for (const attributeValue of ['0004A30B001C0FFF', devEUI.slice(0, 10)])
        await expect(
          registry.findThings({
            attributeName: 'devEUI',
            attributeValue,
            thingTypeName: 'search',
            limit: 10,
          }),
        ).resolves.toEqual([]);
    });
  });

  describe('IotThingTypeAdmin', () => {
    beforeAll(async () => {
      await iot.send(new CreateThingTypeCommand({ thingTypeName: 'shared' }));
      const registry = new IotThingRegistry(iot);
      for (const [thingName, stackName] of [
        ['S1', 'tts'],
        ['S2', 'tts-eu'],
        ['S3', 'tts'],
      ] as const)
        await registry.createThing({
          thingName,
          thingTypeName: 'shared',
          attributes: { stackName },
        });
      await registry.createThing({ thingName: 'S4', thingTypeName: 'shared', attributes: {} });
      await iot.send(
        new CreateThingCommand({
          thingName: 'untyped',
          attributePayload: { attributes: { stackName: 'tts-eu' } },
        }),
      );
    });

    it('lists the things of a type with their attributes, page by page', async () => {
      const admin = new IotThingTypeAdmin(iot);
      const first = await admin.listThingsOfType('shared', { maxResults: 3 });
      expect(first.nextToken).toEqual(expect.any(String));
      const second = await admin.listThingsOfType('shared', {
        maxResults: 3,
        nextToken: first.nextToken!,
      });
      expect(second.nextToken).toBeUndefined();
      expect(
        [...first.things, ...second.things].sort((a, b) => a.thingName.localeCompare(b.thingName)),
      ).toEqual([
        { thingName: 'S1', attributes: { stackName: 'tts' } },
        { thingName: 'S2', attributes: { stackName: 'tts-eu' } },
        { thingName: 'S3', attributes: { stackName: 'tts' } },
        { thingName: 'S4', attributes: {} },
      ]);
    });

    it('lists no things of a type that does not exist', async () => {
      await expect(new IotThingTypeAdmin(iot).listThingsOfType('never-made')).resolves.toEqual({
        things: [],
      });
    });
  });

  describe('IotShadowStore', () => {
    const thingName = 'shadow-thing';
    beforeAll(async () => {
      await new IotThingRegistry(iot).createThing({
        thingName,
        thingTypeName: 'lorawan',
        attributes: {},
      });
    });

    it('says a thing without the named shadow has none', async () => {
      await expect(
        new IotShadowStore(data).getShadow(thingName, 'lorawan'),
      ).resolves.toBeUndefined();
    });

    it('updates the named shadow, returning each new version, and merges reported state', async () => {
      const shadows = new IotShadowStore(data);
      const first = await shadows.updateShadow(thingName, 'lorawan', {
        reported: { fCntUp: 1, devAddr: '260B1234', gateways: ['gw-1'] },
      });
      const second = await shadows.updateShadow(thingName, 'lorawan', {
        reported: { fCntUp: 2, devAddr: null },
        clientToken: 'up-2',
      });
      expect(second.version).toBe(first.version + 1);
      await expect(shadows.getShadow(thingName, 'lorawan')).resolves.toEqual({
        state: { reported: { fCntUp: 2, gateways: ['gw-1'] } },
        version: second.version,
      });
      // The classic (unnamed) shadow is another document.
      await expect(shadows.getShadow(thingName, 'other')).resolves.toBeUndefined();
    });

    it('accepts an update at the current version and refuses a stale one', async () => {
      const shadows = new IotShadowStore(data);
      const { version } = await shadows.updateShadow(thingName, 'counters', {
        reported: { fCntDown: 0 },
      });
      await expect(
        shadows.updateShadow(thingName, 'counters', { reported: { fCntDown: 1 }, version }),
      ).resolves.toEqual({ version: version + 1 });
      await expect(
        shadows.updateShadow(thingName, 'counters', { reported: { fCntDown: 1 }, version }),
      ).rejects.toBeInstanceOf(ShadowVersionConflictError);
      await expect(shadows.getShadow(thingName, 'counters')).resolves.toMatchObject({
        state: { reported: { fCntDown: 1 } },
        version: version + 1,
      });
    });
  });

  describe('IotDataPublisher', () => {
    it('publishes JSON on the topic with QoS 1', async () => {
      await moto.startRecording();
      await new IotDataPublisher(data).publish('lorawan/0004A30B001C0530/uplink', {
        thingName: '0004A30B001C0530',
        f_port: 1,
      });

      const publishes = await moto.published();
      expect(publishes).toHaveLength(1);
      expect(publishes[0]!.topic).toBe('lorawan/0004A30B001C0530/uplink');
      expect(publishes[0]!.qos).toBe(1);
      expect(JSON.parse(publishes[0]!.payload)).toEqual({
        thingName: '0004A30B001C0530',
        f_port: 1,
      });
    });
  });

  describe('SecretsManagerSecretReader', () => {
    it('reads the current string value', async () => {
      await secrets.send(
        new CreateSecretCommand({ Name: 'tts/api-key', SecretString: 'NNSXS.TEST' }),
      );
      await expect(
        new SecretsManagerSecretReader(secrets).getSecretString('tts/api-key'),
      ).resolves.toBe('NNSXS.TEST');
    });

    it('says which secret is missing, retryable until the stack is fixed', async () => {
      await expect(
        new SecretsManagerSecretReader(secrets).getSecretString('tts/missing'),
      ).rejects.toMatchObject({
        code: 'secret_not_found',
        retryable: true,
        message: expect.stringContaining('tts/missing'),
      });
    });

    it('serves repeated reads from the cache without calling Secrets Manager', async () => {
      await secrets.send(
        new CreateSecretCommand({ Name: 'tts/kek', SecretString: '{"current":"k1","keys":{}}' }),
      );
      let calls = 0;
      const counting = new SecretsManagerSecretReader(secrets);
      const inner = {
        getSecretString: (id: string) => {
          calls++;
          return counting.getSecretString(id);
        },
      };
      const cached = new CachedSecretReader(inner);
      await Promise.all([cached.getSecretString('tts/kek'), cached.getSecretString('tts/kek')]);
      // A change in Secrets Manager is not seen until the container (cache) is replaced.
      await secrets.send(
        new UpdateSecretCommand({
          SecretId: 'tts/kek',
          SecretString: '{"current":"k2","keys":{}}',
        }),
      );
      await expect(cached.getSecretString('tts/kek')).resolves.toBe('{"current":"k1","keys":{}}');
      expect(calls).toBe(1);
    });
  });
});
