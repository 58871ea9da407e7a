/**
 * Isolates in supervised worker processes. V8 is not resilient to running out of memory: some
 * allocations (hash tables growing in dictionary mode, `new Array(2 ** 30).fill(0)`, a Set or an
 * object with millions of keys) abort the whole process, whatever the isolate's memory limit, and
 * some memory an isolate uses (Intl objects) is not counted against that limit and is not given
 * back. So the isolates run in worker processes (worker.ts), each an IsolatePool, and this runner
 * is their supervisor:
 *
 * - Each action lives in one shared worker (a hash of its name), so its warm isolates stay warm.
 * - Processes start when first needed: a shared worker when an action hashed to it is deployed
 *   or first called (or at start, if schedules will run actions), the spare once a worker it
 *   could replace is up and the calls pause (SPARE_IDLE_MS). An idle server that has run no
 *   action holds no worker process (each costs tens of MB), and starting the server does not
 *   wait for one. Calls sent to a worker that is still starting wait in the server until it says
 *   it is ready, so a worker that dies before that has run none of them: they go to its
 *   replacement.
 * - A worker that dies is replaced at once by a spare process kept started for that. Its calls in
 *   flight are settled one by one: a call that was alone in the worker, or that kills a solo
 *   process, is the culprit ("The action exhausted its memory and was aborted."), and its action
 *   is quarantined: for a while its calls run in a quarantine worker of their own, where they can
 *   only take down each other. Other calls are bystanders: if nothing left the worker while they
 *   ran (no fetch, no API call: the worker says when something does), each is run again in a solo
 *   process (which also finds the culprit); otherwise running it again could repeat an effect,
 *   so it fails with a system error (at most once).
 * - A timed-out isolate's thread can outlive the timeout inside a native builtin and take the
 *   process down later; so actions that timed out in a worker lately are suspects when it dies,
 *   and an idle worker that keeps burning CPU after a timeout is replaced.
 * - A watchdog reads each worker's resident memory: past the hard cap the worker is killed (as a
 *   crash); past three quarters of it the worker is replaced and retires once its calls are done,
 *   which gives back memory V8 never returned (Intl objects, WebAssembly memories are not counted
 *   against an isolate's limit). A worker whose event loop stops answering pings while it has
 *   calls is killed too.
 *
 * The cost is one message each way per call, batched per event-loop turn (see channel.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { isolateProcessEnv } from '../../cli/snapshot.ts';
import { MESSAGES } from '../../errors.ts';
import type { EgressOptions } from '../../egress/fetch.ts';
import type { ApiCaller } from '../isolate/api.ts';
import { isolateInput, resultOf } from '../isolate/outcome.ts';
import type { IsolatePoolStats } from '../isolate/pool.ts';
import type { Runner, RunRequest, RunResult } from '../runner.ts';
import { Channel } from './channel.ts';
import { HOLD_COMPILERS, WORKER_ENV, type FromWorker, type ToWorker, type WorkerOptions } from './protocol.ts';
import { Slots } from './slots.ts';

export interface IsolateWorkersOptions {
  /** Shared worker processes; each action always runs in the same one. */
  workers: number;
  /**
   * Resident memory all worker processes together may hold (MB): split evenly between the shared
   * workers, each leaving room for its part of the spare (see start()).
   */
  memoryBudgetMb: number;
  maxInstancesPerAction: number;
  fastSliceMs: number;
  egress: EgressOptions;
  api?: ApiCaller;
  /** Resident memory (MB) of one worker past which it is killed; at 3/4 of it, it is replaced. */
  workerMemoryMb: number;
  /** Calls run again after a crash, each in a process of its own: at most this many at once. */
  soloProcesses?: number;
  /** How long an action that crashed a worker runs in the quarantine worker (default 10 minutes). */
  quarantineMs?: number;
  now: () => number;
}

