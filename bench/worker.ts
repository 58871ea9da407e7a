/**
 * Suite "worker": the isolate worker process alone, driven over its socket as the server drives it
 * (bench/servers/worker-driver.ts) — one call at a time, as at one connection, and 16 at a time, as
 * under load — against the floor's child process (bench/servers/floor.ts) driven the same way. The
 * driver and the child share the server core, as the server and its worker do. Per call: the round
 * trip, the child's CPU (all its threads) and its context switches. What the worker spends beyond
 * the floor's child is its own code per call: the channel's messages, the pool, the runtime's
 * envelope around the action (environment, logs, the result's JSON).
 */
import { spawnSync } from 'node:child_process';
import { HAS_TASKSET, NODE, pinned, ROOT } from './lib.ts';

export interface WorkerCallFigures {
  batch: number;
  calls: number;
  roundTripUsPerCall: number;
  cpuUsPerCall: number;
  switchesPerCall: number;
}

export interface WorkerHopResult {
  worker: WorkerCallFigures[];
  floor: WorkerCallFigures[];
  note: string;
}

const CALLS = Number(process.env.BENCH_WORKER_CALLS ?? 20_000);
const BATCHES = [1, 16];

function drive(child: 'worker' | 'floor'): WorkerCallFigures[] {
  const [cmd, argv] = pinned('0', NODE, ['--no-node-snapshot', 'bench/servers/worker-driver.ts', child, String(CALLS), ...BATCHES.map(String)]);
  const run = spawnSync(cmd, argv, { cwd: ROOT, encoding: 'utf8' });
  const line = run.stdout.trim().split('\n').pop() ?? '';
  if (run.status !== 0 || !line.startsWith('{')) throw new Error(`worker driver (${child}) failed: ${run.stderr || run.stdout}`);
  const { cpus, results } = JSON.parse(line) as { cpus: string; results: WorkerCallFigures[] };
  if (HAS_TASKSET && cpus !== '0') throw new Error(`worker driver (${child}) ran on cores ${cpus}, not the server core`);
  return results;
}

export function workerHop(): WorkerHopResult {
  const note = HAS_TASKSET ? 'driver and child on core 0' : 'not pinned (no taskset or one core)';
  return { worker: drive('worker'), floor: drive('floor'), note };
}

/** One line per batch size: the worker's figures and the floor child's. */
export function workerHopLines(result: WorkerHopResult): string[] {
  return result.worker.map((w) => {
    const f = result.floor.find((x) => x.batch === w.batch)!;
    const figures = (x: WorkerCallFigures): string => `${x.roundTripUsPerCall.toFixed(1)} µs round trip, ${x.cpuUsPerCall.toFixed(1)} µs CPU, ${x.switchesPerCall.toFixed(2)} switches`;
    return `${w.batch} call${w.batch > 1 ? 's' : ''} a write: worker ${figures(w)} per call; the floor's child ${figures(f)}`;
  });
}

if (import.meta.main) {
  const result = workerHop();
  console.log(`isolate worker alone (${CALLS} calls per figure, ${result.note}):`);
  for (const line of workerHopLines(result)) console.log(`  ${line}`);
}
