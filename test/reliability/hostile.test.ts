/**
 * The hostile-action catalog (catalog.ts) against a live server: each case runs repeatedly, two at
 * a time, while a bystander action is invoked back to back; every activation must end with the
 * right status and message, the bystander must keep its normal latency, and after a soak of
 * many runs the memory of the server and its isolate workers must be back near its baseline.
 *
 * Scale for local soak runs: EDGEWHISK_HOSTILE_REPEAT (runs per case, default 3) and
 * EDGEWHISK_SOAK_RUNS (runs of the fast cases in the soak, default 60; 1000 for a real soak).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kv, poll, type Json } from '../helpers/api.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { HOST_LEAKS, HOSTILE, type Hostile } from './catalog.ts';

const REPEAT = Number(process.env.EDGEWHISK_HOSTILE_REPEAT ?? 3);
const SOAK_RUNS = Number(process.env.EDGEWHISK_SOAK_RUNS ?? 60);
/** A behavioural bound, generous for a loaded CI machine: the bystander's p99 while an attack runs. */
const P99_BOUND_MS = 200;

interface Probe {
  stop(): Promise<number[]>;
}

describe('hostile actions', () => {
  let t: TestServer;
  const latencies: Record<string, { p50: number; p99: number; max: number; n: number }> = {};
  let baseline = { server: 0, workers: 0 };

  const invoke = async (name: string, params: Json = {}): Promise<{ status: number; record: Json }> => {
    const res = await t.request('POST', `/api/v1/namespaces/_/actions/${name}?blocking=true`, params);
    return { status: res.status, record: (await res.json()) as Json };
  };

  /** Invokes the bystander back to back until stopped; returns each call's latency (ms). */
  const probe = (): Probe => {
    const times: number[] = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        const started = performance.now();
        const { status, record } = await invoke('bystander', { n: times.length });
        times.push(performance.now() - started);
        expect(status).toBe(200);
        expect(record.response.result).toEqual({ echo: times.length - 1 });
      }
    })();
    return {
      async stop() {
        running = false;
        await loop;
        return times;
      },
    };
  };

  const memory = async (): Promise<{ server: number; workers: number }> => {
    const text = await (await t.request('GET', '/metrics', undefined, { auth: null })).text();
    const read = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    return { server: read('edgewhisk_process_resident_memory_bytes'), workers: read('edgewhisk_isolate_worker_resident_memory_bytes') };
  };

  const verify = (h: Hostile, status: number, record: Json): void => {
    const where = `${h.name}: ${JSON.stringify(record.response).slice(0, 300)}`;
    expect(status, where).toBe(h.status);
    expect(record.response.statusCode, where).toBe(h.statusCode);
    if (h.error) expect(String(record.response.result?.error), where).toMatch(h.error);
    if (h.timedOut !== undefined) expect(kv(record.annotations, 'timeout'), where).toBe(h.timedOut);
    h.check?.(record);
    expect(JSON.stringify(record.response) + JSON.stringify(record.logs), `${h.name} leaks host details`).not.toMatch(HOST_LEAKS);
  };

  beforeAll(async () => {
    // A small budget keeps the warm isolates of the hostile actions from passing for a leak.
    t = await startTestServer({ 'memory-budget': '64' });
    await t.request('PUT', '/api/v1/namespaces/_/actions/bystander', { exec: { kind: 'nodejs:default', code: 'function main(p) { return { echo: p.n } }' } });
    for (const h of HOSTILE) {
      const res = await t.request('PUT', `/api/v1/namespaces/_/actions/${h.name}`, { exec: { kind: 'nodejs:default', code: h.code }, limits: h.limits ?? {} });
      expect(res.status, h.name).toBe(200);
    }
    // Warm: the bystander is on the fast path, the runtime's code is compiled.
    for (let i = 0; i < 40; i++) expect((await invoke('bystander', { n: i })).status).toBe(200);
    baseline = await memory();
  });

  afterAll(async () => {
    console.log(`hostile catalog: ${HOSTILE.length} cases × ${REPEAT} runs; bystander latency (ms) during each:`);
    for (const [name, l] of Object.entries(latencies)) console.log(`  ${name.padEnd(30)} n=${String(l.n).padStart(4)} p50=${l.p50.toFixed(1)} p99=${l.p99.toFixed(1)} max=${l.max.toFixed(1)}`);
    await t?.close();
  });

  it.each(HOSTILE.map((h) => [h.name, h] as const))('%s: the right status and message, every time; the bystander keeps its latency', async (_name, h) => {
    const bystander = probe();
    let next = 0;
    const attacker = async (): Promise<void> => {
      while (next < REPEAT) {
        next++;
        const { status, record } = await invoke(h.name, h.params ?? {});
        verify(h, status, record);
      }
    };
    await Promise.all([attacker(), attacker()]);
    // ...and after it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const times = (await bystander.stop()).sort((a, b) => a - b);
    const pick = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
    latencies[h.name] = { p50: pick(0.5), p99: pick(0.99), max: times.at(-1)!, n: times.length };
    expect(times.length).toBeGreaterThan(0);
    expect(pick(0.99), `bystander p99 during ${h.name}`).toBeLessThan(P99_BOUND_MS);
  }, 30_000 + REPEAT * 3000);

  it(`soak: ${SOAK_RUNS} runs of the fast cases, four at a time; memory stays at the level the first round reached`, async () => {
    const cases = HOSTILE.filter((h) => h.soak);
    const round = async (runs: number): Promise<void> => {
      let next = 0;
      const runner = async (): Promise<void> => {
        while (next < runs) {
          const h = cases[next++ % cases.length]!;
          const { status, record } = await invoke(h.name, h.params ?? {});
          verify(h, status, record);
        }
      };
      await Promise.all([runner(), runner(), runner(), runner()]);
      // Settled: nothing in flight, then the memory is read.
      await poll(async () => {
        const text = await (await t.request('GET', '/metrics', undefined, { auth: null })).text();
        return /^edgewhisk_invocations_in_flight 0$/m.test(text) ? true : undefined;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
    };
    // The first round takes memory to its working level (four heap bombs at once, allocator
    // arenas, compiled code): that, not the idle start, is the baseline a leak would grow from.
    await round(cases.length * 4);
    const before = await memory();
    const bystander = probe();
    await round(SOAK_RUNS);
    const times = (await bystander.stop()).sort((a, b) => a - b);
    const after = await memory();
    const mb = (n: number): number => Math.round(n / 1048576);
    console.log(
      `soak: ${SOAK_RUNS} runs; memory at idle start: server ${mb(baseline.server)} MB, workers ${mb(baseline.workers)} MB; ` +
        `after the first round: ${mb(before.server)} / ${mb(before.workers)} MB; after the soak: ${mb(after.server)} / ${mb(after.workers)} MB; ` +
        `bystander p99 ${times[Math.floor(times.length * 0.99)]?.toFixed(1)} ms over ${times.length} calls`,
    );
    expect(after.workers).toBeGreaterThan(0);
    expect(after.workers).toBeLessThan(before.workers + 192 * 1048576);
    expect(after.server).toBeLessThan(before.server + 128 * 1048576);
  }, 60_000 + SOAK_RUNS * 500);

  it('the outcomes show on /metrics: developer errors counted, nothing left in flight', async () => {
    const text = await (await t.request('GET', '/metrics', undefined, { auth: null })).text();
    const count = (status: string): number => Number(new RegExp(`^edgewhisk_activations_total\\{status="${status}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    const failing = HOSTILE.filter((h) => h.statusCode === 2).length;
    expect(count('action developer error')).toBeGreaterThanOrEqual(failing * REPEAT);
    expect(count('success')).toBeGreaterThan(40);
    expect(text).toMatch(/^edgewhisk_invocations_in_flight 0$/m);
  });
});
