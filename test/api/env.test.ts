import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionBody, expectJson, type Json } from '../helpers/api.ts';
import { GUEST_KEY, startTestServer, type TestServer } from '../helpers/server.ts';

const SHOW_ENV = 'function main() { return { env: Object.assign({}, process.env) } }';

describe('process.env of an activation', () => {
  let t: TestServer;
  const create = async (name: string, code: string, extra: Json = {}): Promise<void> => {
    await expectJson(await t.request('PUT', `/api/v1/namespaces/_/actions/${name}`, actionBody(code, extra)), 200);
  };
  const invoke = async (name: string, headers: Record<string, string> = {}): Promise<Json> =>
    expectJson(await t.request('POST', `/api/v1/namespaces/_/actions/${name}?blocking=true`, {}, { headers }), 200);

  beforeAll(async () => {
    t = await startTestServer();
    await create('envy', SHOW_ENV, { limits: { timeout: 7000 } });
    await create('keyed', SHOW_ENV, { annotations: [{ key: 'provide-api-key', value: true }] });
    await create('leaky', [
      'let previous;',
      'function main() {',
      '  const seen = { previous, leaked: process.env.LEAK, id: process.env.__OW_ACTIVATION_ID };',
      '  previous = process.env.__OW_ACTIVATION_ID;',
      '  process.env.LEAK = "from " + previous;',
      '  return seen;',
      '}',
    ].join('\n'));
    await create('concurrent', [
      'async function main(p) {',
      '  const before = process.env.__OW_ACTIVATION_ID;',
      '  for (let i = 0; i < 50; i++) await Promise.resolve();',
      '  return { before, after: process.env.__OW_ACTIVATION_ID, n: p.n };',
      '}',
    ].join('\n'));
  });
  afterAll(async () => t.close());

  it('carries the __OW_* values of this activation', async () => {
    const record = await invoke('envy');
    const env = record.response.result.env as Record<string, string>;
    expect(env.__OW_ACTION_NAME).toBe('/guest/envy');
    expect(env.__OW_NAMESPACE).toBe('guest');
    expect(env.__OW_ACTIVATION_ID).toBe(record.activationId);
    expect(env.__OW_ACTION_VERSION).toBe('0.0.1');
    expect(env.__OW_API_HOST).toBe(t.url);
    expect(typeof env.__OW_TRANSACTION_ID).toBe('string');
    for (const value of Object.values(env)) expect(typeof value).toBe('string');
    // The deadline is epoch ms: the start plus the action's timeout.
    expect(env.__OW_DEADLINE).toMatch(/^\d+$/);
    const deadline = Number(env.__OW_DEADLINE);
    expect(Math.abs(deadline - (record.start + 7000))).toBeLessThan(1000);
  });

  it('has no __OW_API_KEY unless the action is annotated provide-api-key: true', async () => {
    const plain = await invoke('envy');
    expect(plain.response.result.env).not.toHaveProperty('__OW_API_KEY');
    const keyed = await invoke('keyed');
    expect(keyed.response.result.env.__OW_API_KEY).toBe(GUEST_KEY);
  });

  it('removing the annotation takes the key away again', async () => {
    await expectJson(await t.request('PUT', '/api/v1/namespaces/_/actions/keyed?overwrite=true', { delAnnotations: ['provide-api-key'] }), 200);
    const record = await invoke('keyed');
    expect(record.response.result.env).not.toHaveProperty('__OW_API_KEY');
  });

  it('__OW_TRANSACTION_ID follows the request’s x-request-id', async () => {
    const record = await invoke('envy', { 'x-request-id': 'my-request-123' });
    expect(record.response.result.env.__OW_TRANSACTION_ID).toBe('my-request-123');
  });

  it('is per activation: changes do not leak into the next call of a warm isolate', async () => {
    const first = (await invoke('leaky')).response.result;
    const second = await invoke('leaky');
    expect(second.response.result.previous).toBe(first.id); // same warm isolate
    expect(second.response.result.id).toBe(second.activationId);
    expect(second.response.result.id).not.toBe(first.id);
    expect(second.response.result).not.toHaveProperty('leaked');
  });

  it('stays per activation over many quick calls of a hot action', async () => {
    for (let i = 0; i < 40; i++) {
      const record = await invoke('leaky');
      expect(record.response.result.id).toBe(record.activationId);
      expect(record.response.result).not.toHaveProperty('leaked');
    }
  });

  it('is per activation when calls overlap', async () => {
    const records = await Promise.all(
      Array.from({ length: 8 }, (_, n) => t.request('POST', '/api/v1/namespaces/_/actions/concurrent?blocking=true', { n }).then((r) => expectJson(r, 200))),
    );
    for (const [n, record] of records.entries()) {
      expect(record.response.result).toEqual({ before: record.activationId, after: record.activationId, n });
    }
    expect(new Set(records.map((r) => r.activationId)).size).toBe(8);
  });

  it('the openwhisk client in a test sees the same values through a result', async () => {
    const result = (await t.ow.actions.invoke({ name: 'envy', blocking: true, result: true })) as Json;
    expect(result.env.__OW_NAMESPACE).toBe('guest');
  });
});

describe('__OW_API_HOST', () => {
  it('is the configured --api-host when one is given', async () => {
    const t = await startTestServer({ 'api-host': 'https://edge.example.test' });
    try {
      await t.ow.actions.create({ name: 'host', action: SHOW_ENV });
      const result = (await t.ow.actions.invoke({ name: 'host', blocking: true, result: true })) as Json;
      expect(result.env.__OW_API_HOST).toBe('https://edge.example.test');
    } finally {
      await t.close();
    }
  });
});