export interface WorkerCounters {
  /** Worker processes alive now (shared, retiring and solo). */
  processes: number;
  /** Workers that died without being asked to (including those killed for memory or a hang). */
  crashes: number;
  /** Workers started to replace another. */
  restarts: number;
  /** Workers retired for their memory. */
  recycled: number;
  /** Calls run again in a process of their own after a crash. */
  reruns: number;
  /** Resident memory of all worker processes (Linux; 0 elsewhere). */
  residentBytes: number;
}

interface Call {
  /** Its id in the worker it was last dispatched to (given by that worker's call table). */
  id: number;
  request: RunRequest;
  resolve: (result: RunResult) => void;
  /** When the call was handed to the runner (server clock). */
  dispatched: number;
  /** Something left the worker while this call was in it. */
  tainted: boolean;
  /** Workers that died before they were ready while this call waited for them. */
  failedStarts: number;
  /** What the isolate is called with, built on first dispatch (a re-run sends the same). */
  input?: string;
}

const WORKER_PATH = fileURLToPath(new URL('./entry.ts', import.meta.url));

/**
 * V8's background threads in a worker (concurrent marking and sweeping, parallel scavenges,
 * compile jobs): one fewer than the cores this process may run on (its CPU affinity), at least
 * one, at most Node's default of four. They only help where they have a core to themselves; on
 * the cores the server and its threads use too, four of them at once took the core from the
 * threads that answer calls, several ms at a time.
 */
function backgroundThreadsFlag(): string {
  // Loaded when the first worker starts, as node:child_process is (see launch).
  const cores = process.getBuiltinModule('node:os').availableParallelism();
  return `--v8-pool-size=${Math.max(1, Math.min(4, cores - 1))}`;
}
const EMPTY_STATS: IsolatePoolStats = { instances: 0, fastActions: 0, heapMb: 0, coldStarts: 0, evictions: 0, residentMb: 0, overBudgetStarts: 0 };
const WATCH_MS = 100;
const PING_MS = 1000;
const QUARANTINE_MS = 10 * 60_000;
const HANG_MS = 10_000;
/** A worker not ready this long after it was spawned is killed (and counts as a failed start). */
const START_TIMEOUT_MS = 30_000;
/** A call waiting for a worker gives up after this many of them died before they were ready. */
const MAX_FAILED_STARTS = 3;
const STOP_GRACE_MS = 2000;
const PAGE_BYTES = 4096;
const RESTART_DELAYS = [0, 100, 500, 2000, 5000];
/**
 * A timed-out isolate is disposed, but a thread stuck in a native builtin (a fill of a huge
 * dictionary-mode array, say) runs on, and may still take its process down later. For this long
 * after a timeout its action is a suspect when its worker dies.
 */
const SUSPECT_MS = 60_000;
/** An idle worker burning this share of a core for HOT_ROUNDS watchdog rounds has such a thread: it is replaced. */
const HOT_SHARE = 0.25;
const HOT_ROUNDS = 10;
const CLOCK_TICKS_PER_SECOND = 100;
/**
 * Starting a spare costs about 0.15 s of a core (Node, the sources, isolated-vm, its blank
 * isolates). Started the moment the worker it backs was up, it took that core from the calls right
 * behind it: on one core, the first few dozen cold starts each waited several ms more. So it starts
 * once no call has been in flight for SPARE_IDLE_MS, or, under a load that never pauses,
 * SPARE_MAX_WAIT_MS after it was wanted. Until then a worker that dies is replaced by a new process
 * (about 0.15 s later than by the spare); nothing else depends on it.
 */
const SPARE_IDLE_MS = 100;
const SPARE_MAX_WAIT_MS = 5000;

type Role = 'shared' | 'quarantine' | 'solo' | 'spare';

