import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionBody, expectJson, type Json } from '../helpers/api.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('discovery endpoints', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('GET /api/v1 answers without auth', async () => {
    const info = await expectJson(await t.request('GET', '/api/v1', undefined, { auth: null }), 200);
    expect(info).toMatchObject({ api_version_path: 'v1' });
    for (const field of ['description', 'api_version', 'build', 'buildno']) expect(typeof info[field]).toBe('string');
    expect(typeof info.swagger_paths).toBe('object');
  });

  it('GET /api/v1 ignores credentials, even wrong ones', async () => {
    const response = await t.request('GET', '/api/v1', undefined, { auth: 'nobody:nothing' });
    expect(response.status).toBe(200);
  });

  it('GET / answers without auth and lists the Node.js runtimes, nodejs:24 by default', async () => {
    const root = await expectJson(await t.request('GET', '/', undefined, { auth: null }), 200);
    expect(root.api_paths).toEqual(['/api/v1']);
    expect(typeof root.limits).toBe('object');
    const nodejs = root.runtimes.nodejs as { kind: string; default: boolean; deprecated: boolean; image: string }[];
    expect(nodejs.map((r) => r.kind).sort()).toEqual(['nodejs:18', 'nodejs:20', 'nodejs:22', 'nodejs:24']);
    expect(nodejs.filter((r) => r.default).map((r) => r.kind)).toEqual(['nodejs:24']);
    for (const runtime of nodejs) {
      expect(typeof runtime.image).toBe('string');
      expect(runtime.deprecated).toBe(false);
    }
  });

  it('GET / reports the action limits in OpenWhisk units', async () => {
    const root = await expectJson(await t.request('GET', '/', undefined, { auth: null }), 200);
    expect(root.limits).toMatchObject({
      max_action_duration: 300_000,
      min_action_duration: 100,
      max_action_memory: 512 * 1048576,
      min_action_memory: 128 * 1048576,
    });
  });

  it.each(['nodejs:18', 'nodejs:20', 'nodejs:22', 'nodejs:24'])('accepts and runs kind %s', async (kind) => {
    const name = `kind-${kind.replace(':', '-')}`;
    const created = await t.ow.actions.create({ name, kind, action: 'function main() { return { ran: true } }' });
    expect((created.exec as Json).kind).toBe(kind);
    const activation = await t.ow.actions.invoke({ name, blocking: true });
    expect(activation.response?.result).toEqual({ ran: true });
    expect(activation.annotations?.find((a) => a.key === 'kind')?.value).toBe(kind);
  });

  it('resolves nodejs:default (what the client sends without a kind) to nodejs:24', async () => {
    const implicit = await t.ow.actions.create({ name: 'kind-implicit', action: 'function main() { return {} }' });
    expect((implicit.exec as Json).kind).toBe('nodejs:24');
    const explicit = await expectJson(
      await t.request('PUT', '/api/v1/namespaces/_/actions/kind-default', { exec: { kind: 'nodejs:default', code: 'function main() {}' } }),
      200,
    );
    expect(explicit.exec.kind).toBe('nodejs:24');
    expect(explicit.annotations).toContainEqual({ key: 'exec', value: 'nodejs:24' });
  });

  it('a kind discovered from GET / is accepted for an action', async () => {
    const root = await expectJson(await t.request('GET', '/', undefined, { auth: null }), 200);
    const kind = (root.runtimes.nodejs as { kind: string; default: boolean }[]).find((r) => r.default)!.kind;
    const created = await expectJson(await t.request('PUT', '/api/v1/namespaces/_/actions/kind-discovered', actionBody('function main() {}', { exec: { kind, code: 'function main() {}' } })), 200);
    expect(created.exec.kind).toBe(kind);
  });
});
