import { DescribeThingTypeCommand, IoTClient } from '@aws-sdk/client-iot';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

import {
  actionOf,
  describeWithMoto,
  publishedOn,
  startStackAccount,
  TEST_STACK,
  type StackAccount,
} from '../src';

describeWithMoto('startStackAccount (on startMoto)', () => {
  let account: StackAccount;
  beforeAll(async () => {
    account = await startStackAccount({ secrets: { 'tts-stack/kek': '{"current":"k"}' } });
  }, 40_000);
  afterAll(() => account.stop());

  it('serves the IoT control plane on its endpoint', async () => {
    const response = await fetch(`${account.moto.endpoint}/endpoint?endpointType=iot:Data-ATS`, {
      headers: {
        authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iot/aws4_request',
      },
    });
    const body = (await response.json()) as { endpointAddress: string };
    expect(body.endpointAddress).toMatch(/-ats\.iot\.us-east-1\.amazonaws\.com$/);
  });

  it('points every SDK client of a bundle at moto, and gives it the stack’s environment', () => {
    expect(account.env).toMatchObject({
      AWS_ENDPOINT_URL_IOT_DATA_PLANE: account.moto.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: account.moto.endpoint,
      IOT_DATA_ENDPOINT: account.moto.endpoint,
      STACK_NAME: TEST_STACK.stackName,
    });
  });

  it('holds what the stack’s setup leaves: the thing type with its searchable attributes, and the secrets', async () => {
    const iot = new IoTClient(account.moto.clientConfig);
    const secrets = new SecretsManagerClient(account.moto.clientConfig);
    const type = await iot.send(new DescribeThingTypeCommand({ thingTypeName: 'lorawan' }));
    const secret = await secrets.send(new GetSecretValueCommand({ SecretId: 'tts-stack/kek' }));
    iot.destroy();
    secrets.destroy();
    expect(type.thingTypeProperties?.searchableAttributes).toEqual(['devEUI', 'stackName']);
    expect(secret.SecretString).toBe('{"current":"k"}');
  });

  it('records the requests made since recording started: their actions and the Publish calls', async () => {
    await account.moto.startRecording();
    const response = await fetch(
      `${account.moto.endpoint}/topics/${encodeURIComponent('lorawan/X/uplink')}?qos=1`,
      {
        method: 'POST',
        headers: {
          authorization:
            'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iotdata/aws4_request',
        },
        body: '{"a":1}',
      },
    );
    expect(response.status).toBe(200);
    await account.createThing('0004A30B001C0530', { stackName: 'tts-stack' });
    await account.report('0004A30B001C0530', { fCntDown: 3 });

    const requests = await account.moto.requests();
    expect(requests.map(actionOf)).toEqual(['Publish', 'CreateThing', 'UpdateThingShadow']);
    expect(publishedOn(requests, 'lorawan/X/uplink')).toEqual([{ a: 1 }]);
    expect(await account.moto.published()).toEqual([
      { topic: 'lorawan/X/uplink', qos: 1, payload: '{"a":1}' },
    ]);
    expect(await account.thing('0004A30B001C0530')).toEqual({
      thingId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      thingTypeName: 'lorawan',
      attributes: { stackName: 'tts-stack' },
    });
    expect((await account.shadow('0004A30B001C0530')).state.reported).toEqual({ fCntDown: 3 });

    await account.moto.startRecording();
    expect(await account.moto.requests()).toEqual([]);
  });
});