class WorkerProcess {
  role: Role;
  /** Shared workers: their index; the quarantine worker: the index after the last shared one. */
  slot = -1;
  /** The calls it runs, by the id sent with each (slots.ts says why not a Map). */
  readonly calls = new Slots<Call>();
  /** Action keys whose code this process has been sent. */
  readonly known = new Set<string>();
  stats: IsolatePoolStats = EMPTY_STATS;
  child: ChildProcess | undefined;
  channel: Channel | undefined;
  private queue: { message: ToWorker; payload: string | undefined }[] = [];
  ready = false;
  retiring = false;
  closing = false;
  exited = false;
  /** Why the supervisor killed it, if it did. */
  killedFor: 'memory' | 'hang' | 'start' | undefined;
  /** When its process was spawned (0: not yet; a restart may be delayed). */
  spawnedAt = 0;
  lastPong = Date.now();
  lastPing = 0;
  rss = 0;
  /** Action prefixes of calls that timed out here, and when (see SUSPECT_MS). */
  readonly timeouts = new Map<string, number>();
  /** CPU time (clock ticks) at the last watchdog round, and idle rounds spent busy since. */
  cpuTicks = -1;
  hotRounds = 0;
  /** Settles once the process answers (or is gone). */
  readonly up: Promise<void>;
  markUp: () => void = () => undefined;

  constructor(role: Role) {
    this.role = role;
    this.up = new Promise((resolve) => (this.markUp = resolve));
  }

  /** Messages wait here until the process is ready: until then none of its calls has started. */
  send(message: ToWorker, payload?: string): void {
    if (this.ready) this.channel!.send(message, payload);
    else this.queue.push({ message, payload });
  }

  /** The same, written at once rather than at the end of this turn: work the process should start now. */
  sendNow(message: ToWorker): void {
    this.send(message);
    if (this.ready) this.channel!.flush();
  }

  attach(child: ChildProcess, channel: Channel): void {
    this.child = child;
    this.channel = channel;
    this.spawnedAt = Date.now();
  }

  markReady(): void {
    this.ready = true;
    this.lastPong = Date.now();
    for (const { message, payload } of this.queue.splice(0)) this.channel!.send(message, payload);
    this.markUp();
  }

  kill(): void {
    if (this.exited) return;
    this.child?.kill('SIGKILL');
  }
}

export class IsolateWorkers implements Runner {
  private readonly options: IsolateWorkersOptions;
  /** Shared workers by slot, then the quarantine worker; each started when first needed. */
  private readonly slots: (WorkerProcess | undefined)[] = [];
  private readonly retiring = new Set<WorkerProcess>();
  private readonly solos = new Set<WorkerProcess>();
  private readonly soloQueue: Call[] = [];
  /** A started process kept ready, so a crashed worker is replaced (or a re-run starts) at once. */
  private spare: WorkerProcess | undefined;
  /** Set while a spare is wanted and waits for a pause in the calls (SPARE_IDLE_MS). */
  private spareTimer: NodeJS.Timeout | undefined;
  private spareWanted = 0;
  /** When a call was last dispatched to, or answered by, a worker (Date.now). */
  private lastActivity = 0;
  /** Action key prefixes (namespace/path@) → until when their calls run in the quarantine worker. */
  private readonly quarantine = new Map<string, number>();
  /** Consecutive deaths before answering, per slot, for restart back-off. */
  private readonly earlyDeaths: number[] = [];
  private readonly counters: WorkerCounters = { processes: 0, crashes: 0, restarts: 0, recycled: 0, reruns: 0, residentBytes: 0 };
  /** Cold starts and evictions of workers that are gone (the totals never go back). */
  private readonly gone = { coldStarts: 0, evictions: 0 };
  private watchdog: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly hardBytes: number;
  private readonly softBytes: number;
  private readonly quarantineSlot: number;

  constructor(options: IsolateWorkersOptions) {
    this.options = options;
    this.hardBytes = options.workerMemoryMb * 1048576;
    this.softBytes = Math.floor(this.hardBytes * 0.75);
    this.quarantineSlot = options.workers;
    for (let slot = 0; slot <= options.workers; slot++) {
      this.earlyDeaths.push(0);
      this.slots.push(undefined);
    }
  }

  run(request: RunRequest): Promise<RunResult> {
    return new Promise((resolve) => {
      const call: Call = { id: 0, request, resolve, dispatched: this.options.now(), tainted: false, failedStarts: 0 };
      if (this.closed) return resolve(this.shuttingDown(call));
      this.route(call);
    });
  }

