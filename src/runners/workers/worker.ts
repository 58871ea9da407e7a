/**
 * An isolate worker process: an IsolatePool serving calls from the server over fd 3 (see
 * supervisor.ts). V8 can abort a whole process when an isolate runs out of memory in places it
 * cannot unwind from; here that takes down this process only, and the server starts another.
 *
 * Started as `node --no-node-snapshot worker.ts` with its options in EDGEWHISK_WORKER. It exits
 * when the server's end of the socket closes, so it never outlives the server.
 */
import { Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Egress } from '../../egress/fetch.ts';
import type { ApiAnswer, ApiCall } from '../isolate/api.ts';
import type { CallContext } from '../isolate/instance.ts';
import { IsolatePool, type IsolatePoolStats } from '../isolate/pool.ts';
import type { RunnableAction } from '../runner.ts';
import { Channel } from './channel.ts';
import { COMPILERS_RESIDENT_MB, RELEASE_COMPILERS, WORKER_ENV, type FromWorker, type ToWorker, type WorkerOptions } from './protocol.ts';

/** Action code kept for calls that name only the key; the server sends it again when asked. */
const MAX_ACTIONS = 20_000;

const options = JSON.parse(process.env[WORKER_ENV] ?? '{}') as WorkerOptions;
const actions = new Map<string, RunnableAction>();
const apiCalls = new Map<number, { resolve: (answer: ApiAnswer) => void; reject: (error: Error) => void }>();
let nextApiCall = 1;
let tainted = false;
let statsDue = false;
/** The stats the server has last been sent: a batch carries them again only when they changed. */
let statsSent: IsolatePoolStats | undefined;
let closing = false;

const channel = new Channel(new Socket({ fd: 3, readable: true, writable: true }), (message, payload) => onMessage(message as ToWorker, payload), () => process.exit(1));
const send = (message: FromWorker, payload?: string): void => channel.send(message, payload);

/** Anything leaving the process may be an effect of the calls in flight: the server must not run them again. */
function taint(): void {
  if (tainted) return;
  tainted = true;
  send({ t: 'taint' });
}

const originalFetch = Egress.prototype.fetch;
Egress.prototype.fetch = function (this: Egress, ...args: Parameters<Egress['fetch']>) {
  taint();
  return originalFetch.apply(this, args);
};

/**
 * This process's full garbage collection, for the pool to run before it takes memory from the warm
 * isolates (ResidentBound in pool.ts). Not through --expose-gc: under that flag V8 installs `gc` in
 * every context it makes, every action's isolate included (a function OpenWhisk's runtime does not
 * have, compiled into each new context). The flag is on for one Node context only.
 */
