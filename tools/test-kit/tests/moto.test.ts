import { describeWithMoto, startMoto, type MotoServer } from '../src';

describeWithMoto('startMoto', () => {
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startMoto();
  }, 40_000);
  afterAll(() => moto.stop());

  it('serves the IoT control plane on its endpoint', async () => {
    const response = await fetch(`${moto.endpoint}/endpoint?endpointType=iot:Data-ATS`, {
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iot/aws4_request' },
    });
    const body = (await response.json()) as { endpointAddress: string };
    expect(body.endpointAddress).toMatch(/-ats\.iot\.us-east-1\.amazonaws\.com$/);
  });

  it('points every SDK client at itself through the standard variables', () => {
    expect(moto.env['AWS_ENDPOINT_URL_IOT_DATA_PLANE']).toBe(moto.endpoint);
    expect(moto.env['AWS_ENDPOINT_URL_SECRETS_MANAGER']).toBe(moto.endpoint);
  });
});

describeWithMoto('startMoto recording', () => {
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startMoto();
  }, 40_000);
  afterAll(() => moto.stop());

  it('returns the Publish calls made since recording started, with topic, QoS and payload', async () => {
    await moto.startRecording();
    const response = await fetch(`${moto.endpoint}/topics/${encodeURIComponent('lorawan/X/uplink')}?qos=1`, {
      method: 'POST',
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iotdata/aws4_request' },
      body: '{"a":1}',
    });
    expect(response.status).toBe(200);
    expect(await moto.published()).toEqual([{ topic: 'lorawan/X/uplink', qos: 1, payload: '{"a":1}' }]);
  });
});
