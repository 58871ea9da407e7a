/**
 * Suite "costs": where the CPU of a warm request goes, thread by thread, and what the server's
 * protections cost. The "web" suite's 64-connection load against fresh servers in four
 * configurations — the defaults; without records of successful web calls (Adobe's default, flag
 * --record-web-successes false); with the isolates in the server process (--isolate-workers 0: no
 * process hop, but an isolate that crashes V8 takes the server down); both — and the "invoke"
 * suite's blocking invoke (its record committed before the answer) at the defaults, each reporting
 * requests/s, p99 and the CPU time per request of each group of threads, read from /proc before and
 * after the load (10 ms ticks: over a 10 s run, under 0.1 µs a request). The bare uWebSockets.js
 * hello's figure is one core's time over its requests/s (it keeps the core busy).
 */
import { invokeRequest, warmUp, withEdgewhisk, type BenchServer } from './edgewhisk.ts';
import { HELLO } from './hello.ts';
import { load, processTree, SECONDS, threadTimes, warmLoad, type LoadOptions, type LoadResult, type ThreadTime } from './lib.ts';
import { warmHelloWebAction } from './web.ts';

/** µs of CPU per request, by group of threads. */
export interface CpuPerRequest {
  /** The server's event loop: HTTP, routing, the web semantics, records queued, (in-process) the isolate calls. */
  serverMain: number;
  /** The activation writer thread: SQLite inserts and WAL checkpoints. */
  writer: number;
  /** The server process's other threads: V8's garbage collection and compiler helpers, libuv's pool. */
  serverOther: number;
  /** The isolate worker processes' event loops: the calls, their isolates, the messages to the server. */
  workerMain: number;
  /** Their other threads (V8's helpers, isolated-vm's). */
  workerOther: number;
  total: number;
}

export interface CostRun {
  configuration: string;
  flags: string[];
  load: LoadResult;
  cpuUsPerRequest: CpuPerRequest;
}

export interface CostsResult {
  runs: CostRun[];
  /** One core's time over the ceiling's requests/s at 64 connections, when the caller has it. */
  ceilingUsPerRequest?: number;
}

/** Deploys and warms what a configuration loads; returns the load's request (64 connections). */
type Workload = (server: BenchServer) => Promise<LoadOptions>;

const webGet: Workload = async (server) => ({ url: await warmHelloWebAction(server), connections: 64 });

const blockingInvoke: Workload = async (server) => {
  await server.createAction('hello', HELLO);
  const request = invokeRequest(server.url, 'hello', '?blocking=true&result=true');
  await warmUp(request.url, request);
  return { ...request, connections: 64 };
};

/**
 * What bench/servers/floor.ts is made of to stand for a configuration (the "floor" suite): where the
 * isolate runs, and whether records are written after the answer, before it, or not at all.
 */
export interface FloorParts {
  isolate: 'process' | 'server';
  records: 'eventual' | 'durable' | 'none';
  request: 'web' | 'invoke';
}

export const CONFIGURATIONS: { configuration: string; flags: string[]; workload: Workload; floor: FloorParts }[] = [
  {
    configuration: 'web GET, defaults (isolates in a worker process, every record kept)',
    flags: [],
    workload: webGet,
    floor: { isolate: 'process', records: 'eventual', request: 'web' },
  },
  {
    configuration: 'web GET, successful web calls not recorded',
    flags: ['--record-web-successes', 'false'],
    workload: webGet,
    floor: { isolate: 'process', records: 'none', request: 'web' },
  },
  {
    configuration: 'web GET, isolates in the server process',
    flags: ['--isolate-workers', '0'],
    workload: webGet,
    floor: { isolate: 'server', records: 'eventual', request: 'web' },
  },
  {
    configuration: 'web GET, isolates in the server process, successes not recorded',
    flags: ['--isolate-workers', '0', '--record-web-successes', 'false'],
    workload: webGet,
    floor: { isolate: 'server', records: 'none', request: 'web' },
  },
  {
    configuration: 'blocking invoke, defaults (record committed before the answer)',
    flags: [],
    workload: blockingInvoke,
    floor: { isolate: 'process', records: 'durable', request: 'invoke' },
  },
];

/** Per-request CPU of each thread group between two readings of the server's process tree. */
export function cpuPerRequest(serverPid: number, before: Map<number, ThreadTime>, after: Map<number, ThreadTime>, requests: number): CpuPerRequest {
  const cost: CpuPerRequest = { serverMain: 0, writer: 0, serverOther: 0, workerMain: 0, workerOther: 0, total: 0 };
  for (const [tid, now] of after) {
    const ms = now.ms - (before.get(tid)?.ms ?? 0);
    if (ms <= 0) continue;
    const us = (ms * 1000) / requests;
    const inServer = now.pid === serverPid;
    const main = tid === now.pid;
    if (inServer && main) cost.serverMain += us;
    else if (inServer && now.name === 'activation-writ') cost.writer += us;
    else if (inServer) cost.serverOther += us;
    else if (main) cost.workerMain += us;
    else cost.workerOther += us;
    cost.total += us;
  }
  return cost;
}

export async function costs(ceilingRequestsPerSec?: number): Promise<CostsResult> {
  const runs: CostRun[] = [];
  for (const { configuration, flags, workload } of CONFIGURATIONS) {
    runs.push(
      await withEdgewhisk(flags, '0', async (server) => {
        const request = await workload(server);
        await warmLoad(request);
        const pid = server.child.pid!;
        const before = threadTimes(processTree(pid));
        const result = load(request);
        const after = threadTimes(processTree(pid));
        return { configuration, flags, load: result, cpuUsPerRequest: cpuPerRequest(pid, before, after, result.requests) };
      }),
    );
  }
  return { runs, ...(ceilingRequestsPerSec ? { ceilingUsPerRequest: 1e6 / ceilingRequestsPerSec } : {}) };
}

/** One line per configuration: requests/s, p99, and µs per request by thread group. */
export function costLines(result: CostsResult): string[] {
  const us = (n: number): string => n.toFixed(1);
  const lines = result.runs.map(({ configuration, load: l, cpuUsPerRequest: c }) =>
    `${configuration}: ${l.requestsPerSec.toFixed(0)} req/s, p99 ${l.p99Ms.toFixed(1)} ms; CPU µs/request: ` +
      `server loop ${us(c.serverMain)}, writer ${us(c.writer)}, server GC/helpers ${us(c.serverOther)}, ` +
      `worker loop ${us(c.workerMain)}, worker helpers ${us(c.workerOther)} = ${us(c.total)}`,
  );
  if (result.ceilingUsPerRequest !== undefined) lines.push(`bare uWS hello: ${us(result.ceilingUsPerRequest)} µs of its core a request`);
  return lines;
}

if (import.meta.main) {
  console.log(`costs of a warm request, 64 connections (${SECONDS}s per run):`);
  for (const line of costLines(await costs())) console.log(`  ${line}`);
}
