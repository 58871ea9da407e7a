/**
 * Suite "multicore": the warm `.json` web action ("web" suite) with the server pinned to core 0, then
 * allowed cores 0 and 1, at the server defaults (its isolate worker processes inherit the affinity).
 * The load generator stays on core 1, so with both cores the server shares one of them with wrk:
 * the ratio is what a second core gives under that handicap, not a clean scaling figure.
 */
import { DEFAULTS } from '../src/config.ts';
import { HAS_TASKSET, SECONDS, type LoadResult } from './lib.ts';
import { webAction } from './web.ts';

export interface MultiCoreResult {
  oneCore: LoadResult[];
  bothCores: LoadResult[];
  /** requests/s on both cores over requests/s on one, per connection count. */
  ratios: { connections: number; ratio: number }[];
  note: string;
}

/** `oneCore`: the "web" suite's figures of the same run, when the caller has them already. */
export async function multiCore(oneCore?: LoadResult[]): Promise<MultiCoreResult> {
  const one = oneCore ?? (await webAction('0'));
  const both = await webAction('0,1');
  const ratios = both.map((b) => ({ connections: b.connections, ratio: b.requestsPerSec / one.find((o) => o.connections === b.connections)!.requestsPerSec }));
  const note = HAS_TASKSET
    ? `server defaults (${DEFAULTS.isolateWorkers} isolate worker process); one core: server on core 0, load on core 1; ` +
      'both cores: server on cores 0,1 and the load on core 1, sharing a core with the server'
    : 'not pinned (no taskset or one core): both runs are the same setup and the ratio means nothing';
  return { oneCore: one, bothCores: both, ratios, note };
}

if (import.meta.main) {
  const result = await multiCore();
  console.log(`multi-core web action (${SECONDS}s per run):`, result);
}
