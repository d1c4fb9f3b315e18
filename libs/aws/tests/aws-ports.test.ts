import { IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

import {
  CachedSecretReader,
  createAwsPorts,
  IotDataPublisher,
  IotShadowStore,
  IotThingRegistry,
} from '../src';

/** A `captureClient` that records the clients handed to it (as the tracer would wrap them). */
function recordingCapture() {
  const captured: unknown[] = [];
  const captureClient = <T>(client: T): T => {
    captured.push(client);
    return client;
  };
  return { captured, captureClient };
}

describe('createAwsPorts', () => {
  it('builds no client before a port is used, and each one once', () => {
    const { captured, captureClient } = recordingCapture();
    const ports = createAwsPorts({
      iotDataEndpoint: 'https://example-ats.iot.eu-west-1.amazonaws.com',
      captureClient,
    });
    expect(captured).toEqual([]);

    expect(ports.registry).toBeInstanceOf(IotThingRegistry);
    expect(ports.registry).toBe(ports.registry);
    expect(ports.secrets).toBeInstanceOf(CachedSecretReader);
    expect(ports.secrets).toBe(ports.secrets);
    expect(captured.map((client) => client?.constructor)).toEqual([
      IoTClient,
      SecretsManagerClient,
    ]);
  });

  it('gives shadows and publish one data-plane client at the account endpoint', () => {
    const { captured, captureClient } = recordingCapture();
    const ports = createAwsPorts({
      iotDataEndpoint: 'https://example-ats.iot.eu-west-1.amazonaws.com',
      captureClient,
    });
    expect(ports.shadows).toBeInstanceOf(IotShadowStore);
    expect(ports.publisher).toBeInstanceOf(IotDataPublisher);
    expect(ports.publisher).toBe(ports.publisher);
    expect(captured.map((client) => client?.constructor)).toEqual([IoTDataPlaneClient]);
  });

  it('serves the control plane without an endpoint, for functions that publish nothing', () => {
    const { captured, captureClient } = recordingCapture();
    const { secrets } = createAwsPorts({ captureClient });
    expect(secrets).toBeInstanceOf(CachedSecretReader);
    expect(captured.map((client) => client?.constructor)).toEqual([SecretsManagerClient]);
  });
});
