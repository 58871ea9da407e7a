/**
 * Suite "density": 5,000 distinct actions created, each invoked once, then a random mix — with a
 * memory budget far below what 5,000 warm isolates would need, so eviction must keep RSS bounded
 * and nothing may fail.
 */
import { startEdgewhisk } from './edgewhisk.ts';
import { api, inParallel, load, treeRssMb, type LoadResult } from './lib.ts';

export interface DensityResult {
  actions: number;
  memoryBudgetMb: number;
  firstRoundFailures: number;
  mix: LoadResult;
  /** Server process and its isolate worker processes together, right after start (no worker yet). */
  rssAtStartMb: number;
  /** The same after every action ran once, and the highest seen. */
  rssAfterFirstRoundMb: number;
  peakRssMb: number;
  /** What the budget bounds: the measured heap of all warm isolates, after the mix. */
  isolateHeapMb: number;
  evictions: number;
  coldStarts: number;
}

export async function density(count = Number(process.env.BENCH_DENSITY_ACTIONS ?? 5000), memoryBudgetMb = 256): Promise<DensityResult> {
  const server = await startEdgewhisk(['--memory-budget', String(memoryBudgetMb)]);
  const rssAtStartMb = treeRssMb(server.child.pid!);
  let peakRssMb = 0;
  const sampler = setInterval(() => {
    peakRssMb = Math.max(peakRssMb, treeRssMb(server.child.pid!));
  }, 100);
  try {
    const indexes = Array.from({ length: count }, (_, i) => i);
    await inParallel(indexes, 16, (i) =>
      server.createAction(`d${i}`, `const table = new Array(${100 + (i % 50)}).fill(${i}); function main(p) { return { i: ${i}, n: table.length } }`, {
        annotations: [{ key: 'web-export', value: true }],
      }),
    );
    let firstRoundFailures = 0;
    await inParallel(indexes, 16, async (i) => {
      const res = await api(server.url, 'POST', `/api/v1/namespaces/_/actions/d${i}?blocking=true&result=true`, {});
      const body = (await res.json()) as { i?: number };
      if (res.status !== 200 || body.i !== i) firstRoundFailures++;
    });
    const rssAfterFirstRoundMb = treeRssMb(server.child.pid!);
    const mix = load({ url: `${server.url}/`, connections: 64, randomPath: { template: '/api/v1/web/guest/default/d{i}.json', count } });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const read = (name: string): number => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(metrics)?.[1] ?? NaN);
    return {
      actions: count,
      memoryBudgetMb,
      firstRoundFailures,
      mix,
      rssAtStartMb,
      rssAfterFirstRoundMb,
      peakRssMb: Math.max(peakRssMb, treeRssMb(server.child.pid!)),
      isolateHeapMb: read('edgewhisk_isolate_heap_bytes') / 1048576,
      evictions: read('edgewhisk_isolate_evictions_total'),
      coldStarts: read('edgewhisk_cold_starts_total'),
    };
  } finally {
    clearInterval(sampler);
    await server.stop();
  }
}

if (import.meta.main) {
  console.log('density:', await density());
}
