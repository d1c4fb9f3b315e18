import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithSharedReference } from '@tts-aws-iot/test-kit';
import { startTtsSim, type TtsSim } from '../src';

const SCRIPT = join(__dirname, '..', 'scripts', 'extract-api.mjs');
const COMMITTED = join(__dirname, '..', 'api', 'tts-api.json');

/** Requests that exercise every kind of answer the description decides. */
const REQUESTS: readonly [method: string, path: string, body?: unknown][] = [
  ['GET', '/auth_info'],
  [
    'PUT',
    '/as/applications/app1/link',
    { link: { skip_payload_crypto: true }, field_mask: { paths: ['skip_payload_crypto'] } },
  ],
  [
    'PUT',
    '/as/applications/app1/link',
    { link: { skip_crypto: true }, field_mask: { paths: ['skip_crypto'] } },
  ],
  [
    'PUT',
    '/ns/applications/app1/devices/dev1',
    { end_device: { lorawan_version: 'MAC_V1_2' }, field_mask: { paths: ['lorawan_version'] } },
  ],
  ['GET', '/as/applications/app1/link?field_mask=skip_payload_crypto,nope'],
  ['GET', '/as/pubsub/app1/aws-iot?limit=1'],
  ['GET', '/applications/app1/gadgets'],
  ['PATCH', '/auth_info'],
  ['GET', '/applications/app1/devices'],
  ['POST', '/applications/app1/devices/batch'],
];

describeWithSharedReference(
  "the simulator's part of TTS's OpenAPI description",
  'tts/api.swagger.json',
  (swagger) => {
    // If this fails: `node tools/tts-sim/scripts/extract-api.mjs`, then commit api/tts-api.json.
    it('is exactly what scripts/extract-api.mjs cuts from api.swagger.json', () => {
      const run = spawnSync(process.execPath, [SCRIPT, swagger, '-'], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual(JSON.parse(readFileSync(COMMITTED, 'utf8')));
      expect(run.stdout).toBe(readFileSync(COMMITTED, 'utf8'));
    });

    describe('answers as the full description does', () => {
      let part: TtsSim;
      let full: TtsSim;

      beforeAll(async () => {
        part = await startTtsSim();
        full = await startTtsSim({ swaggerPath: swagger });
      });

      afterAll(() => Promise.all([part.close(), full.close()]));

      // A rest parameter: Jest would take a third named one, absent from some rows, for `done`.
      it.each(REQUESTS)('to %s %s', async (...request) => {
        expect(await answer(part, ...request)).toEqual(await answer(full, ...request));
      });
    });
  },
);

/** The status and body of an answer, without the correlation IDs that differ every time. */
async function answer(sim: TtsSim, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: {
      authorization: 'Bearer NNSXS.TTSSIM.DEFAULTKEY',
      'content-type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text.replace(/"correlation_id":"[0-9a-f]+"/g, '') };
}
