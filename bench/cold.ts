/**
 * Suite "cold": the first invoke of N freshly created actions, end to end over HTTP (one at a time).
 *
 * A server's first invoke also starts its isolate worker process (about 0.15 s), once, and the spare
 * worker starts at the first pause after it: one-time start-up, not part of any action's cold
 * start. So one action is invoked first and reported apart (`firstInvokeMs`), the suite pauses as
 * a server does between calls, and then the N cold starts are measured.
 *
 * A deploy tells the server an action's first call is likely soon, and the isolate worker makes a
 * blank isolate for it then if it has none ready (src/runners/isolate/blank.ts): part of a cold
 * start's work can happen while the deploy is answered. So the deploys' own latencies are reported
 * too (`deploy*`), and a second loop invokes N actions deployed earlier, one after the other with
 * no deploy in between (`deployedEarlier`): cold starts with no such hint.
 */
import { startEdgewhisk } from './edgewhisk.ts';
import { fetchClient, httpClient, percentile, processCpuMs, processTree, type ApiClient } from './lib.ts';

/** `http`: node:http, one kept-alive connection; `fetch`: Node's fetch (the suite's client until 2026-11). */
export type ColdClient = 'http' | 'fetch';

export interface ColdResult {
  actions: number;
  client: ColdClient;
  /** The server's first invoke (an action of its own, before the N): it also starts the worker process. */
  firstInvokeMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The PUT before each measured invoke (its deploy), median and p99. */
  deployP50Ms: number;
  deployP99Ms: number;
  /** Each deploy and first invoke together, median: where work moves from one to the other, this shows it. */
  deployAndInvokeP50Ms: number;
  /** The first invokes of N other actions, all deployed before the first of them is invoked. */
  deployedEarlier: { p50Ms: number; p99Ms: number; maxMs: number };
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
   * something else holds).
   */
  serverCpuMsPerAction: number;
  /** The same for the other worker processes (the spare: started before the N, idle unless it had to take over). */
  otherWorkersCpuMsPerAction: number;
}

/** The action the server's first invoke deploys, before the measured ones. */
export const FIRST_ACTION_CODE = 'function main(p) { return { first: true } }';

/** Deploys (PUT, overwriting) a Node.js action through `send`; answers how long the PUT took, ms. */
export async function deployAction(send: ApiClient, name: string, code: string): Promise<number> {
  const started = performance.now();
  const put = await send('PUT', `/api/v1/namespaces/_/actions/${name}?overwrite=true`, { exec: { kind: 'nodejs:default', code } });
  if (put.status !== 200) throw new Error(`PUT ${name}: ${put.status} ${put.text}`);
  return performance.now() - started;
}

/** Cold action `i`: distinct code per action, so nothing can be shared between them but the prelude. */
export function coldActionCode(i: number): string {
  return `function main(p) { return { n: ${i}, hello: p.name } }`;
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
    const deploy = (name: string, code: string): Promise<number> => deployAction(send, name, code);
    const firstCall = async (name: string): Promise<{ ms: number; initTime: number }> => {
      const started = performance.now();
      const res = await send('POST', `/api/v1/namespaces/_/actions/${name}?blocking=true`, { name: 'x' });
      const ms = performance.now() - started;
      if (res.status !== 200) throw new Error(`cold invoke of ${name} answered ${res.status}`);
      const record = JSON.parse(res.text) as { annotations: { key: string; value: unknown }[] };
      const init = record.annotations.find((a) => a.key === 'initTime');
      if (typeof init?.value !== 'number') throw new Error(`cold invoke of ${name} has no initTime annotation`);
      return { ms, initTime: init.value };
    };
    await deploy('first', FIRST_ACTION_CODE);
    const first = await firstCall('first');
    // The spare worker starts at the first 0.1 s pause in the calls (src/runners/workers/supervisor.ts).
    await new Promise((resolve) => setTimeout(resolve, 500));
    const latencies: number[] = [];
    const initTimes: number[] = [];
    const deploys: number[] = [];
    const cpuBefore = cpuByProcess(server.child.pid!);
    for (let i = 0; i < count; i++) {
      deploys.push(await deploy(`cold${i}`, coldActionCode(i)));
      const { ms, initTime } = await firstCall(`cold${i}`);
      latencies.push(ms);
      initTimes.push(initTime);
    }
    const cpu = cpuPerAction(server.child.pid!, cpuBefore, count);
    // Other actions (their code distinct from the ones above), all deployed first, then a pause.
    for (let i = 0; i < count; i++) await deploy(`early${i}`, coldActionCode(count + i));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const early: number[] = [];
    for (let i = 0; i < count; i++) early.push((await firstCall(`early${i}`)).ms);
    return {
      actions: count,
      client,
      firstInvokeMs: first.ms,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: Math.max(...latencies),
      deployP50Ms: percentile(deploys, 50),
      deployP99Ms: percentile(deploys, 99),
      deployAndInvokeP50Ms: percentile(deploys.map((ms, i) => ms + latencies[i]!), 50),
      deployedEarlier: { p50Ms: percentile(early, 50), p99Ms: percentile(early, 99), maxMs: Math.max(...early) },
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
