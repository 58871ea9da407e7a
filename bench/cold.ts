/** Suite "cold": the first invoke of N freshly created actions, end to end over HTTP (one at a time). */
import { startEdgewhisk } from './edgewhisk.ts';
import { fetchClient, httpClient, percentile, processCpuMs, processTree } from './lib.ts';

/** `http`: node:http, one kept-alive connection; `fetch`: Node's fetch (the suite's client until 2026-11). */
export type ColdClient = 'http' | 'fetch';

export interface ColdResult {
  actions: number;
  client: ColdClient;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The server's own initTime annotation (isolate + context + prelude + action init), median. */
  initTimeP50Ms: number;
  /**
   * The same client's round trip of `GET /api/v1` (the server does next to nothing), median, timed
   * before the cold starts: the part of the figures above that is the client, loopback and the
   * wake-ups of two processes, not the server.
   */
  httpFloorP50Ms: number;
  /**
   * CPU time (all threads) per action during the cold starts, its PUT included, of the server
   * process and of the isolate worker that ran the cold starts (the busiest one): what a cold start
   * costs the machine, apart from the latency figures' noise (they also hold waiting for a core
   * something else holds). From the second action on: the first starts the worker process.
   */
  serverCpuMsPerAction: number;
  /** The same for the other worker processes (the spare, which starts at some point of the run). */
  otherWorkersCpuMsPerAction: number;
}

export async function coldStart(
  count = Number(process.env.BENCH_COLD_ACTIONS ?? 200),
  client: ColdClient = process.env.BENCH_COLD_CLIENT === 'fetch' ? 'fetch' : 'http',
): Promise<ColdResult> {
  const server = await startEdgewhisk();
  const send = client === 'fetch' ? fetchClient(server.url) : httpClient(server.url);
  try {
    const floor: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      const res = await send('GET', '/api/v1');
      floor.push(performance.now() - started);
      if (res.status !== 200) throw new Error(`GET /api/v1 answered ${res.status}`);
    }
    const latencies: number[] = [];
    const initTimes: number[] = [];
    let cpuBefore = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      if (i === 1) cpuBefore = cpuByProcess(server.child.pid!);
      // Distinct code per action, so nothing can be shared between them but the prelude.
      const code = `function main(p) { return { n: ${i}, hello: p.name } }`;
      const put = await send('PUT', `/api/v1/namespaces/_/actions/cold${i}?overwrite=true`, { exec: { kind: 'nodejs:default', code } });
      if (put.status !== 200) throw new Error(`PUT cold${i}: ${put.status} ${put.text}`);
      const started = performance.now();
      const res = await send('POST', `/api/v1/namespaces/_/actions/cold${i}?blocking=true`, { name: 'x' });
      const record = JSON.parse(res.text) as { annotations: { key: string; value: unknown }[] };
      latencies.push(performance.now() - started);
      if (res.status !== 200) throw new Error(`cold invoke ${i} answered ${res.status}`);
      const init = record.annotations.find((a) => a.key === 'initTime');
      if (typeof init?.value !== 'number') throw new Error(`cold invoke ${i} has no initTime annotation`);
      initTimes.push(init.value);
    }
    const cpu = cpuPerAction(server.child.pid!, cpuBefore, count - 1);
    return {
      actions: count,
      client,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: Math.max(...latencies),
      initTimeP50Ms: percentile(initTimes, 50),
      httpFloorP50Ms: percentile(floor, 50),
      serverCpuMsPerAction: cpu.server + cpu.busiestWorker,
      otherWorkersCpuMsPerAction: cpu.otherWorkers,
    };
  } finally {
    await server.stop();
  }
}

function cpuByProcess(serverPid: number): Map<number, number> {
  return new Map(processTree(serverPid).map((pid) => [pid, processCpuMs(pid)]));
}

/** CPU ms per action since `before`, of the server, the busiest worker, and the other workers (new ones whole). */
function cpuPerAction(serverPid: number, before: Map<number, number>, actions: number): { server: number; busiestWorker: number; otherWorkers: number } {
  const used = [...cpuByProcess(serverPid)].map(([pid, ms]) => ({ pid, ms: ms - (before.get(pid) ?? 0) }));
  const server = used.find((p) => p.pid === serverPid)?.ms ?? 0;
  const workers = used.filter((p) => p.pid !== serverPid).map((p) => p.ms).sort((a, b) => b - a);
  const busiestWorker = workers[0] ?? 0;
  const otherWorkers = workers.slice(1).reduce((sum, ms) => sum + ms, 0);
  return { server: server / actions, busiestWorker: busiestWorker / actions, otherWorkers: otherWorkers / actions };
}

if (import.meta.main) {
  console.log('cold start:', await coldStart());
}
