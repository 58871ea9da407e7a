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
