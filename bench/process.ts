/**
 * Suite "process": time from spawn to the first served request (GET /api/v1 answering 200), and
 * idle RSS a second after it, of the server as `npm start` runs it: the bundle scripts/build.ts
 * makes (built first), `node dist/server/cli.js serve`. RSS counts the server process and every
 * process under it (isolate workers, when any are running), in MB = 10^6 bytes (bench/units.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_CLI, buildBundle } from '../scripts/build.ts';
import { NODE, percentile, pinned, ROOT, treeRssMb } from './lib.ts';

export interface ProcessResult {
  runs: number;
  spawnToFirstRequestP50Ms: number;
  spawnToFirstRequestMaxMs: number;
  /** Server process and its isolate worker processes together, in MB (10^6 bytes). */
  idleRssMb: number;
}

async function once(port: number): Promise<{ ms: number; rss: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-bench-'));
  const started = performance.now();
  // On core 0, as every suite runs the server (this process, polling every 2 ms, is on core 1):
  // sharing a core with the poller made the start-up look 30-50 ms slower. taskset execs node
  // (same pid).
  const [cmd, args] = pinned('0', NODE, [BUNDLE_CLI, 'serve', '--port', String(port), '--data-dir', dataDir]);
  const child = spawn(cmd, args, { cwd: ROOT, stdio: 'ignore' });
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
    return { ms, rss: treeRssMb(child.pid!) };
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
  for (let i = 0; i < runs; i++) {
    const r = await once(32000 + Math.floor(Math.random() * 20000));
    times.push(r.ms);
    rss.push(r.rss);
  }
  return { runs, spawnToFirstRequestP50Ms: percentile(times, 50), spawnToFirstRequestMaxMs: Math.max(...times), idleRssMb: percentile(rss, 50) };
}

if (import.meta.main) {
  console.log('process:', await processFigures());
}
