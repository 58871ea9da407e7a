/**
 * Per-namespace throttles (invocationsPerMinute, concurrentInvocations, firesPerMinute) with
 * OpenWhisk's 429 messages, the server-wide in-flight bound (503), and what counts against whom.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/errors.ts';
import { loadConfig } from '../../src/config.ts';
import { Admission, MinuteWindow } from '../../src/limits/throttle.ts';
import { actionBody, expectApiError, expectJson, poll, type Json } from '../helpers/api.ts';
import { startTestServer, SYSTEM_KEY, type TestServer } from '../helpers/server.ts';

const RATE = /^Too many requests in the last minute \(count: (\d+), allowed: (\d+)\)\.$/;
const CONCURRENT = /^Too many concurrent requests in flight \(count: (\d+), allowed: (\d+)\)\.$/;

describe('the sliding minute window', () => {
  it('counts per second and forgets each second 60 s later', () => {
    const w = new MinuteWindow();
    for (let i = 0; i < 5; i++) w.add(1000);
    w.add(1030);
    expect(w.count(1030)).toBe(6);
    expect(w.count(1059)).toBe(6);
    expect(w.count(1060)).toBe(1); // second 1000 left the window
    expect(w.count(1089)).toBe(1);
    expect(w.count(1090)).toBe(0);
    w.add(5000);
    expect(w.count(5000)).toBe(1);
  });

  it('a clock that steps back keeps the counts', () => {
    const w = new MinuteWindow();
    w.add(2000);
    w.add(1990);
    expect(w.count(1995)).toBe(2);
    expect(w.count(2059)).toBe(2);
    expect(w.count(2060)).toBe(0);
  });
});

describe('Admission', () => {
  let now = 1_000_000; // epoch second 1000
  const clock = (): number => now;
  const refusal = (f: () => void): ApiError => {
    try {
      f();
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      return error as ApiError;
    }
    throw new Error('expected a refusal');
  };

  it('refuses the 121st invocation in a minute with OpenWhisk’s message, and admits again as the window slides', () => {
    const a = new Admission({ invocationsPerMinute: 120, concurrentInvocations: 0, firesPerMinute: 0, maxInFlight: 0 }, clock);
    for (let i = 0; i < 120; i++) {
      a.admit('ns');
      a.release('ns');
      now += 250; // 120 calls over 30 s
    }
    const e = refusal(() => a.admit('ns'));
    expect(e.status).toBe(429);
    expect(e.message).toBe('Too many requests in the last minute (count: 121, allowed: 120).');
    // Another namespace is not affected.
    a.admit('other');
    // 75 s after the first call, the 64 made in its first 16 seconds have left the window.
    now += 45_000;
    for (let i = 0; i < 64; i++) a.admit('ns');
    expect(refusal(() => a.admit('ns')).message).toBe('Too many requests in the last minute (count: 121, allowed: 120).');
  });

  it('refuses beyond concurrentInvocations until one is released', () => {
    const a = new Admission({ invocationsPerMinute: 0, concurrentInvocations: 2, firesPerMinute: 0, maxInFlight: 0 }, clock);
    a.admit('ns');
    a.admit('ns');
    const e = refusal(() => a.admit('ns'));
    expect(e.status).toBe(429);
    expect(e.message).toBe('Too many concurrent requests in flight (count: 2, allowed: 2).');
    a.release('ns');
    a.admit('ns');
    expect(a.inFlight('ns')).toBe(2);
  });

  it('the server-wide bound answers 503 “System is overloaded”', () => {
    const a = new Admission({ invocationsPerMinute: 0, concurrentInvocations: 0, firesPerMinute: 0, maxInFlight: 3 }, clock);
    a.admit('a');
    a.admit('b');
    a.admit('c');
    const e = refusal(() => a.admit('d'));
    expect(e.status).toBe(503);
    expect(e.message).toBe('System is overloaded, try again later.');
    a.release('b');
    a.admit('d');
  });

  it('0 means unlimited', () => {
    const a = new Admission({ invocationsPerMinute: 0, concurrentInvocations: 0, firesPerMinute: 0, maxInFlight: 0 }, clock);
    for (let i = 0; i < 100_000; i++) a.admit('ns');
    for (let i = 0; i < 100_000; i++) a.admitFire('ns');
    expect(a.inFlight()).toBe(100_000);
  });

  it('is cheap: a million admissions well under a second', () => {
    const a = new Admission({ invocationsPerMinute: 1e9, concurrentInvocations: 1e9, firesPerMinute: 0, maxInFlight: 1e9 }, () => Date.now());
    const started = performance.now();
    for (let i = 0; i < 1_000_000; i++) {
      a.admit('guest');
      a.release('guest');
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('the flags and environment variables configure it; OpenWhisk’s defaults otherwise', () => {
    expect(loadConfig({}, {})).toMatchObject({ invocationsPerMinute: 120, concurrentInvocations: 100, firesPerMinute: 60 });
    expect(loadConfig({ 'invocations-per-minute': '0', 'concurrent-invocations': '7', 'fires-per-minute': '9', 'max-in-flight': '50' }, {})).toMatchObject({
      invocationsPerMinute: 0,
      concurrentInvocations: 7,
      firesPerMinute: 9,
      maxInFlight: 50,
    });
    expect(loadConfig({}, { EDGEWHISK_INVOCATIONS_PER_MINUTE: '5000' }).invocationsPerMinute).toBe(5000);
    expect(() => loadConfig({ 'fires-per-minute': '-1' }, {})).toThrow(/fires-per-minute/);
  });
});

describe('throttles over HTTP', () => {
  let t: TestServer;
  const invoke = (name: string, query = 'blocking=true', auth?: string): Promise<Response> =>
    t.request('POST', `/api/v1/namespaces/_/actions/${name}?${query}`, {}, auth === undefined ? {} : { auth });

  afterEach(async () => t?.close());

  it('invocationsPerMinute: the 6th invoke of 5 allowed → 429 {error, code}; GET …/limits and GET / report the configuration', async () => {
    t = await startTestServer({ 'invocations-per-minute': '5', 'concurrent-invocations': '0', 'fires-per-minute': '0' });
    await t.ow.actions.create({ name: 'hello', action: 'function main() { return { ok: true } }' });
    for (let i = 0; i < 5; i++) expect((await invoke('hello')).status).toBe(200);
    const error = await expectApiError(await invoke('hello'), 429);
    expect(error.error).toBe('Too many requests in the last minute (count: 6, allowed: 5).');
    // Non-blocking invokes count the same; reads are not invocations.
    expect((await invoke('hello', 'blocking=false')).status).toBe(429);
    expect((await t.request('GET', '/api/v1/namespaces/_/actions/hello')).status).toBe(200);
    // Another namespace has its own budget.
    expect((await t.request('PUT', '/api/v1/namespaces/_/actions/sys', actionBody('function main() { return {} }'), { auth: SYSTEM_KEY })).status).toBe(200);
    expect((await invoke('sys', 'blocking=true', SYSTEM_KEY)).status).toBe(200);
    // The openwhisk client sees a 429 with the message.
    const failure = await t.ow.actions.invoke({ name: 'hello', blocking: true }).then(
      () => undefined,
      (e: { statusCode: number; message: string }) => e,
    );
    expect(failure?.statusCode).toBe(429);
    expect(failure?.message).toContain('Too many requests in the last minute (count: 6, allowed: 5).');
    const limits = await expectJson(await t.request('GET', '/api/v1/namespaces/_/limits'), 200);
    expect(limits).toMatchObject({ invocationsPerMinute: 5, concurrentInvocations: 0, firesPerMinute: 0 });
    const root = await expectJson(await t.request('GET', '/', undefined, { auth: null }), 200);
    expect(root.limits).toMatchObject({ actions_per_minute: 5, concurrent_actions: 0, triggers_per_minute: 0 });
  });

  it('concurrentInvocations: blocking and non-blocking invokes in flight count until their records are written', async () => {
    t = await startTestServer({ 'invocations-per-minute': '0', 'concurrent-invocations': '2', 'fires-per-minute': '0' });
    await t.ow.actions.create({ name: 'slow', action: 'function main() { return new Promise((r) => setTimeout(() => r({ done: true }), 400)) }' });
    await t.ow.actions.create({ name: 'quick', action: 'function main() { return { ok: true } }' });
    const first = invoke('slow');
    const second = await expectJson<Json>(await invoke('slow', 'blocking=false'), 202);
    const refused = await expectApiError(await invoke('quick'), 429);
    expect(refused.error).toMatch(CONCURRENT);
    expect(refused.error).toBe('Too many concurrent requests in flight (count: 2, allowed: 2).');
    expect((await first).status).toBe(200);
    await poll(async () => ((await t.request('GET', `/api/v1/namespaces/_/activations/${second.activationId}`)).status === 200 ? true : undefined));
    await poll(async () => ((await invoke('quick')).status === 200 ? true : undefined));
    const limits = await expectJson(await t.request('GET', '/api/v1/namespaces/_/limits'), 200);
    expect(limits.concurrentInvocations).toBe(2);
  });

  it('a sequence counts once; a web action counts against its owner', async () => {
    t = await startTestServer({ 'invocations-per-minute': '4', 'concurrent-invocations': '0', 'fires-per-minute': '0' });
    await t.ow.actions.create({ name: 'step', action: 'function main(p) { return { n: (p.n || 0) + 1 } }' });
    await t.request('PUT', '/api/v1/namespaces/_/actions/seq', { exec: { kind: 'sequence', components: ['/guest/step', '/guest/step', '/guest/step'] } });
    const seq = await expectJson(await invoke('seq', 'blocking=true&result=true'), 200);
    expect(seq).toEqual({ n: 3 });
    await t.request('PUT', '/api/v1/namespaces/_/actions/page', actionBody('function main() { return { body: "hi" } }', { annotations: [{ key: 'web-export', value: true }] }));
    // Anonymous web calls are the owner's (guest) invocations: 1 (seq) + 3 = 4 allowed.
    for (let i = 0; i < 3; i++) expect((await fetch(`${t.url}/api/v1/web/guest/default/page`)).status).toBe(200);
    const web = await fetch(`${t.url}/api/v1/web/guest/default/page`);
    expect(web.status).toBe(429);
    expect(((await web.json()) as { error: string }).error).toBe('Too many requests in the last minute (count: 5, allowed: 4).');
    expect((await invoke('step')).status).toBe(429);
  });

  it('firesPerMinute: the 4th fire of 3 → 429; activations the rules start count as invocations (logged on the trigger’s record)', async () => {
    t = await startTestServer({ 'invocations-per-minute': '2', 'concurrent-invocations': '0', 'fires-per-minute': '3' });
    await t.ow.actions.create({ name: 'onfire', action: 'function main() { return { fired: true } }' });
    await t.ow.triggers.create({ name: 'tick' });
    await t.ow.rules.create({ name: 'tick-rule', trigger: 'tick', action: 'onfire' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const fired = await expectJson<Json>(await t.request('POST', '/api/v1/namespaces/_/triggers/tick', {}), 202);
      ids.push(fired.activationId as string);
    }
    const refused = await expectApiError(await t.request('POST', '/api/v1/namespaces/_/triggers/tick', {}), 429);
    expect(refused.error).toBe('Too many requests in the last minute (count: 4, allowed: 3).');
    // The third fire's rule found the invocation budget (2) spent: its log line says so.
    const third = await expectJson<Json>(await t.request('GET', `/api/v1/namespaces/_/activations/${ids[2]}`), 200);
    const line = JSON.parse(third.logs[0] as string) as Json;
    expect(line.statusCode).toBe(1);
    expect(line.error).toMatch(RATE);
    const first = JSON.parse((await expectJson<Json>(await t.request('GET', `/api/v1/namespaces/_/activations/${ids[0]}`), 200)).logs[0] as string) as Json;
    expect(first.statusCode).toBe(0);
  });

  it('the in-flight bound answers 503 “System is overloaded, try again later.”', async () => {
    t = await startTestServer({ 'invocations-per-minute': '0', 'concurrent-invocations': '0', 'fires-per-minute': '0', 'max-in-flight': '3' });
    await t.ow.actions.create({ name: 'slow', action: 'function main() { return new Promise((r) => setTimeout(() => r({}), 500)) }' });
    const accepted = await Promise.all([1, 2, 3].map(async () => (await invoke('slow', 'blocking=false')).status));
    expect(accepted).toEqual([202, 202, 202]);
    const error = await expectApiError(await invoke('slow'), 503);
    expect(error.error).toBe('System is overloaded, try again later.');
    const metrics = await (await t.request('GET', '/metrics', undefined, { auth: null })).text();
    expect(metrics).toMatch(/^edgewhisk_invocations_in_flight 3$/m);
    expect(metrics).toMatch(/^edgewhisk_admission_refused_total\{reason="overload"\} 1$/m);
    await poll(async () => ((await invoke('slow', 'blocking=false')).status === 202 ? true : undefined), 5000);
  });
});

describe('unthrottled servers (as the benchmarks run)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ 'invocations-per-minute': '0', 'concurrent-invocations': '0', 'fires-per-minute': '0', 'max-in-flight': '0' });
  });
  afterAll(async () => t.close());

  it('0 everywhere admits hundreds of invokes a second', async () => {
    await t.ow.actions.create({ name: 'hello', action: 'function main() { return {} }' });
    const statuses = await Promise.all(Array.from({ length: 300 }, async () => (await t.request('POST', '/api/v1/namespaces/_/actions/hello?blocking=true', {})).status));
    expect(new Set(statuses)).toEqual(new Set([200]));
  });
});
