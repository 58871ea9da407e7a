/** Suite "process": time from spawn to the first served request, and idle RSS after start. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODE, percentile, ROOT, treeRssMb } from './lib.ts';

export interface ProcessResult {
  runs: number;
  spawnToFirstRequestP50Ms: number;
  spawnToFirstRequestMaxMs: number;
  /** Server process and its isolate worker processes together. */
  idleRssMb: number;
}

async function once(port: number): Promise<{ ms: number; rss: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-bench-'));
  const started = performance.now();
  const child = spawn(NODE, ['--no-node-snapshot', 'src/cli.ts', 'serve', '--port', String(port), '--data-dir', dataDir], { cwd: ROOT, stdio: 'ignore' });
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
