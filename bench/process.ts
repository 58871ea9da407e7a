/**
 * Suite "process": time from spawn to the first served request (GET /api/v1 answering 200), and
 * idle RSS a second after it, of the server as `npm start` runs it: the bundle scripts/build.ts
 * makes (built first), started with package.json's start command line (startCommand). RSS counts the server process and every
 * process under it (isolate workers, when any are running), in MB = 10^6 bytes (bench/units.ts).
 * Then the same server's RSS after its first action ran: one action deployed and invoked once,
 * read 1.5 s later (by then its worker process and the spare have started), per process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_CLI, buildBundle, startCommand } from '../scripts/build.ts';
import { api, NODE, percentile, pinned, processTree, ROOT, rssMb, treeRssMb } from './lib.ts';

export interface ProcessResult {
  runs: number;
  spawnToFirstRequestP50Ms: number;
  spawnToFirstRequestMaxMs: number;
  /** Server process and its isolate worker processes together, in MB (10^6 bytes). */
  idleRssMb: number;
  /** After one action was deployed and invoked once (medians): the server, its worker, the spare, all. */
  afterFirstInvoke: { serverMb: number; workerMb: number; spareMb: number; totalMb: number };
}

interface FirstInvokeRss {
  server: number;
  /** Worker processes, largest first: the one that ran the action, then the spare. */
  workers: number[];
}

/** Deploys and invokes one action, then reads every process's RSS once the spare worker is up. */
async function afterFirstInvoke(url: string, serverPid: number): Promise<FirstInvokeRss> {
  const put = await api(url, 'PUT', '/api/v1/namespaces/_/actions/first', { exec: { kind: 'nodejs:default', code: 'function main() { return { ok: true } }' } });
  if (put.status !== 200) throw new Error(`PUT answered ${put.status}`);
  const res = await api(url, 'POST', '/api/v1/namespaces/_/actions/first?blocking=true&result=true');
  if (res.status !== 200) throw new Error(`the first invoke answered ${res.status}`);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const workers = processTree(serverPid).filter((pid) => pid !== serverPid).map(rssMb).sort((a, b) => b - a);
  return { server: rssMb(serverPid), workers };
}

async function once(port: number): Promise<{ ms: number; rss: number; first: FirstInvokeRss }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-bench-'));
  const started = performance.now();
  // On core 0, as every suite runs the server (this process, polling every 2 ms, is on core 1):
  // sharing a core with the poller made the start-up look 30-50 ms slower. taskset execs node
  // (same pid).
  const start = startCommand();
  const [cmd, args] = pinned('0', NODE, [...start.nodeFlags, BUNDLE_CLI, ...start.args, '--port', String(port), '--data-dir', dataDir]);
  const child = spawn(cmd, args, { cwd: ROOT, stdio: 'ignore', env: { ...process.env, ...start.env } });
  try {
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1`);
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      if (performance.now() - started > 10_000) throw new Error('server did not answer within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const ms = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const rss = treeRssMb(child.pid!);
    return { ms, rss, first: await afterFirstInvoke(`http://127.0.0.1:${port}`, child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function processFigures(runs = Number(process.env.BENCH_PROCESS_RUNS ?? 5)): Promise<ProcessResult> {
  await buildBundle();
  const times: number[] = [];
  const rss: number[] = [];
  const firsts: FirstInvokeRss[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await once(32000 + Math.floor(Math.random() * 20000));
    times.push(r.ms);
    rss.push(r.rss);
    firsts.push(r.first);
  }
  const median = (pick: (first: FirstInvokeRss) => number): number => percentile(firsts.map(pick), 50);
  return {
    runs,
    spawnToFirstRequestP50Ms: percentile(times, 50),
    spawnToFirstRequestMaxMs: Math.max(...times),
    idleRssMb: percentile(rss, 50),
    afterFirstInvoke: {
      serverMb: median((f) => f.server),
      workerMb: median((f) => f.workers[0] ?? 0),
      spareMb: median((f) => f.workers[1] ?? 0),
      totalMb: median((f) => f.server + f.workers.reduce((sum, mb) => sum + mb, 0)),
    },
  };
}

if (import.meta.main) {
  console.log('process:', await processFigures());
}
