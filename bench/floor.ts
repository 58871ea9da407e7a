/**
 * Suite "floor": the "costs" suite's loads against bench/servers/floor.ts — a server of nothing but
 * the parts edgewhisk cannot do without (uWebSockets.js, the hello action in an isolated-vm isolate,
 * a SQLite record per request), each used the cheapest way, in the same configurations. The floor's
 * share of the ceiling is the most any server built from these parts reaches on this core: a
 * target above it asks for other parts or another machine, not better code. Edgewhisk's
 * requests/s over the floor's is how much of what its parts allow its own code leaves. The same for
 * the "cold" suite's loop (floorColdStart).
 */
import { coldActionCode, FIRST_ACTION_CODE } from './cold.ts';
import { CONFIGURATIONS, type CostsResult, type FloorParts } from './costs.ts';
import { warmUp } from './edgewhisk.ts';
import { httpClient, load, percentile, processCpuMs, processTree, SECONDS, spawnServer, warmLoad, type LoadOptions, type LoadResult } from './lib.ts';

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
      await warmLoad(request);
      runs.push({ configuration, ...parts, load: load(request) });
    } finally {
      await server.stop();
    }
  }
  return runs;
}

export interface FloorColdResult {
  actions: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** CPU time of the floor's processes per action, its deploy included. */
  cpuMsPerAction: number;
}

/**
 * The "cold" suite's loop, with its actions, against the floor with the defaults' parts (isolates
 * in a child process unless `isolate` says otherwise, the record committed before the answer):
 * deploy a new action, time its first call, next. Each first call makes its isolate then: the floor
 * keeps none made ahead, which on one busy core costs the same either way.
 */
export async function floorColdStart(count = Number(process.env.BENCH_COLD_ACTIONS ?? 200), isolate: FloorParts['isolate'] = 'process'): Promise<FloorColdResult> {
  const server = await spawnServer('bench/servers/floor.ts', [], '0', { FLOOR_ISOLATE: isolate, FLOOR_RECORDS: 'durable' });
  const send = httpClient(server.url);
  try {
    const invoke = async (name: string, code: string): Promise<number> => {
      const put = await send('PUT', `/action/${name}`, { code });
      if (put.status !== 200) throw new Error(`floor PUT ${name}: ${put.status}`);
      const started = performance.now();
      const res = await send('POST', `/cold/${name}`, { name: 'x' });
      const ms = performance.now() - started;
      if (res.status !== 200) throw new Error(`floor cold call of ${name} answered ${res.status}: ${res.text}`);
      return ms;
    };
    // The first call also warms the server and its child process; as in the cold suite, apart.
    await invoke('first', FIRST_ACTION_CODE);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const pids = processTree(server.child.pid!);
    const cpuBefore = pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
    const latencies: number[] = [];
    for (let i = 0; i < count; i++) latencies.push(await invoke(`cold${i}`, coldActionCode(i)));
    const cpu = pids.reduce((sum, pid) => sum + processCpuMs(pid), 0) - cpuBefore;
    return { actions: count, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: Math.max(...latencies), cpuMsPerAction: cpu / count };
  } finally {
    await server.stop();
  }
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
  console.log('floor: cold start, isolates in a child process, record committed before the answer:', await floorColdStart());
}