  /** Starts the shared worker the action runs in, if it has not started yet, and has it ready a blank isolate. */
  prepare(action: { key: string }): void {
    if (!this.closed) this.sharedWorker(slotOf(action.key, this.options.workers)).sendNow({ t: 'prepare' });
  }

  /** Starts every shared worker that has not started yet; settles once all are up (or failed to start). */
  async startAll(): Promise<void> {
    const starting: Promise<void>[] = [];
    for (let slot = 0; slot < this.options.workers && !this.closed; slot++) starting.push(this.sharedWorker(slot).up);
    await Promise.all(starting);
  }

  invalidate(prefix: string): void {
    for (const worker of [...this.slots, ...this.retiring]) {
      if (!worker) continue;
      for (const key of worker.known) if (key.startsWith(prefix)) worker.known.delete(key);
      worker.send({ t: 'invalidate', prefix });
    }
  }

  stats(): IsolatePoolStats {
    const total = { ...EMPTY_STATS, coldStarts: this.gone.coldStarts, evictions: this.gone.evictions };
    for (const worker of this.live()) {
      total.instances += worker.stats.instances;
      total.fastActions += worker.stats.fastActions;
      total.heapMb += worker.stats.heapMb;
      total.coldStarts += worker.stats.coldStarts;
      total.evictions += worker.stats.evictions;
      total.residentMb += worker.stats.residentMb;
      total.overBudgetStarts += worker.stats.overBudgetStarts;
    }
    return total;
  }

