/**
 * Suite "multicore": the warm `.json` web action ("web" suite) with the server pinned to core 0, then
 * allowed cores 0 and 1, at the server defaults (its isolate worker processes inherit the affinity).
 * The load generator stays on core 1, so with both cores the server shares one of them with wrk:
 * the ratio is what a second core gives under that handicap, not a clean scaling figure.
 *
 * Two more figures bound what any design could get from the second core here. "partitioned": two
 * independent servers, one pinned to each core, each loaded from the other core with half the
 * connections — the work split with nothing shared, no lock, no cache to keep coherent. "wakeup"
 * (wakeup.ts): what a hop between processes costs across cores compared with on one core.
 */
import { DEFAULTS } from '../src/config.ts';
import { startEdgewhisk, type BenchServer } from './edgewhisk.ts';
import { HAS_TASKSET, loadAll, SECONDS, type LoadResult } from './lib.ts';
import { warmHelloWebAction, webAction } from './web.ts';
import { wakeup, type WakeupResult } from './wakeup.ts';

export interface MultiCoreResult {
  oneCore: LoadResult[];
  bothCores: LoadResult[];
  /** requests/s on both cores over requests/s on one, per connection count. */
  ratios: { connections: number; ratio: number }[];
  /** Two servers, one per core, 32 connections each; and their summed requests/s over one core's at 64. */
  partitioned: { servers: LoadResult[]; ratio: number };
  wakeup: WakeupResult;
  note: string;
}

async function helloServer(core: string): Promise<{ server: BenchServer; url: string }> {
  const server = await startEdgewhisk([], core);
  return { server, url: await warmHelloWebAction(server) };
}

/** Two servers, one per core, each loaded from the other core at once. */
async function partitioned(): Promise<LoadResult[]> {
  const a = await helloServer('0');
  try {
    const b = await helloServer('1');
    try {
      return await loadAll([
        { url: a.url, connections: 32, core: '1' },
        { url: b.url, connections: 32, core: '0' },
      ]);
    } finally {
      await b.server.stop();
    }
  } finally {
    await a.server.stop();
  }
}

/** `oneCore`: the "web" suite's figures of the same run, when the caller has them already. */
export async function multiCore(oneCore?: LoadResult[]): Promise<MultiCoreResult> {
  const one = oneCore ?? (await webAction('0'));
  const both = await webAction('0,1');
  const ratios = both.map((b) => ({ connections: b.connections, ratio: b.requestsPerSec / one.find((o) => o.connections === b.connections)!.requestsPerSec }));
  const split = await partitioned();
  const one64 = one.find((o) => o.connections === 64)!.requestsPerSec;
  const note = HAS_TASKSET
    ? `server defaults (${DEFAULTS.isolateWorkers} isolate worker process); one core: server on core 0, load on core 1; ` +
      'both cores: server on cores 0,1 and the load on core 1, sharing a core with the server; ' +
      'partitioned: a server on each core, each loaded from the other'
    : 'not pinned (no taskset or one core): both runs are the same setup and the ratio means nothing';
  return {
    oneCore: one,
    bothCores: both,
    ratios,
    partitioned: { servers: split, ratio: split.reduce((sum, r) => sum + r.requestsPerSec, 0) / one64 },
    wakeup: await wakeup(),
    note,
  };
}

if (import.meta.main) {
  const result = await multiCore();
  console.log(`multi-core web action (${SECONDS}s per run):`, JSON.stringify(result, null, 2));
}
