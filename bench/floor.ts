/**
 * Suite "floor": the "costs" suite's loads against bench/servers/floor.ts — a server of nothing but
 * the parts edgewhisk cannot do without (uWebSockets.js, the hello action in an isolated-vm isolate,
 * a SQLite record per request), each used the cheapest way, in the same configurations. The floor's
 * share of the ceiling is the most any server built from these parts reaches on this core: a
 * target above it asks for other parts or another machine, not better code. Edgewhisk's
 * requests/s over the floor's is how much of what its parts allow its own code leaves.
 */
import { CONFIGURATIONS, type CostsResult, type FloorParts } from './costs.ts';
import { warmUp } from './edgewhisk.ts';
import { load, SECONDS, spawnServer, type LoadOptions, type LoadResult } from './lib.ts';

export interface FloorRun extends FloorParts {
  /** The "costs" configuration this stands for. */
  configuration: string;
  load: LoadResult;
}

const INVOKE_BODY = '{"name":"world"}';

const INVOKE_HEADERS = { 'content-type': 'application/json' };

function floorRequest(url: string, parts: FloorParts): LoadOptions {
  if (parts.request === 'web') return { url: `${url}/web?name=world`, connections: 64 };
  return { url: `${url}/invoke`, connections: 64, method: 'POST', body: INVOKE_BODY, headers: INVOKE_HEADERS };
}

export async function floor(): Promise<FloorRun[]> {
  const runs: FloorRun[] = [];
  for (const { configuration, floor: parts } of CONFIGURATIONS) {
    const server = await spawnServer('bench/servers/floor.ts', [], '0', { FLOOR_ISOLATE: parts.isolate, FLOOR_RECORDS: parts.records });
    try {
      const request = floorRequest(server.url, parts);
      await warmUp(request.url, parts.request === 'invoke' ? { method: 'POST', body: INVOKE_BODY, headers: INVOKE_HEADERS } : {});
      runs.push({ configuration, ...parts, load: load(request) });
    } finally {
      await server.stop();
    }
  }
  return runs;
}

/** One line per configuration: the floor's requests/s and p99, its share of the ceiling, edgewhisk's share of it. */
export function floorLines(runs: FloorRun[], ceilingRequestsPerSec: number | undefined, costs: CostsResult | undefined): string[] {
  return runs.map(({ configuration, load: l }) => {
    const ours = costs?.runs.find((run) => run.configuration === configuration)?.load.requestsPerSec;
    const ofCeiling = ceilingRequestsPerSec ? ` = ${((100 * l.requestsPerSec) / ceilingRequestsPerSec).toFixed(1)}% of the ceiling` : '';
    const ofFloor = ours !== undefined ? `; edgewhisk ${ours.toFixed(0)} req/s = ${((100 * ours) / l.requestsPerSec).toFixed(1)}% of the floor` : '';
    return `${configuration}: floor ${l.requestsPerSec.toFixed(0)} req/s${ofCeiling}, p99 ${l.p99Ms.toFixed(1)} ms${ofFloor}`;
  });
}

if (import.meta.main) {
  console.log(`floor: the parts alone, 64 connections (${SECONDS}s per run):`);
  for (const line of floorLines(await floor(), undefined, undefined)) console.log(`  ${line}`);
}
