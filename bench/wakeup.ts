/**
 * Suite "wakeup": what one hop between two processes costs when they share a core and when they sit
 * on different cores. Every request the server answers crosses processes (client, server, isolate
 * worker, and the writer thread), so this is the price a second core charges for taking part.
 * Two node processes bounce one byte over a pipe; the figure is the mean round trip.
 */
import { spawn } from 'node:child_process';
import { HAS_TASKSET, NODE } from './lib.ts';

export interface WakeupResult {
  roundTrips: number;
  /** Mean round trip, both processes on the load core (this process runs there). */
  sameCoreUs: number;
  /** Mean round trip, the echoing process on the server core. */
  crossCoreUs: number;
  note: string;
}

const ECHO = "process.stdin.on('data', (b) => process.stdout.write(b));";

/** Mean round trip in µs between this process and an echoing child pinned to `core`. */
async function roundTripUs(core: string, roundTrips: number): Promise<number> {
  const child = HAS_TASKSET ? spawn('taskset', ['-c', core, NODE, '-e', ECHO]) : spawn(NODE, ['-e', ECHO]);
  try {
    const bounce = (): Promise<void> => new Promise((resolve) => child.stdout.once('data', () => resolve()));
    // Warm both ends first: the first trips include the child's start-up.
    for (let i = 0; i < 200; i++) {
      const back = bounce();
      child.stdin.write('x');
      await back;
    }
    const started = performance.now();
    for (let i = 0; i < roundTrips; i++) {
      const back = bounce();
      child.stdin.write('x');
      await back;
    }
    return ((performance.now() - started) * 1000) / roundTrips;
  } finally {
    child.kill();
  }
}

export async function wakeup(roundTrips = 20_000): Promise<WakeupResult> {
  // This process sits on the load core (lib.ts pins it to core 1).
  const sameCoreUs = await roundTripUs('1', roundTrips);
  const crossCoreUs = await roundTripUs('0', roundTrips);
  const note = HAS_TASKSET ? 'this process on core 1; the echo on core 1, then on core 0' : 'not pinned (no taskset or one core): both runs are the same setup';
  return { roundTrips, sameCoreUs, crossCoreUs, note };
}

if (import.meta.main) {
  console.log('wakeup:', await wakeup());
}
