import { IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The three SDK clients a user of the integration reaches the AWS API with. */
export interface Clients {
  readonly iot: IoTClient;
  readonly data: IoTDataPlaneClient;
  readonly secrets: SecretsManagerClient;
}

/** Clients of `endpoint` (the local API or moto), any credentials, one attempt per call. */
export function clientsFor(endpoint: string): Clients {
  const config = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'any', secretAccessKey: 'any' },
    maxAttempts: 1,
  };
  return {
    iot: new IoTClient(config),
    data: new IoTDataPlaneClient(config),
    secrets: new SecretsManagerClient(config),
  };
}
