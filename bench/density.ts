/**
 * Suite "density": 5,000 distinct actions created, each invoked once, then a random mix — with a
 * memory budget far below what 5,000 warm isolates would need, so eviction must keep the resident
 * memory of the isolate worker processes within the budget (what `--memory-budget` bounds), and
 * nothing may fail. The server process is reported beside them: the budget does not cover it.
 */
import { BUNDLE_CLI, buildBundle } from '../scripts/build.ts';
import { startEdgewhisk } from './edgewhisk.ts';
import { api, BYTES_PER_MB, BYTES_PER_MIB, inParallel, load, processTree, rssMb, type LoadResult } from './lib.ts';

/** Resident memory (MB, 10^6 bytes) of the server process and of its descendants (the isolate worker processes), from /proc. */
export interface ResidentMb {
  server: number;
  workers: number;
  total: number;
}

export function residentMb(serverPid: number): ResidentMb {
  const server = rssMb(serverPid);
  let workers = 0;
  for (const pid of processTree(serverPid)) {
    if (pid === serverPid) continue;
    try {
      workers += rssMb(pid);
    } catch {
      // the process ended meanwhile
    }
  }
  return { server, workers, total: server + workers };
}

export interface DensityResult {
  actions: number;
  memoryBudgetMb: number;
  firstRoundFailures: number;
  mix: LoadResult;
  /** Right after start (no worker yet), after every action ran once, after the mix. */
  rssAtStartMb: ResidentMb;
  rssAfterFirstRoundMb: ResidentMb;
  rssAfterMixMb: ResidentMb;
  /** The highest of each, sampled every 100 ms (the peaks need not be simultaneous). */
  peakRssMb: ResidentMb;
  /** Whether the worker processes' resident memory stayed within the budget at every sample. */
  withinBudget: boolean;
  /** The measured V8 heap of all warm isolates, after the mix (a part of the workers' memory). */
  isolateHeapMb: number;
  evictions: number;
  coldStarts: number;
}

export async function density(count = Number(process.env.BENCH_DENSITY_ACTIONS ?? 5000), memoryBudgetMb = 256): Promise<DensityResult> {
  // Memory as `npm start` runs the server: the bundle (a worker running the sources holds ~18 MB
  // more, for Node's TypeScript stripping).
  await buildBundle();
  const server = await startEdgewhisk(['--memory-budget', String(memoryBudgetMb)], '0', BUNDLE_CLI);
  const pid = server.child.pid!;
  const peakRssMb: ResidentMb = { server: 0, workers: 0, total: 0 };
  const sample = (): ResidentMb => {
    const now = residentMb(pid);
    peakRssMb.server = Math.max(peakRssMb.server, now.server);
    peakRssMb.workers = Math.max(peakRssMb.workers, now.workers);
    peakRssMb.total = Math.max(peakRssMb.total, now.total);
    return now;
  };
  const rssAtStartMb = sample();
  const sampler = setInterval(sample, 100);
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
    const rssAfterFirstRoundMb = sample();
    const mix = load({ url: `${server.url}/`, connections: 64, randomPath: { template: '/api/v1/web/guest/default/d{i}.json', count } });
    const rssAfterMixMb = sample();
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const read = (name: string): number => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(metrics)?.[1] ?? NaN);
    return {
      actions: count,
      memoryBudgetMb,
      firstRoundFailures,
      mix,
      rssAtStartMb,
      rssAfterFirstRoundMb,
      rssAfterMixMb,
      peakRssMb,
      // The server's budget counts MiB.
      withinBudget: peakRssMb.workers <= (memoryBudgetMb * BYTES_PER_MIB) / BYTES_PER_MB,
      isolateHeapMb: read('edgewhisk_isolate_heap_bytes') / BYTES_PER_MB,
      evictions: read('edgewhisk_isolate_evictions_total'),
      coldStarts: read('edgewhisk_cold_starts_total'),
    };
  } finally {
    clearInterval(sampler);
    await server.stop();
  }
}

const mb = (value: number): string => value.toFixed(0);

/** One line: whether the target held, then where the memory was. */
export function densitySummary(d: DensityResult): string {
  const at = (r: ResidentMb): string => `workers ${mb(r.workers)} + server ${mb(r.server)} = ${mb(r.total)}`;
  return (
    `${d.withinBudget ? 'within' : 'OVER'} budget: worker processes peak ${mb(d.peakRssMb.workers)} MB of ${mb((d.memoryBudgetMb * BYTES_PER_MIB) / BYTES_PER_MB)} MB (--memory-budget ${d.memoryBudgetMb} MiB); ` +
    `${d.firstRoundFailures} failures in the first round, ${d.mix.errors + d.mix.non2xx} in the mix; RSS MB at start ${at(d.rssAtStartMb)}, ` +
    `after the first round ${at(d.rssAfterFirstRoundMb)}, after the mix ${at(d.rssAfterMixMb)}, peak server ${mb(d.peakRssMb.server)}, total ${mb(d.peakRssMb.total)}; ` +
    `warm isolates' heap ${mb(d.isolateHeapMb)} MB; ${d.coldStarts} cold starts, ${d.evictions} evictions; mix ${mb(d.mix.requestsPerSec)} req/s`
  );
}

if (import.meta.main) {
  const result = await density();
  console.log('density:', JSON.stringify(result));
  console.log(`density: ${densitySummary(result)}`);
}
