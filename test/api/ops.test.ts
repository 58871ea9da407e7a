import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('operator endpoints', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('GET /healthz answers without credentials', async () => {
    const res = await t.request('GET', '/healthz', undefined, { auth: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /metrics counts activations by outcome, durations, isolates and cold starts', async () => {
    await t.ow.actions.create({ name: 'ok', action: 'function main() { return { ok: true } }' });
    await t.ow.actions.create({ name: 'bad', action: 'function main() { return { error: "no" } }' });
    await t.ow.actions.invoke({ name: 'ok', blocking: true });
    await t.ow.actions.invoke({ name: 'ok', blocking: true });
    await t.ow.actions.invoke({ name: 'bad', blocking: true }).catch(() => undefined);
    const res = await t.request('GET', '/metrics', undefined, { auth: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/^edgewhisk_activations_total\{status="success"\} 2$/m);
    expect(text).toMatch(/^edgewhisk_activations_total\{status="application error"\} 1$/m);
    expect(text).toMatch(/^edgewhisk_activation_duration_seconds_count 3$/m);
    expect(text).toMatch(/^edgewhisk_cold_starts_total 2$/m);
    expect(text).toMatch(/^edgewhisk_isolates 2$/m);
    expect(text).toMatch(/^edgewhisk_invocations_in_flight 0$/m);
    const heap = /^edgewhisk_isolate_heap_bytes (\d+)$/m.exec(text);
    expect(Number(heap?.[1])).toBeGreaterThan(0);
    const rss = /^edgewhisk_process_resident_memory_bytes (\d+)$/m.exec(text);
    expect(Number(rss?.[1])).toBeGreaterThan(10 * 1048576);
  });
});

describe('GET /namespaces/{ns}', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it("lists the namespace's entities by collection, as upstream (the client's namespaces.get)", async () => {
    await t.ow.actions.create({ name: 'a1', action: 'function main() { return {} }' });
    await t.ow.packages.create({ name: 'p1' });
    await t.ow.triggers.create({ name: 't1' });
    await t.ow.rules.create({ name: 'r1', trigger: 't1', action: 'a1' });
    const got = (await t.ow.namespaces.get({ namespace: '_' })) as Record<string, { name: string; status?: string }[]>;
    expect(got.actions!.map((a) => a.name)).toEqual(['a1']);
    expect(got.packages!.map((p) => p.name)).toEqual(['p1']);
    expect(got.triggers!.map((x) => x.name)).toEqual(['t1']);
    expect(got.rules).toMatchObject([{ name: 'r1', status: 'active' }]);
  });
});

describe('listening', () => {
  it('a second server on a port already taken fails to start (uWS would otherwise share the port)', async () => {
    const first = await startTestServer();
    try {
      const port = String(new URL(first.url).port);
      await expect(startTestServer({ port })).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+/);
      // The first one still has its port to itself: every request reaches it.
      await first.ow.actions.create({ name: 'mine', action: 'function main() { return { first: true } }' });
      for (let i = 0; i < 20; i++) {
        expect(await first.ow.actions.invoke({ name: 'mine', blocking: true, result: true })).toEqual({ first: true });
      }
    } finally {
      await first.close();
    }
  });
});
