import {
  CreateLogGroupCommand,
  DeleteLogStreamCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
  type CloudWatchLogsClient,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseKekRing, wrapKey } from '@tts-aws-iot/keywrap';
import { describeWithMoto, startMoto, type MotoServer } from '@tts-aws-iot/test-kit';

import {
  CloudWatchProvisioningLog,
  cloudWatchProvisioningLog,
  createAwsPorts,
  createCloudWatchLogsClient,
  createSecretsManagerClient,
} from '../src';

/**
 * The things' provisioning history (CloudWatch Logs) and the KEK of an earlier deployment
 * read into the KEK ring (Secrets Manager), through the real SDK clients against moto.
 */
describeWithMoto('provisioning history and existing KEK against moto', () => {
  let moto: MotoServer;
  let logs: CloudWatchLogsClient;
  let secrets: SecretsManagerClient;
  const saved = { ...process.env };
  const GROUP = '/thethings/lorawan/my-stack/things';
  const THING = '0004A30B001C0530';

  beforeAll(async () => {
    moto = await startMoto();
    Object.assign(process.env, moto.env);
    logs = createCloudWatchLogsClient({ maxAttempts: 1 });
    secrets = createSecretsManagerClient({ maxAttempts: 1 });
    await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
  }, 40_000);

  afterAll(async () => {
    logs?.destroy();
    secrets?.destroy();
    await moto?.stop();
    process.env = saved;
  });

  const history = async (thing: string) =>
    (
      await logs.send(
        new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: thing, startFromHead: true }),
      )
    ).events?.map((event) => ({
      timestamp: event.timestamp,
      entry: JSON.parse(event.message ?? '') as unknown,
    }));

  describe('CloudWatchProvisioningLog', () => {
    it("keeps one stream per thing, named after it, with each outcome in order, at the given clock's time", async () => {
      // CloudWatch Logs refuses events older than 14 days: the injected clock starts now.
      const start = Date.now();
      let clock = start;
      const log = new CloudWatchProvisioningLog(logs, GROUP, { now: () => (clock += 1000) });
      await log.append(THING, { status: 'created', deviceID: 'eui-0004a30b001c0530' });
      await log.append(THING, {
        status: 'skipped',
        reason: 'the thing has no stackName attribute: add stackName=my-stack',
      });
      await log.append('0004A30B001C0531', {
        status: 'failed',
        deviceID: 'eui-0004a30b001c0531',
        error: { name: 'device_exists', message: 'The device exists.' },
      });
      expect(await history(THING)).toEqual([
        {
          timestamp: start + 1000,
          entry: { thingName: THING, status: 'created', deviceID: 'eui-0004a30b001c0530' },
        },
        {
          timestamp: start + 2000,
          entry: {
            thingName: THING,
            status: 'skipped',
            reason: 'the thing has no stackName attribute: add stackName=my-stack',
          },
        },
      ]);
      expect((await history('0004A30B001C0531'))?.[0]?.entry).toMatchObject({
        status: 'failed',
        error: { name: 'device_exists' },
      });
      const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: GROUP }));
      expect(streams.logStreams?.map((stream) => stream.logStreamName).sort()).toEqual([
        THING,
        '0004A30B001C0531',
      ]);
    });

    it('writes to a stream another container created, and creates again one deleted meanwhile', async () => {
      const thing = '0004A30B001C0532';
      await new CloudWatchProvisioningLog(logs, GROUP).append(thing, { status: 'created' });
      const log = new CloudWatchProvisioningLog(logs, GROUP);
      await log.append(thing, { status: 'deleted' });
      await logs.send(new DeleteLogStreamCommand({ logGroupName: GROUP, logStreamName: thing }));
      await log.append(thing, { status: 'created' });
      expect((await history(thing))?.map((event) => event.entry)).toEqual([
        { thingName: thing, status: 'created' },
      ]);
    });

    it('logs the outcome fields only, whatever else the payload carries', async () => {
      const thing = '0004A30B001C0533';
      const payload = {
        status: 'created',
        deviceID: 'd-1',
        appKey: '2B7E151628AED2A6ABF7158809CF4F3C',
      };
      await new CloudWatchProvisioningLog(logs, GROUP).append(thing, payload);
      const [event] = (await history(thing)) ?? [];
      expect(event?.entry).toEqual({ thingName: thing, status: 'created', deviceID: 'd-1' });
    });

    it('creates an adopted group that is gone, with its retention, and writes to it', async () => {
      const adopted = '/thethings/lorawan/migrated/things';
      const log = new CloudWatchProvisioningLog(logs, adopted, {
        createGroupWithRetentionInDays: 90,
      });
      await log.append(THING, { status: 'created' });
      const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: adopted }));
      expect(groups.logGroups?.map((group) => [group.logGroupName, group.retentionInDays])).toEqual(
        [[adopted, 90]],
      );
      const events = await logs.send(
        new GetLogEventsCommand({
          logGroupName: adopted,
          logStreamName: THING,
          startFromHead: true,
        }),
      );
      expect(events.events?.map((event) => JSON.parse(event.message ?? ''))).toEqual([
        { thingName: THING, status: 'created' },
      ]);
    });

    it('fails with the log group named when the group does not exist', async () => {
      await expect(
        new CloudWatchProvisioningLog(logs, '/thethings/lorawan/missing/things').append(THING, {
          status: 'created',
        }),
      ).rejects.toThrow('/thethings/lorawan/missing/things');
    });
  });

  describe('createAwsPorts with provisioningLog', () => {
    it('publishes the outcome and appends it to the thing history; other topics are not logged', async () => {
      const failures: unknown[] = [];
      const ports = createAwsPorts({
        iotDataEndpoint: 'https://example-ats.iot.us-east-1.amazonaws.com',
        clientOptions: { maxAttempts: 1 },
        provisioningLog: cloudWatchProvisioningLog({
          logGroupName: GROUP,
          onFailure: (error) => failures.push(error),
        }),
      });
      await moto.startRecording();
      const thing = '0004A30B001C0534';
      await ports.publisher.publish(`lorawan/${thing}/provisioning`, {
        status: 'claimed',
        deviceID: 'd-2',
      });
      await ports.publisher.publish(`lorawan/${thing}/uplink`, { status: 'not an outcome' });
      expect((await moto.published()).map((message) => message.topic)).toEqual([
        `lorawan/${thing}/provisioning`,
        `lorawan/${thing}/uplink`,
      ]);
      expect((await history(thing))?.map((event) => event.entry)).toEqual([
        { thingName: thing, status: 'claimed', deviceID: 'd-2' },
      ]);
      expect(failures).toEqual([]);
    });

    it('reports a history it cannot write, and publishes the outcome all the same', async () => {
      const failures: [unknown, string][] = [];
      const ports = createAwsPorts({
        iotDataEndpoint: 'https://example-ats.iot.us-east-1.amazonaws.com',
        clientOptions: { maxAttempts: 1 },
        provisioningLog: cloudWatchProvisioningLog({
          logGroupName: '/thethings/lorawan/gone/things',
          onFailure: (error, thing) => failures.push([error, thing]),
        }),
      });
      await moto.startRecording();
      await ports.publisher.publish(`lorawan/${THING}/provisioning`, { status: 'created' });
      expect(await moto.published()).toHaveLength(1);
      expect(failures).toEqual([[expect.any(Error), THING]]);
    });
  });

  describe('the KEK secret of an earlier deployment (migration)', () => {
    const OLD_KEK = '8f2a1c0d9e7b6a5f4e3d2c1b0a998877';
    const OUR_KEK = '00112233445566778899aabbccddeeff';

    it('is read as one more member of the ring, under its ARN, so that sessions wrapped under it unwrap', async () => {
      const old = await secrets.send(
        new CreateSecretCommand({ Name: 'old-stack-kek', SecretString: OLD_KEK }),
      );
      await secrets.send(
        new CreateSecretCommand({
          Name: 'my-stack/kek',
          SecretString: JSON.stringify({ current: 'my-stack-kek-1', 'my-stack-kek-1': OUR_KEK }),
        }),
      );
      const ports = createAwsPorts({
        clientOptions: { maxAttempts: 1 },
        existingKek: { ringSecretID: 'my-stack/kek', secretID: old.ARN!, label: old.ARN! },
      });
      const ring = parseKekRing(await ports.secrets.getSecretString('my-stack/kek'));
      expect(ring.currentLabel).toBe('my-stack-kek-1');
      const appSKey = Uint8Array.from({ length: 16 }, (_, i) => 255 - i);
      const envelope = {
        encryptedKey: wrapKey(Buffer.from(OLD_KEK, 'hex'), appSKey),
        kekLabel: old.ARN!,
      };
      expect(ring.unwrap(envelope)).toEqual(appSKey);
    });

    it('comes from EXISTING_KEK_SECRET_ID and KEK_SECRET_ID in the environment when not given', async () => {
      const old = await secrets.send(
        new CreateSecretCommand({ Name: 'older-stack-kek', SecretString: OLD_KEK }),
      );
      Object.assign(process.env, {
        KEK_SECRET_ID: 'my-stack/kek',
        EXISTING_KEK_SECRET_ID: old.ARN!,
        EXISTING_KEK_LABEL: 'label-of-a-copy',
      });
      try {
        const ring = parseKekRing(
          await createAwsPorts({ clientOptions: { maxAttempts: 1 } }).secrets.getSecretString(
            'my-stack/kek',
          ),
        );
        expect([...ring.labels].sort()).toEqual(['label-of-a-copy', 'my-stack-kek-1']);
      } finally {
        for (const name of ['KEK_SECRET_ID', 'EXISTING_KEK_SECRET_ID', 'EXISTING_KEK_LABEL'])
          delete process.env[name];
      }
    });

    it('fails naming the secret when it is missing, and never shows a KEK when it is malformed', async () => {
      const missing = createAwsPorts({
        clientOptions: { maxAttempts: 1 },
        existingKek: { ringSecretID: 'my-stack/kek', secretID: 'nope', label: 'nope' },
      });
      await expect(missing.secrets.getSecretString('my-stack/kek')).rejects.toMatchObject({
        code: 'secret_not_found',
        message: expect.stringContaining('Secret nope does not exist'),
      });
      const bad = await secrets.send(
        new CreateSecretCommand({ Name: 'bad-kek', SecretString: `${OLD_KEK}00` }),
      );
      const malformed = createAwsPorts({
        clientOptions: { maxAttempts: 1 },
        existingKek: { ringSecretID: 'my-stack/kek', secretID: bad.ARN!, label: bad.ARN! },
      });
      const error = await malformed.secrets.getSecretString('my-stack/kek').catch((e: Error) => e);
      expect(String((error as Error).message)).toContain('not an AES-128 KEK as 32 hex digits');
      expect(String((error as Error).message)).not.toContain(OLD_KEK);
      expect(String((error as Error).message)).not.toContain(OUR_KEK);
    });

    it('leaves reads of other secrets as they are', async () => {
      await secrets.send(
        new CreateSecretCommand({ Name: 'my-stack/api-key', SecretString: 'NNSXS.A.B' }),
      );
      const ports = createAwsPorts({
        clientOptions: { maxAttempts: 1 },
        existingKek: { ringSecretID: 'my-stack/kek', secretID: 'nope', label: 'nope' },
      });
      await expect(ports.secrets.getSecretString('my-stack/api-key')).resolves.toBe('NNSXS.A.B');
    });
  });
});