  /** Process counts, and the resident memory of all worker processes now (Linux). */
  workerCounters(): WorkerCounters {
    const live = this.live();
    let residentBytes = 0;
    for (const worker of live) if (worker.child?.pid) residentBytes += readResident(worker.child.pid);
    return { ...this.counters, processes: live.length, residentBytes };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.watchdog);
    clearTimeout(this.spareTimer);
    for (const call of this.soloQueue.splice(0)) call.resolve(this.shuttingDown(call));
    await Promise.all(this.live().map((worker) => this.stop(worker)));
  }

  // ---- processes ---------------------------------------------------------------------------

  private live(): WorkerProcess[] {
    const all = [...this.slots, ...this.retiring, ...this.solos, this.spare];
    return all.filter((worker): worker is WorkerProcess => worker !== undefined && !worker.exited);
  }

  /**
   * Gives a process its role: the spare when there is one. A new spare is wanted once this
   * process is up, so it never competes with it for the CPU while a call waits (nor, see
   * SPARE_IDLE_MS, with the calls that follow).
   */
  private take(role: Role, slot = -1): WorkerProcess {
    const spare = this.spare;
    this.spare = undefined;
    const worker = this.assign(spare ?? this.start(), role, slot);
    void worker.up.then(() => this.refillSpare());
    return worker;
  }

  /** The shared worker of a slot, started now if it has none yet. */
  private sharedWorker(slot: number): WorkerProcess {
    return (this.slots[slot] ??= this.take('shared', slot));
  }

  private assign(worker: WorkerProcess, role: Role, slot: number): WorkerProcess {
    worker.role = role;
    worker.slot = slot;
    return worker;
  }

  /** Wants a spare: it starts at the next pause in the calls (see SPARE_IDLE_MS). */
  private refillSpare(): void {
    if (this.closed || (this.spare && !this.spare.exited) || this.spareTimer !== undefined) return;
    this.spareWanted = Date.now();
    this.startSpareWhenQuiet();
  }

  private startSpareWhenQuiet(): void {
    this.spareTimer = undefined;
    if (this.closed || (this.spare && !this.spare.exited)) return;
    const now = Date.now();
    const busy = this.live().some((worker) => worker.calls.size > 0);
    const quietFor = busy ? 0 : now - this.lastActivity;
    const waitedFor = now - this.spareWanted;
    if (quietFor >= SPARE_IDLE_MS || waitedFor >= SPARE_MAX_WAIT_MS) {
      this.spare = this.start(0, 'spare');
      return;
    }
    const wait = Math.min(SPARE_IDLE_MS - quietFor, SPARE_MAX_WAIT_MS - waitedFor);
    this.spareTimer = setTimeout(() => this.startSpareWhenQuiet(), wait);
    this.spareTimer.unref();
  }

  private quarantineWorker(): WorkerProcess {
    let worker = this.slots[this.quarantineSlot];
    if (!worker) {
      worker = this.take('quarantine', this.quarantineSlot);
      this.slots[this.quarantineSlot] = worker;
    }
    return worker;
  }

  /**
   * `spare`: started to wait as the spare, with V8's optimizing compilers held off until its first
   * call (protocol.ts HOLD_COMPILERS). One that starts to work at once is spared the hold: its
   * first calls would pay for compiling what its start-up made hot.
   */
  private start(delayMs = 0, purpose: 'work' | 'spare' = 'work'): WorkerProcess {
    const worker = new WorkerProcess('spare');
    const launch = (): void => {
      if (this.closed || worker.exited) return;
      // Every process starts as a spare and is given a role later, so all get the same share:
      // the budget split between the shared workers, each keeping room for its part of the spare.
      // (The quarantine and solo processes, which exist only after a crash, are not counted.)
      const options: WorkerOptions = {
        memoryBudgetMb: Math.max(16, Math.floor(this.options.memoryBudgetMb / this.options.workers)),
        idleProcesses: 1 / this.options.workers,
        maxInstancesPerAction: this.options.maxInstancesPerAction,
        fastSliceMs: this.options.fastSliceMs,
        egress: this.options.egress,
        api: this.options.api !== undefined,
        // Not under --jitless (the one compiler flag NODE_OPTIONS takes): nothing to hold, nothing to turn on.
        compilersHeld: purpose === 'spare' && !/(^|\s)--jitless(\s|$)/.test(process.env.NODE_OPTIONS ?? ''),
      };
      // Loaded here, at the first worker: node:child_process (and the dgram and net it needs) is
      // a few MB that a server which never runs an isolate action does not need.
      const { spawn } = process.getBuiltinModule('node:child_process');
      const flags = ['--no-node-snapshot', backgroundThreadsFlag(), ...(options.compilersHeld ? HOLD_COMPILERS : [])];
      const child = spawn(process.execPath, [...flags, WORKER_PATH], {
        stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
        env: { ...isolateProcessEnv(process.env), [WORKER_ENV]: JSON.stringify(options) },
      });
      const socket = child.stdio[3] as unknown as Duplex;
      const channel = new Channel(socket, (message, payload) => this.onMessage(worker, message as FromWorker, payload), () => worker.kill());
      worker.lastPong = Date.now();
      worker.attach(child, channel);
      child.once('exit', (code, signal) => this.onExit(worker, code, signal));
      child.once('error', (error) => {
        console.error('isolate worker: cannot start:', error);
        this.onExit(worker, null, null);
      });
    };
    if (delayMs > 0) setTimeout(launch, delayMs).unref();
    else launch();
    return worker;
  }

  /** Asks a worker to finish and exit; kills it if it does not within the grace period. */
  private stop(worker: WorkerProcess): Promise<void> {
    if (worker.exited) return Promise.resolve();
    worker.closing = true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => worker.kill(), STOP_GRACE_MS);
      timer.unref();
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      if (!worker.child) {
        worker.exited = true;
        worker.markUp();
        return done();
      }
      worker.child.once('exit', done);
      worker.send({ t: 'close' });
    });
  }

  private onMessage(worker: WorkerProcess, message: FromWorker, payload: string | undefined): void {
    switch (message.t) {
      case 'ready':
        worker.markReady();
        if (worker.slot >= 0) this.earlyDeaths[worker.slot] = 0;
        return;
      case 'output':
      case 'result': {
        const call = worker.calls.take(message.id);
        if (!call) return;
        this.lastActivity = Date.now();
        let result: RunResult;
        if (message.t === 'output') {
          const { start, end, initTime } = message;
          result = resultOf({ kind: 'output', output: payload ?? '', start, end, initTime });
        } else result = message.result;
        if (result.timedOut && worker.role !== 'solo') {
          worker.timeouts.set(prefixOf(call.request.action.key), Date.now());
          this.armWatchdog();
        }
        call.resolve(result);
        if (worker.calls.size === 0 && (worker.role === 'solo' || worker.retiring)) void this.stop(worker);
        return;
      }
      case 'need': {
        const call = worker.calls.take(message.id);
        if (!call) return;
        worker.known.delete(call.request.action.key);
        this.dispatch(call, worker);
        return;
      }
      case 'api': {
        const { id } = message;
        const api = this.options.api;
        if (!api) return worker.send({ t: 'api', id, error: 'The OpenWhisk API is not available in this runtime.' });
        api(message.call).then(
          (answer) => worker.send({ t: 'api', id, answer }),
          (error: unknown) => worker.send({ t: 'api', id, error: error instanceof Error ? error.message : 'The API call failed' }),
        );
        return;
      }
      case 'taint':
        for (const call of worker.calls) call.tainted = true;
        return;
      case 'stats':
        worker.stats = message.stats;
        return;
      case 'pong':
        worker.lastPong = Date.now();
        return;
    }
  }

  private onExit(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (worker.exited) return;
    worker.exited = true;
    worker.markUp();
    worker.channel?.destroy();
    this.gone.coldStarts += worker.stats.coldStarts;
    this.gone.evictions += worker.stats.evictions;
    this.retiring.delete(worker);
    this.solos.delete(worker);
    const expected = worker.closing || this.closed;
    if (!expected) {
      this.counters.crashes++;
      const why = worker.killedFor === 'memory' ? `killed: resident memory over ${this.options.workerMemoryMb} MB`
        : worker.killedFor === 'hang' ? 'killed: it stopped answering'
        : worker.killedFor === 'start' ? `killed: not ready ${START_TIMEOUT_MS / 1000} s after it was started`
        : `exited (code ${code}, signal ${signal})`;
      console.error(`isolate worker ${worker.child?.pid ?? '-'} (${worker.role}) ${why}; ${worker.calls.size} call(s) in flight`);
    }
    if (this.spare === worker) {
      // A spare that dies at start again and again is not replaced in a tight loop.
      this.spare = undefined;
      if (!this.closed) setTimeout(() => this.refillSpare(), worker.ready ? 0 : 1000).unref();
    }
    if (worker.slot >= 0 && this.slots[worker.slot] === worker && !worker.retiring) {
      this.slots[worker.slot] = undefined;
      if (!this.closed && worker.role === 'shared') this.replace(worker);
    }
    this.settleOrphans(worker, expected);
    if (worker.role === 'solo') this.pumpSolos();
  }

  /** A shared worker died: its slot gets the spare at once, or a new process (backing off if it never answered). */
  private replace(worker: WorkerProcess): void {
    this.counters.restarts++;
    const early = worker.ready ? 0 : ++this.earlyDeaths[worker.slot]!;
    if (early === 0 && this.spare) {
      this.slots[worker.slot] = this.take('shared', worker.slot);
      return;
    }
    const delay = RESTART_DELAYS[Math.min(early, RESTART_DELAYS.length - 1)]!;
    this.slots[worker.slot] = this.assign(this.start(delay), 'shared', worker.slot);
  }

  /** The calls a dead worker still had: the culprit, bystanders run again, or failures. */
  private settleOrphans(worker: WorkerProcess, expected: boolean): void {
    const calls = worker.calls.drain();
    if (!worker.ready) return this.resend(calls, worker.role === 'solo');
    // Actions that timed out here lately may have left a thread running: suspects too.
    const now = Date.now();
    let suspects = 0;
    if (!expected) {
      for (const [prefix, at] of worker.timeouts) {
        if (now - at > SUSPECT_MS) continue;
        suspects++;
        this.quarantine.set(prefix, now + (this.options.quarantineMs ?? QUARANTINE_MS));
      }
    }
    for (const call of calls) {
      if (this.closed) call.resolve(this.shuttingDown(call));
      else if (worker.role === 'solo' || (calls.length === 1 && suspects === 0)) this.culprit(call, worker);
      else if (call.tainted) call.resolve(this.failed(call, 'the process running it crashed after something it did had left the process, so it was not run again.'));
      else {
        this.counters.reruns++;
        this.runSolo(call);
      }
    }
  }

  /** Calls a worker died with before it was ready (it never had them): to its replacement (a re-run: to another solo process). */
  private resend(calls: Call[], solo: boolean): void {
    for (const call of calls) {
      if (this.closed) call.resolve(this.shuttingDown(call));
      else if (++call.failedStarts >= MAX_FAILED_STARTS) call.resolve(this.failed(call, 'its isolate worker process did not start.'));
      else if (solo) this.soloQueue.unshift(call);
      else this.route(call);
    }
  }

  /** The call that took its process down. */
  private culprit(call: Call, worker: WorkerProcess): void {
    const { key, limits } = call.request.action;
    this.quarantine.set(prefixOf(key), Date.now() + (this.options.quarantineMs ?? QUARANTINE_MS));
    const end = this.options.now();
    if (worker.killedFor === 'hang') {
      call.resolve({ statusCode: 2, result: { error: MESSAGES.timedOut(limits.timeout) }, logs: [], start: call.dispatched, end, timedOut: true });
    } else {
      call.resolve({ statusCode: 2, result: { error: MESSAGES.memoryExhausted }, logs: [], start: call.dispatched, end, timedOut: false });
    }
  }

  /** Where a call runs: the quarantine worker while its action is quarantined, else its shared worker. */
  private route(call: Call): void {
    const { key } = call.request.action;
    if (this.quarantine.size > 0 && this.isQuarantined(key)) this.dispatch(call, this.quarantineWorker());
    else this.dispatch(call, this.sharedWorker(slotOf(key, this.options.workers)));
  }

  private runSolo(call: Call): void {
    this.soloQueue.push(call);
    this.pumpSolos();
  }

  private pumpSolos(): void {
    const max = this.options.soloProcesses ?? 2;
    while (!this.closed && this.solos.size < max && this.soloQueue.length > 0) {
      const worker = this.take('solo');
      this.solos.add(worker);
      this.dispatch(this.soloQueue.shift()!, worker);
    }
  }

  private dispatch(call: Call, worker: WorkerProcess): void {
    const { action, apiKey } = call.request;
    call.id = worker.calls.add(call);
    this.lastActivity = Date.now();
    const message: ToWorker = { t: 'run', id: call.id, key: action.key };
    if (apiKey !== undefined) message.apiKey = apiKey;
    if (!worker.known.has(action.key)) {
      message.action = action;
      if (worker.known.size >= 20_000) worker.known.clear();
      worker.known.add(action.key);
    }
    call.input ??= isolateInput(call.request);
    worker.send(message, call.input);
    this.armWatchdog();
  }

  private isQuarantined(key: string): boolean {
    const prefix = prefixOf(key);
    const until = this.quarantine.get(prefix);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.quarantine.delete(prefix);
    return false;
  }

  // ---- watchdog ----------------------------------------------------------------------------

  /** Runs while any worker has calls or recent timeouts (an idle server is not woken up). */
  private armWatchdog(): void {
    if (this.watchdog !== undefined || this.closed) return;
    this.watchdog = setTimeout(() => {
      this.watchdog = undefined;
      if (this.watch()) this.armWatchdog();
    }, WATCH_MS);
    this.watchdog.unref();
  }

  /** One round: memory caps, threads left running, liveness. True while there is still something to watch. */
  private watch(): boolean {
    let busy = false;
    const now = Date.now();
    for (const worker of this.live()) {
      if (!worker.child?.pid || worker.role === 'spare') continue;
      const rss = readResident(worker.child.pid);
      worker.rss = rss;
      if (rss > this.hardBytes) {
        worker.killedFor = 'memory';
        worker.kill();
        continue;
      }
      const serving = (worker.role === 'shared' || worker.role === 'quarantine') && !worker.retiring && this.slots[worker.slot] === worker;
      if (rss > this.softBytes && serving) this.recycle(worker);
      if (worker.timeouts.size > 0) {
        for (const [prefix, at] of worker.timeouts) if (now - at > SUSPECT_MS) worker.timeouts.delete(prefix);
        if (this.burnsWhileIdle(worker) && serving) this.recycle(worker);
        busy ||= worker.timeouts.size > 0;
      }
      if (worker.calls.size === 0) {
        worker.lastPong = now;
        continue;
      }
      busy = true;
      if (!worker.ready) {
        // Its calls wait for it: one that never gets ready must not keep them waiting for ever.
        if (worker.spawnedAt > 0 && now - worker.spawnedAt > START_TIMEOUT_MS) {
          worker.killedFor = 'start';
          worker.kill();
        }
        continue;
      }
      if (now - worker.lastPong > HANG_MS) {
        worker.killedFor = 'hang';
        worker.kill();
        continue;
      }
      if (now - worker.lastPing >= PING_MS) {
        worker.lastPing = now;
        worker.send({ t: 'ping' });
      }
    }
    return busy;
  }

  /** Whether an idle worker keeps a core busy (a thread of a timed-out isolate still running). */
  private burnsWhileIdle(worker: WorkerProcess): boolean {
    const ticks = readCpuTicks(worker.child!.pid!);
    const last = worker.cpuTicks;
    worker.cpuTicks = ticks;
    if (last < 0 || ticks < 0 || worker.calls.size > 0) {
      worker.hotRounds = 0;
      return false;
    }
    const share = (ticks - last) / CLOCK_TICKS_PER_SECOND / (WATCH_MS / 1000);
    worker.hotRounds = share >= HOT_SHARE ? worker.hotRounds + 1 : 0;
    return worker.hotRounds >= HOT_ROUNDS;
  }

  /** Replaces a worker (memory grew too much, or a runaway thread); it leaves once its calls are done. */
  private recycle(worker: WorkerProcess): void {
    this.counters.recycled++;
    this.counters.restarts++;
    worker.retiring = true;
    this.retiring.add(worker);
    this.slots[worker.slot] = worker.role === 'quarantine' ? undefined : this.take('shared', worker.slot);
    if (worker.calls.size === 0) void this.stop(worker);
  }

  // ---- results made here -------------------------------------------------------------------

  private failed(call: Call, why: string): RunResult {
    return { statusCode: 3, result: { error: `The action could not be run: ${why}` }, logs: [], start: call.dispatched, end: this.options.now(), timedOut: false };
  }

  private shuttingDown(call: Call): RunResult {
    return { statusCode: 3, result: { error: 'The server is shutting down.' }, logs: [], start: call.dispatched, end: this.options.now(), timedOut: false };
  }
}

/** `namespace/path@` of an action key `namespace/path@version#updated`. */
function prefixOf(key: string): string {
  return key.slice(0, key.lastIndexOf('@') + 1);
}

/** FNV-1a of the action's name (not its version: every version runs in the same worker). */
export function slotOf(key: string, slots: number): number {
  if (slots === 1) return 0;
  const end = key.lastIndexOf('@');
  let hash = 0x811c9dc5;
  for (let i = 0; i < end; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % slots;
}

/** CPU time (user + system, clock ticks) of a process (Linux: /proc/PID/stat); -1 where it cannot be read. */
function readCpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return -1;
  }
}

/** Resident memory of a process (Linux: /proc/PID/statm); 0 where it cannot be read. */
function readResident(pid: number): number {
  try {
    const statm = readFileSync(`/proc/${pid}/statm`, 'latin1');
    return Number(statm.split(' ')[1]) * PAGE_BYTES;
  } catch {
    return 0;
  }
}
