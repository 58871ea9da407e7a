/**
 * --memory-budget bounds the resident memory of the isolate worker processes together (the shared
 * worker and the spare), as read from /proc: a small budget, far more actions than fit, each run
 * once and then a concurrent random mix — every call answers correctly, and the workers' RSS never
 * passes the budget (src/runners/isolate/pool.ts, ResidentBound).
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Json } from '../helpers/api.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const PAGE_BYTES = 4096;

/** Resident MB of every child of this process: the server runs in it, so they are its isolate workers. */
function workersResidentMb(): number {
  let total = 0;
  const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim();
  for (const pid of children ? children.split(/\s+/) : []) {
    try {
      total += (Number(readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')[1]) * PAGE_BYTES) / 1048576;
    } catch {
      // it exited meanwhile
    }
  }
  return total;
}

/**
 * Runs one action in a server of its own and stops it, so that Node's compile cache (which the
 * worker entry enables, written when a process exits) holds the worker's modules before the
 * measured run. A worker process that finds them missing strips their types itself and keeps
 * the stripper loaded (amaro, ~29 MB: 91 against 62 MB resident after loading the pool's
 * modules), which a built server (JavaScript) never does. The shared worker and the spare then
 * hold ~99 MB each before any isolate, more than this budget leaves them: on a fresh clone (an
 * empty cache, or sources changed since it was written) this test failed whatever the bound did.
 */
async function warmWorkerCompileCache(): Promise<void> {
  const warm = await startTestServer();
  try {
    const put = await warm.request('PUT', '/api/v1/namespaces/_/actions/warm', { exec: { kind: 'nodejs:default', code: 'function main() { return {} }' } });
    expect(put.status, await put.text()).toBe(200);
    const res = await warm.request('POST', '/api/v1/namespaces/_/actions/warm?blocking=true&result=true', {});
    expect(res.status, await res.text()).toBe(200);
  } finally {
    await warm.close();
  }
}

/** Runs `work` over `items`, `width` at a time. */
async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

describe.skipIf(process.platform !== 'linux')('--memory-budget bounds the isolate workers resident memory', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('400 actions under a 200 MB budget, once each then a random mix at 32 at once: no failure, RSS within the budget', { timeout: 120_000 }, async () => {
    const budgetMb = 200;
    const count = 400;
    await warmWorkerCompileCache();
    t = await startTestServer({ 'memory-budget': String(budgetMb) });
    const server = t;
    let peakMb = 0;
    const sampler = setInterval(() => (peakMb = Math.max(peakMb, workersResidentMb())), 20);
    try {
      const indexes = Array.from({ length: count }, (_, i) => i);
      await inParallel(indexes, 16, async (i) => {
        // Each warm isolate holds a table of its own, so the ones kept warm cost what real ones do.
        const code = `const table = new Array(${1000 + i}).fill(${i}); function main(p) { return { i: ${i}, n: table.length, p: p.x } }`;
        const res = await server.request('PUT', `/api/v1/namespaces/_/actions/a${i}`, { exec: { kind: 'nodejs:default', code } });
        expect(res.status, await res.text()).toBe(200);
      });
      const failures: string[] = [];
      const call = async (i: number): Promise<void> => {
        const res = await server.request('POST', `/api/v1/namespaces/_/actions/a${i}?blocking=true&result=true`, { x: i * 2 });
        const body = (await res.json()) as Json;
        if (res.status !== 200 || body.i !== i || body.n !== 1000 + i || body.p !== i * 2) failures.push(`a${i}: ${res.status} ${JSON.stringify(body)}`);
      };
      await inParallel(indexes, 16, call);
      const mix = Array.from({ length: 2 * count }, () => Math.floor(Math.random() * count));
      await inParallel(mix, 32, call);
      // And after: nothing the load left behind (refilled blank isolates, garbage) grows past it.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      peakMb = Math.max(peakMb, workersResidentMb());
      expect(failures).toEqual([]);
      // Something ran in worker processes at all (not in this one), and the pool did evict.
      expect(peakMb).toBeGreaterThan(0);
      const metrics = await (await server.request('GET', '/metrics', undefined, { auth: null })).text();
      expect(Number(/^edgewhisk_isolate_evictions_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
      expect(peakMb).toBeLessThanOrEqual(budgetMb);
    } finally {
      clearInterval(sampler);
    }
  });
});