function collectorOfThisProcess(): () => void {
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as () => void;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

const pool = new IsolatePool({
  memoryBudgetMb: options.memoryBudgetMb,
  budgetOf: 'process',
  collectGarbage: collectorOfThisProcess(),
  idleProcesses: options.idleProcesses,
  laterGrowthMb: options.compilersHeld ? COMPILERS_RESIDENT_MB : 0,
  maxInstancesPerAction: options.maxInstancesPerAction,
  fastSliceMs: options.fastSliceMs,
  // A turn's calls come in one read of the channel: they are all queued by the end of that task.
  batchWindow: 'task',
  now: Date.now,
  egress: options.egress,
  ...(options.api
    ? {
        api: (call: ApiCall) =>
          new Promise<ApiAnswer>((resolve, reject) => {
            taint();
            const id = nextApiCall++;
            apiCalls.set(id, { resolve, reject });
            send({ t: 'api', id, call });
          }),
      }
    : {}),
});

/**
 * The pool's stats, for the server's /metrics, when they differ from those it has. In steady
 * state they do not change from call to call (heaps are measured every 256 calls, the resident
 * size at cold starts), and a stats message on every write cost this process about 1 µs a call
 * at one call per write (bench/servers/worker-driver.ts), and the server its parse.
 */
function changedStats(): FromWorker | undefined {
  const stats = pool.stats();
  if (statsSent !== undefined && sameStats(stats, statsSent)) return undefined;
  statsSent = stats;
  return { t: 'stats', stats };
}

function sameStats(a: IsolatePoolStats, b: IsolatePoolStats): boolean {
  for (const key of Object.keys(a) as (keyof IsolatePoolStats)[]) if (a[key] !== b[key]) return false;
  return true;
}

channel.beforeFlush = () => {
  tainted = false;
  if (!statsDue) return undefined;
  statsDue = false;
  return changedStats();
};

/**
 * Who a call acts as. Its environment is in its input; only a cold start (the action's init) and
 * an API call need it, so the input is parsed for it then, not on every call.
 *
 * A class, with the getter on its prototype: an object literal with a getter made per call gave
 * every call its own hidden class, which V8 keeps in the old generation, holding the getter's
 * closure — and with it the call's input — through every young-generation collection until a
 * full one. Measured with --trace-gc-nvp on this process under `wrk -c64` against a web action:
 * survived per scavenge 2.5-2.8 MB with the literal, under 50 KB with a plain object.
 */
class CallIdentity implements CallContext {
  readonly apiKey: string | undefined;
  private readonly input: string;
  private parsedEnv: Record<string, string> | undefined;

  constructor(input: string, apiKey: string | undefined) {
    this.input = input;
    this.apiKey = apiKey;
  }

  get env(): Record<string, string> {
    this.parsedEnv ??= (JSON.parse(this.input) as { e?: Record<string, string> }).e ?? {};
    return this.parsedEnv;
  }
}

/** Set once the first call has turned V8's optimizing compilers back on (protocol.ts HOLD_COMPILERS). */
let compilersReleased = !options.compilersHeld;

function onMessage(message: ToWorker, payload: string | undefined): void {
  switch (message.t) {
    case 'run': {
      if (!compilersReleased) {
        compilersReleased = true;
        for (const flag of RELEASE_COMPILERS) setFlagsFromString(flag);
      }
      let action = message.action;
      if (action !== undefined) {
        if (actions.size >= MAX_ACTIONS) actions.delete(actions.keys().next().value!);
        actions.set(message.key, action);
      } else {
        action = actions.get(message.key);
        if (action === undefined) return send({ t: 'need', id: message.id });
      }
      const { id } = message;
      const input = payload ?? '{}';
      pool.runPrepared(action, input, new CallIdentity(input, message.apiKey)).then(
        (outcome) => {
          statsDue = true;
          if (outcome.kind === 'output') {
            const { start, end, initTime } = outcome;
            send(initTime === undefined ? { t: 'output', id, start, end } : { t: 'output', id, start, end, initTime }, outcome.output);
            return;
          }
          const { result } = outcome;
          try {
            send({ t: 'result', id, result });
          } catch (error) {
            // A result this process cannot serialize must not take it down.
            console.error('isolate worker: unsendable result:', error);
            send({ t: 'result', id, result: { ...result, statusCode: 2, result: { error: 'The action did not produce a valid JSON response.' }, logs: [] } });
          }
        },
        (error: unknown) => {
          console.error('isolate worker: run failed:', error);
          send({ t: 'result', id, result: { statusCode: 3, result: { error: 'The action could not be run.' }, logs: [], start: Date.now(), end: Date.now(), timedOut: false } });
        },
      );
      return;
    }
    case 'prepare':
      return pool.prepare();
    case 'invalidate': {
      pool.invalidate(message.prefix);
      for (const key of actions.keys()) if (key.startsWith(message.prefix)) actions.delete(key);
      statsDue = false;
      const stats = changedStats();
      if (stats !== undefined) send(stats);
      return;
    }
    case 'api': {
      const waiter = apiCalls.get(message.id);
      apiCalls.delete(message.id);
      if (message.answer) waiter?.resolve(message.answer);
      else waiter?.reject(new Error(message.error ?? 'The API call failed'));
      return;
    }
    case 'ping':
      return send({ t: 'pong' });
    case 'close':
      void shutdown();
      return;
  }
}

async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  await pool.close().catch(() => undefined);
  channel.close();
  process.exit(0);
}

// The server is gone (or closed our end): nothing is left to serve.
channel.onEnd = () => process.exit(0);
process.on('uncaughtException', (error) => {
  console.error('isolate worker: uncaught exception:', error);
  process.exit(1);
});
send({ t: 'ready' });
