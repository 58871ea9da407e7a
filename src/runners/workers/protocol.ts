/** The messages between the server (supervisor.ts) and an isolate worker process (worker.ts). */
import type { EgressOptions } from '../../egress/fetch.ts';
import type { IsolatePoolStats } from '../isolate/pool.ts';
import type { ApiAnswer, ApiCall } from '../isolate/api.ts';
import type { RunnableAction, RunResult } from '../runner.ts';

/** What a worker is started with (JSON in EDGEWHISK_WORKER). */
export interface WorkerOptions {
  /** Resident memory this process may hold (MB), leaving room for `idleProcesses` idle ones. */
  memoryBudgetMb: number;
  idleProcesses: number;
  maxInstancesPerAction: number;
  fastSliceMs: number;
  egress: EgressOptions;
  /** Whether require('openwhisk') reaches the server's API (through the parent). */
  api: boolean;
  /** Started with HOLD_COMPILERS: the worker turns the compilers back on as its first call arrives. */
  compilersHeld: boolean;
}

/**
 * V8's optimizing compilers, off in the spare worker process until its first call (src/jit.ts
 * says why for the server). A worker runs Node's bootstrap from source (--no-node-snapshot), and
 * that alone had V8 optimize enough to keep 8.5 MB resident, in the spare too, which may never get
 * a call. On the command line, since the bootstrap runs before any code of ours. A worker started
 * to work at once is not held: with the hold, what its start-up made hot was compiled during its
 * first calls instead, and the cold-start suite's p99 rose from 7.7–9.9 to 10.7–11.9 ms (4 A/B runs).
 */
export const HOLD_COMPILERS = ['--no-maglev', '--no-turbofan'];
export const RELEASE_COMPILERS = ['--maglev', '--turbofan'];
/**
 * What the compilers add to a worker's resident memory once they run (their code paged in, what
 * they compile): 8.5–9.2 MB, an idle worker started with them against one started without (the
 * bundle, Node 24.21). A held worker (a spare given work) measures itself idle at its first call,
 * before they have run, so its memory budget keeps this much free from the start. When every
 * worker was held, workers under a 200 MB budget (test/reliability/memory-budget.test.ts) peaked at
 * 194–201 MB (9 runs) without this, 189–195 with it (4 runs); 190–196 unheld (5 runs).
 */
export const COMPILERS_RESIDENT_MB = 9;

export const WORKER_ENV = 'EDGEWHISK_WORKER';

/**
 * Server → worker. Messages travel as a JSON header and, for some, a payload text (channel.ts).
 */
export type ToWorker =
  /**
   * A call; the payload is its isolate input (pool.ts isolateInput). `action` is left out once the
   * worker has it (it answers `need` if it does not).
   */
  | { t: 'run'; id: number; key: string; action?: RunnableAction; apiKey?: string }
  | { t: 'invalidate'; prefix: string }
  /** An action was deployed: its first call is likely soon (Runner.prepare). */
  | { t: 'prepare' }
  | { t: 'api'; id: number; answer?: ApiAnswer; error?: string }
  | { t: 'ping' }
  | { t: 'close' };

/** Worker → server. */
export type FromWorker =
  | { t: 'ready' }
  /** A finished call; the payload is its output as the isolate wrote it (pool.ts resultOf reads it). */
  | { t: 'output'; id: number; start: number; end: number; initTime?: number }
  /** A call the pool answered itself (timed out, out of memory, failed). */
  | { t: 'result'; id: number; result: RunResult }
  | { t: 'need'; id: number }
  /** An action asked for the API; the answer comes back as `api` with the same id. */
  | { t: 'api'; id: number; call: ApiCall }
  /** Something left the worker (a fetch, an API call): every call in flight may have had effects. */
  | { t: 'taint' }
  | { t: 'stats'; stats: IsolatePoolStats }
  | { t: 'pong' };
