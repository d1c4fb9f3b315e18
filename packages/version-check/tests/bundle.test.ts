import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { runContainer } from '@tts-aws-iot/test-kit';

const BUNDLE = join(__dirname, '../../../dist/packages/version-check/index.js');

/** The metric values of the embedded-metric-format lines in a function's output. */
function metrics(stdout: string): Record<string, unknown> {
  const found: Record<string, unknown> = {};
  for (const line of stdout.split('\n').filter((l) => l.startsWith('{'))) {
    const json = JSON.parse(line) as Record<string, unknown>;
    if (json['_aws'] === undefined) continue;
    for (const name of ['NewerReleaseAvailable', 'VersionCheckFailures'])
      if (name in json) found[name] = json[name];
  }
  return found;
}

describe('CheckVersion bundle', () => {
  let server: Server;
  let url: string;
  let body = '';

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url !== '/release-manifest.json') response.writeHead(404).end();
      else response.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const run = (manifestURL: string) =>
    runContainer(
      BUNDLE,
      {
        AWS_REGION: 'eu-west-1',
        CURRENT_VERSION: '0.1.0',
        RELEASE_MANIFEST_URL: manifestURL,
        ALLOW_HTTP_MANIFEST: 'true',
        POWERTOOLS_SERVICE_NAME: 'my-stack',
        POWERTOOLS_METRICS_NAMESPACE: 'TtsAwsIot',
        POWERTOOLS_TRACE_ENABLED: 'false',
      },
      // What EventBridge's schedule sends.
      [{ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }],
    );

  it('publishes NewerReleaseAvailable=1 for a newer release in the manifest it fetches', async () => {
    body = JSON.stringify({ version: '0.2.0', artifacts: { 'uplink.zip': 'b'.repeat(64) } });
    const { outcomes, stdout } = await run(`${url}/release-manifest.json`);
    expect(outcomes).toEqual([
      { ok: true, value: { result: 'newer', current: '0.1.0', latest: '0.2.0' } },
    ]);
    expect(metrics(stdout)).toEqual({ NewerReleaseAvailable: 1 });
    // Where the stack's NewerReleaseAlarm looks: namespace TtsAwsIot, dimension service.
    const line = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((json) => 'NewerReleaseAvailable' in json);
    expect(line).toMatchObject({
      service: 'my-stack',
      _aws: { CloudWatchMetrics: [{ Namespace: 'TtsAwsIot', Dimensions: [['service']] }] },
    });
  }, 30_000);

  it('counts VersionCheckFailures when the manifest is not there', async () => {
    const { outcomes, stdout } = await run(`${url}/missing.json`);
    expect(outcomes).toEqual([
      { ok: true, value: expect.objectContaining({ result: 'unknown', reason: 'HTTP 404' }) },
    ]);
    expect(metrics(stdout)).toEqual({ VersionCheckFailures: 1 });
  }, 30_000);
});
