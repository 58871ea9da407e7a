/**
 * Overload: far more concurrent blocking invokes than cores. Latency degrades (calls queue for
 * their action's isolates), the queues are bounded (per namespace by concurrentInvocations, for
 * the server by --max-in-flight: 429 and 503 beyond), nothing crashes, and every activation
 * answered with an id (200 or 202) has its record.
 */
import { Agent, fetch } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { poll, type Json } from '../helpers/api.ts';
import { GUEST_KEY, startTestServer, type TestServer } from '../helpers/server.ts';

const AUTH = `Basic ${Buffer.from(GUEST_KEY).toString('base64')}`;
/** Enough sockets for every call at once (the default agent would queue them on the client side). */
const agent = new Agent({ connections: 1000, pipelining: 1 });

async function call(t: TestServer, path: string, body: unknown = {}): Promise<{ status: number; json: Json; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${t.url}${path}`, {
    method: 'POST',
    headers: { authorization: AUTH, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    dispatcher: agent,
  });
  return { status: res.status, json: (await res.json()) as Json, ms: performance.now() - started };
}

async function recordsExist(t: TestServer, ids: string[]): Promise<void> {
  await poll(async () => {
    for (const id of ids) {
      const res = await t.request('GET', `/api/v1/namespaces/_/activations/${id}`);
      if (res.status !== 200) return undefined;
      await res.arrayBuffer();
    }
    return true;
  }, 30_000, 200);
}

const percentile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

describe('overload', () => {
  let t: TestServer;
  afterEach(async () => t?.close());
  afterAll(async () => agent.close());

  it('500 concurrent blocking invokes of CPU-bound actions: all answered (200, or 202 past the wait), every record written, a bystander still answers', async () => {
    t = await startTestServer();
    const actions = Array.from({ length: 10 }, (_, i) => `busy${i}`);
    for (const name of actions) {
      await t.request('PUT', `/api/v1/namespaces/_/actions/${name}`, { exec: { kind: 'nodejs:default', code: 'function main(p) { const end = Date.now() + 20; while (Date.now() < end) {} return { i: p.i } }' } });
    }
    await t.request('PUT', '/api/v1/namespaces/_/actions/quick', { exec: { kind: 'nodejs:default', code: 'function main() { return { ok: true } }' } });
    for (let i = 0; i < 20; i++) await call(t, '/api/v1/namespaces/_/actions/quick?blocking=true');
    const started = performance.now();
    const flood = Array.from({ length: 500 }, (_, i) => call(t, `/api/v1/namespaces/_/actions/${actions[i % actions.length]}?blocking=true&timeout=3000`, { i }));
    // The queue depth shows on /metrics while the flood waits.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const during = await (await t.request('GET', '/metrics', undefined, { auth: null })).text();
    const depth = Number(/^edgewhisk_invocations_in_flight (\d+)$/m.exec(during)?.[1]);
    expect(depth).toBeGreaterThan(100);
    // A bystander, while the flood is queued.
    const bystander: number[] = [];
    for (let i = 0; i < 20; i++) {
      const { status, ms } = await call(t, '/api/v1/namespaces/_/actions/quick?blocking=true');
      expect(status).toBe(200);
      bystander.push(ms);
    }
    const answers = await Promise.all(flood);
    const elapsed = performance.now() - started;
    const statuses = new Map<number, number>();
    for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    const ok = answers.filter((a) => a.status === 200);
    for (const [i, a] of answers.entries()) if (a.status === 200) expect(a.json.response.result).toEqual({ i });
    const latencies = answers.map((a) => a.ms).sort((a, b) => a - b);
    bystander.sort((a, b) => a - b);
    console.log(
      `overload: 500 blocking invokes (20 ms of CPU each, 10 actions × 4 isolates, 2 cores) in ${Math.round(elapsed)} ms; answers ${[...statuses].map(([s, n]) => `${s}×${n}`).join(' ')}; ` +
        `latency p50 ${percentile(latencies, 0.5).toFixed(0)} p99 ${percentile(latencies, 0.99).toFixed(0)} ms; bystander p50 ${percentile(bystander, 0.5).toFixed(1)} max ${bystander.at(-1)!.toFixed(1)} ms; queue depth seen ${depth}`,
    );
    expect([...statuses.keys()].every((s) => s === 200 || s === 202)).toBe(true);
    expect(ok.length).toBeGreaterThan(0);
    // A bystander on the fast path waits behind no one: bounded by the server's turns, not by the queue.
    expect(percentile(bystander, 0.5)).toBeLessThan(1000);
    await recordsExist(t, answers.map((a) => (a.json.activationId as string) ?? (a.json as { activationId: string }).activationId));
    const metrics = await (await t.request('GET', '/metrics', undefined, { auth: null })).text();
    expect(metrics).toMatch(/^edgewhisk_invocations_in_flight 0$/m);
    expect(Number(/^edgewhisk_activations_total\{status="success"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(520);
  }, 120_000);

  it('OpenWhisk’s default concurrentInvocations bounds a namespace’s queue: 500 at once → 100 admitted, the rest 429', async () => {
    t = await startTestServer({ 'concurrent-invocations': '100', 'invocations-per-minute': '0' });
    await t.request('PUT', '/api/v1/namespaces/_/actions/wait', { exec: { kind: 'nodejs:default', code: 'function main() { return new Promise((r) => setTimeout(() => r({}), 100)) }' } });
    const answers = await Promise.all(Array.from({ length: 500 }, () => call(t, '/api/v1/namespaces/_/actions/wait?blocking=true')));
    const admitted = answers.filter((a) => a.status === 200 || a.status === 202);
    const refused = answers.filter((a) => a.status === 429);
    expect(admitted.length + refused.length).toBe(500);
    expect(admitted.length).toBe(100);
    expect(refused[0]!.json.error).toMatch(/^Too many concurrent requests in flight \(count: 100, allowed: 100\)\.$/);
    await recordsExist(t, admitted.map((a) => a.json.activationId as string));
  }, 60_000);

  it('the server-wide bound: 300 non-blocking invokes against --max-in-flight 100 → 100 accepted, 200 “System is overloaded”, every accepted one recorded', async () => {
    t = await startTestServer({ 'max-in-flight': '100' });
    await t.request('PUT', '/api/v1/namespaces/_/actions/wait', { exec: { kind: 'nodejs:default', code: 'function main() { return new Promise((r) => setTimeout(() => r({}), 100)) }' } });
    const answers = await Promise.all(Array.from({ length: 300 }, () => call(t, '/api/v1/namespaces/_/actions/wait')));
    const accepted = answers.filter((a) => a.status === 202);
    const overloaded = answers.filter((a) => a.status === 503);
    expect(accepted.length).toBe(100);
    expect(overloaded.length).toBe(200);
    expect(Object.keys(overloaded[0]!.json).sort()).toEqual(['code', 'error']);
    expect(overloaded[0]!.json.error).toBe('System is overloaded, try again later.');
    await recordsExist(t, accepted.map((a) => a.json.activationId as string));
    const metrics = await (await t.request('GET', '/metrics', undefined, { auth: null })).text();
    expect(metrics).toMatch(/^edgewhisk_admission_refused_total\{reason="overload"\} 200$/m);
    expect(metrics).toMatch(/^edgewhisk_invocations_in_flight 0$/m);
  }, 60_000);
});
