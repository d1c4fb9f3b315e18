import { ROUTES } from '../src/routes';
import { ttsApi } from '../src/tts-api';

describe('the route table', () => {
  const swagger = ttsApi();

  it.each(ROUTES.map((route) => [route.method, route.path]))(
    'serves %s %s, which the swagger has',
    (method, path) => {
      expect(swagger.operation(method, path)).toBeDefined();
    },
  );

  it('names, for every route with a body field mask, a message field of that body', () => {
    for (const route of ROUTES.filter((candidate) => candidate.message !== undefined)) {
      const body = swagger.resolve(swagger.operation(route.method, route.path)!.body!);
      expect(body.properties).toHaveProperty([route.message!]);
      expect(body.properties).toHaveProperty(['field_mask']);
    }
  });

  it('covers every call the integration makes (docs/tts.md)', () => {
    const served = new Set(
      ROUTES.map((route) => `${route.method} ${route.path.replace(/\{[^}]+\}/g, '{}')}`),
    );
    const expected = [
      'GET /auth_info',
      'POST /applications/{}/devices',
      'GET /applications/{}/devices/{}',
      'PUT /applications/{}/devices/{}',
      'DELETE /applications/{}/devices/{}',
      ...['js', 'ns', 'as'].flatMap((component) =>
        ['PUT', 'GET', 'DELETE'].map(
          (method) => `${method} /${component}/applications/{}/devices/{}`,
        ),
      ),
      'POST /edcs/claim',
      'POST /edcs/claim/info',
      'DELETE /edcs/claim/{}/devices/{}',
      'PUT /as/pubsub/{}/{}',
      'GET /as/pubsub/{}/{}',
      'DELETE /as/pubsub/{}/{}',
      'POST /js/applications/{}/settings',
      'GET /js/applications/{}/settings',
      'DELETE /js/applications/{}/settings',
      'PUT /as/applications/{}/link',
      'GET /as/applications/{}/link',
      'POST /as/applications/{}/devices/{}/down/push',
      'POST /as/applications/{}/devices/{}/down/replace',
    ];
    expect(expected.filter((call) => !served.has(call))).toEqual([]);
  });
});
