/**
 * The isolate runner: warm isolates per action version, least recently used evicted under a total
 * memory budget. A call goes to an idle instance, else a new one (up to the per-action cap), else
 * it queues on the least busy instance. ExecutionPaths decides whether it runs on the event loop
 * or on isolated-vm's threads.
 *
 * The budget bounds either the warm isolates' measured heaps or, in an isolate worker process (and
 * the server with --isolate-workers 0), the process's resident memory: what `ps` shows. An isolate
 * costs more than its heap statistics say — its native isolate and context, and memory the
 * process keeps after it is disposed (freed V8 pages and malloc chunks are reused by the next
 * isolates, rarely returned: RSS is a high-water mark) — so that bound is kept by feedback, see
 * ResidentBound.
 */
import { MESSAGES } from '../../errors.ts';
import { DEFAULT_LIMITS } from '../../openwhisk/limits.ts';
import type { RunRequest, RunResult, Runner, RunnableAction } from '../runner.ts';
import { Egress, type EgressOptions } from '../../egress/fetch.ts';
import type { ApiCaller } from './api.ts';
import { ArchiveCache } from './archives.ts';
import { BlankIsolates } from './blank.ts';
import { IsolateInstance, type CallContext, type CallOutcome, type InstanceHost } from './instance.ts';
import { developerError, isolateInput, resultOf, withInit, type RunOutcome } from './outcome.ts';
import { ExecutionPaths } from './paths.ts';
import { Recency } from './recency.ts';
import { coalesceTimerWakes } from './timer-slack.ts';

export interface IsolatePoolOptions {
  memoryBudgetMb: number;
  maxInstancesPerAction: number;
  /** The longest a fast-path call may hold the event loop before it is moved to the slow path. */
  fastSliceMs: number;
  /**
   * Until when a fast call waits for others to start with it in one isolate call (a batch): the end
   * of the event-loop turn ('turn', the default: in the server, each HTTP request is a task of its
   * own, and a turn's requests are batched only by waiting for its end), or the end of the current
   * task ('task': a worker process, whose calls of a turn all come in one read of its channel). The
   * turn costs a worker a loop iteration per call: the answer's write, itself deferred to the end of
   * a turn, then waits for the next one (suite "worker", one call per write: 23.75–24.25 µs of the
   * process's CPU a call against 22.25–22.75 µs, 3 alternated pairs; 16 per write the same).
   */
  batchWindow?: 'turn' | 'task';
  now: () => number;
  /** Where actions' fetch() may go and how much it may bring back (default: anywhere, 10 MiB). */
  egress?: EgressOptions;
  /** How require('openwhisk') reaches the API (default: not available). */
  api?: ApiCaller;
  /**
   * What memoryBudgetMb bounds: the measured heaps of the warm isolates (the default), or this
   * process's resident memory ('process').
   */
  budgetOf?: 'heap' | 'process';
  /**
   * With 'process': room also left for this many idle processes like this one, measured as this
   * one was before its first isolate (the supervisor's spare worker, shared between the workers).
   */
  idleProcesses?: number;
  /**
   * With 'process': resident memory this process will gain that it did not hold when it measured
   * itself idle, kept free from the start (a worker whose optimizing compilers are turned on at
   * its first call: src/runners/workers/protocol.ts COMPILERS_RESIDENT_MB).
   */
  laterGrowthMb?: number;
  /** This process's resident memory in bytes (default process.memoryUsage.rss; tests replace it). */
  residentBytes?: () => number;
  /** A full garbage collection of this process's own heap (default: globalThis.gc when exposed). */
  collectGarbage?: () => void;
}

export interface IsolatePoolStats {
  instances: number;
  /** Actions promoted to the event-loop fast path. */
  fastActions: number;
  heapMb: number;
  coldStarts: number;
  evictions: number;
  /** With a budget on the process: its resident memory (MB) when last read, else 0. */
  residentMb: number;
  /** New isolates started over that budget, after their call waited too long for room. */
  overBudgetStarts: number;
}

/** Heap is re-measured every this many calls; between measurements the last figure stands. */
const MEASURE_EVERY = 256;
/** Blank isolates kept ready: enough for a burst of cold starts between two event-loop turns. */
const BLANK_ISOLATES = 2;
/** A call handed back by a dying isolate is retried at most this often. */
const MAX_RETRIES = 3;
/** Decoded archives kept for cold starts of zip actions (total module text). */
const ARCHIVE_CACHE_BYTES = 256 * 1_048_576;

export class IsolatePool implements Runner {
  private readonly options: IsolatePoolOptions;
  /** Instances per action key. */
  private readonly byAction = new Map<string, IsolateInstance[]>();
  /** All live instances, least recently used first (a Set keeps insertion order). */
  private readonly lru = new Recency<IsolateInstance>();
  /** Instances of replaced action versions, finishing their running calls. */
  private readonly retired = new Set<IsolateInstance>();
  private readonly paths = new ExecutionPaths();
  /** Blank isolates of the default memory limit, ready for cold starts. */
  private readonly blanks = new BlankIsolates(DEFAULT_LIMITS.memory, BLANK_ISOLATES);
  private coldStarts = 0;
  private closed = false;
  private evictions = 0;
  /** Calls waiting for room for a new instance (resident budget), longest first. */
  private readonly roomWaiters: (() => void)[] = [];
  /** New instances made over the budget after waiting ROOM_WAIT_MS for room. */
  private overBudgetStarts = 0;
  /** The measured heap of the last instance after its init: what a new one is expected to take. */
  private freshHeapMb = 2.5;
  /** Set when the budget is on the process's resident memory. */
  private readonly resident: ResidentBound | undefined;

  /** What every instance borrows: egress, API, archives. */
  private readonly host: InstanceHost;

  constructor(options: IsolatePoolOptions) {
    this.options = options;
    // The process that runs isolates: its calls' timeouts must not wake a thread each (timer-slack.ts).
    coalesceTimerWakes();
    this.host = {
      egress: new Egress(options.egress ?? { deny: [], maxResponseBytes: 10 * 1_048_576 }),
      api: options.api,
      archives: new ArchiveCache(ARCHIVE_CACHE_BYTES),
      deferStart: options.batchWindow === 'task' ? queueMicrotask : setImmediate,
    };
    if (options.budgetOf === 'process') {
      const gc = (globalThis as { gc?: () => void }).gc;
      this.resident = new ResidentBound(
        options.memoryBudgetMb - (options.laterGrowthMb ?? 0),
        options.idleProcesses ?? 0,
        options.residentBytes ?? (() => process.memoryUsage.rss()),
        options.collectGarbage ?? gc,
      );
    }
  }

  run(request: RunRequest): Promise<RunResult> {
    return this.runPrepared(request.action, isolateInput(request), request).then(resultOf);
  }

  /**
   * Runs `input` (isolateInput's text, built by whoever holds the request: the server, for a worker
   * process) and answers with a finished call's output as the isolate wrote it. A worker forwards
   * that text untouched and the server parses it once (resultOf).
   */
  async runPrepared(action: RunnableAction, input: string, context: CallContext): Promise<RunOutcome> {
    const dispatched = this.options.now();
    const { key } = action;
    for (let attempt = 0; ; ) {
      if (this.closed) {
        return { kind: 'result', result: { statusCode: 3, result: { error: 'The server is shutting down.' }, logs: [], start: dispatched, end: this.options.now(), timedOut: false } };
      }
      const fast = this.paths.isFast(key);
      const instance = this.pick(action, fast) ?? (await this.room(action, fast));
      if (instance === undefined) continue; // closed while it waited: answered above
      const outcome = await instance.run(input, fast, context);
      if (outcome.kind === 'moved') continue; // never started: not an attempt
      this.afterCall(instance, outcome);
      if (outcome.kind === 'retry') {
        if (outcome.overran) this.paths.demote(key);
        if (attempt++ < MAX_RETRIES) continue;
      } else if (outcome.kind === 'done') {
        if (outcome.runMs !== undefined) this.paths.record(key, fast, outcome.runMs);
        const done: RunOutcome = { kind: 'output', output: outcome.output, start: dispatched, end: outcome.end };
        if (outcome.initTime !== undefined) done.initTime = outcome.initTime;
        return done;
      }
      return { kind: 'result', result: toRunResult(outcome, action, dispatched, this.options.now()) };
    }
  }

  /**
   * After an update or delete no new call reaches the old code. Idle isolates are freed now; busy
   * ones finish what they run (an update must not kill, or run twice, a running activation) and
   * are freed when they go idle.
   */
  invalidate(prefix: string): void {
    for (const [key, instances] of this.byAction) {
      if (!key.startsWith(prefix)) continue;
      this.byAction.delete(key);
      for (const instance of instances) {
        this.lru.delete(instance);
        if (instance.busy === 0) instance.dispose('evicted');
        else this.retired.add(instance);
      }
    }
    this.paths.forget(prefix);
    this.host.archives.forget(prefix);
  }

  /** An action was deployed: a blank isolate is made now for its first call if none is ready (Runner.prepare). */
  prepare(): void {
    this.blanks.prepare(); // a closed stock makes nothing (the pool closes it as it closes)
  }

  stats(): IsolatePoolStats {
    let heapMb = 0;
    for (const instance of this.lru) heapMb += instance.heapMb;
    const residentMb = this.resident?.lastMb ?? 0;
    const { coldStarts, evictions, overBudgetStarts } = this;
    return { instances: this.lru.size, fastActions: this.paths.fastCount(), heapMb, coldStarts, evictions, residentMb, overBudgetStarts };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.roomWaiters.splice(0)) wake();
    const blanks = this.blanks.close();
    void this.host.egress.close();
    for (const instance of [...this.lru]) this.remove(instance);
    for (const instance of this.retired) instance.dispose('evicted');
    this.retired.clear();
    await blanks;
  }

  /**
   * An instance for `action`, or undefined when it needs a new one and the process has no room:
   * its resident memory is at the target, and its warm isolates are all busy.
   * A fast call joins the batch an instance already gathers for the end of this turn: fast calls
   * all run on the event loop, so spreading them over instances gains no parallelism, and every
   * batch costs an isolate entry and a wake of isolated-vm's timer thread.
   */
  private pick(action: RunnableAction, fast: boolean): IsolateInstance | undefined {
    let instances = this.byAction.get(action.key);
    if (!instances) {
      instances = [];
      this.byAction.set(action.key, instances);
    }
    let least: IsolateInstance | undefined;
    for (let i = 0; i < instances.length; ) {
      const instance = instances[i]!;
      if (!instance.alive) {
        // remove() splices it out of `instances`: the next one moves to index i.
        this.remove(instance);
        continue;
      }
      if (instance.busy === 0 || (fast && instance.batching)) return this.touch(instance);
      if (!least || instance.busy < least.busy) least = instance;
      i++;
    }
    if (least && instances.length >= this.options.maxInstancesPerAction) return this.touch(least);
    // The first cold start: what an idle process like this one holds.
    this.resident?.noteIdle();
    if (this.resident && !this.makeRoom()) {
      // Rather wait behind this action's own busy instance than for room for another.
      if (least) return this.touch(least);
      if (instances.length === 0) this.byAction.delete(action.key);
      return undefined;
    }
    return this.create(action, instances);
  }

  private create(action: RunnableAction, instances: IsolateInstance[]): IsolateInstance {
    if (!this.byAction.has(action.key)) this.byAction.set(action.key, instances);
    const started = this.options.now();
    const blank = this.blanks.take(action.limits.memory);
    const created = new IsolateInstance(action, blank, started, this.options.now, this.options.fastSliceMs, this.host);
    // Until its init is done and measured, it is taken to hold what the last new one did: cold
    // starts made at once must not all be let in on the room of one.
    created.heapMb = this.freshHeapMb;
    this.coldStarts++;
    instances.push(created);
    this.lru.use(created);
    this.enforceBudget(created);
    return created;
  }

  /**
   * Under a resident budget, evicts idle instances until one more fits (its heap taken as the last
   * fresh instance's); false when the busy ones alone leave no room. While fewer than
   * MIN_BUSY_ISOLATES are busy there is room anyway: a few long calls (a hostile action looping
   * until its time limit) must not hold up every other action's cold start, nor a budget smaller
   * than the process itself stop it from running anything.
   */
  private makeRoom(): boolean {
    let total = 0;
    for (const instance of this.lru) total += instance.heapMb;
    const limit = this.resident!.heapCapMb(total) - this.freshHeapMb;
    let busy = 0;
    for (const instance of this.lru) {
      if (instance.busy > 0) {
        busy++;
        continue;
      }
      if (total <= limit) continue;
      total -= instance.heapMb;
      this.remove(instance);
      this.evictions++;
    }
    return total <= limit || busy < MIN_BUSY_ISOLATES;
  }

  /**
   * Waits until `action` can have an instance: room freed by a call that ended (each wakes the
   * longest waiter), or ROOM_WAIT_MS, after which the call goes ahead over the budget rather than
   * wait on for ever (an action that calls another through the API, and holds the room the
   * other needs, must not deadlock). Undefined if the pool closed meanwhile.
   */
  private async room(action: RunnableAction, fast: boolean): Promise<IsolateInstance | undefined> {
    const waitedSince = Date.now();
    for (let woken = false; ; woken = true) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          const index = this.roomWaiters.indexOf(wake);
          if (index >= 0) this.roomWaiters.splice(index, 1);
          resolve();
        }, Math.max(0, ROOM_WAIT_MS - (Date.now() - waitedSince)));
        const wake = (): void => {
          clearTimeout(timer);
          resolve();
        };
        // One woken for nothing keeps its place in the line.
        if (woken) this.roomWaiters.unshift(wake);
        else this.roomWaiters.push(wake);
      });
      if (this.closed) return undefined;
      const instance = this.pick(action, fast);
      if (instance) return instance;
      if (Date.now() - waitedSince >= ROOM_WAIT_MS) {
        this.overBudgetStarts++;
        return this.create(action, this.byAction.get(action.key) ?? []);
      }
    }
  }

  private touch(instance: IsolateInstance): IsolateInstance {
    return this.lru.use(instance);
  }

  private afterCall(instance: IsolateInstance, outcome: CallOutcome): void {
    // A call ended: its instance may be evicted now to make room for a waiting one.
    if (this.roomWaiters.length > 0) this.roomWaiters.shift()!();
    // The call that made this instance has its answer (initTime marks it; a failed init is one too).
    if (outcome.kind === 'initFailed' || ('initTime' in outcome && outcome.initTime !== undefined)) this.blanks.coldStartDone();
    if (this.retired.has(instance)) {
      if (instance.busy === 0 || !instance.alive) {
        this.retired.delete(instance);
        instance.dispose('evicted');
      }
      return;
    }
    if (!instance.alive) {
      this.remove(instance);
      return;
    }
    if (outcome.kind === 'done' && (outcome.initTime !== undefined || ++instance.callsSinceMeasure >= MEASURE_EVERY)) {
      instance.measureHeap();
      if (outcome.initTime !== undefined) this.freshHeapMb = instance.heapMb;
      // A warm instance's heap grows too, and the process with it: the resident bound looks again.
      if (outcome.initTime !== undefined || this.resident) this.enforceBudget(instance);
    }
  }

  /** Evicts idle instances, least recently used first, until the measured total fits the budget. */
  private enforceBudget(keep: IsolateInstance): void {
    let total = 0;
    for (const instance of this.lru) total += instance.heapMb;
    const limit = this.resident ? this.resident.heapCapMb(total) : this.options.memoryBudgetMb;
    if (total <= limit) return;
    for (const instance of this.lru) {
      if (total <= limit) break;
      if (instance === keep || instance.busy > 0) continue;
      total -= instance.heapMb;
      this.remove(instance);
      this.evictions++;
    }
  }

  private remove(instance: IsolateInstance): void {
    instance.dispose('evicted');
    this.lru.delete(instance);
    const instances = this.byAction.get(instance.action.key);
    if (!instances) return;
    const index = instances.indexOf(instance);
    if (index >= 0) instances.splice(index, 1);
    if (instances.length === 0) this.byAction.delete(instance.action.key);
  }
}

/**
 * Keeps a process's resident memory within a budget by capping the measured heap its warm isolates
 * may hold, the cap set from what the process holds now. Evicting an isolate does not lower RSS
 * (the process keeps the memory and gives it to the next isolates), so the cap follows RSS
 * growth, not RSS: below the target the cap is the heaps now plus the room left (a new isolate
 * adds at most its measured heap to RSS — 1.65 MB against 2.33 MB measured, bench/isolate-memory.ts);
 * above it, the cap is the heaps now less what RSS grew past the target since the last look, so
 * memory kept from evicted isolates is not paid for twice, and the process does not evict
 * everything while RSS stays where it was.
 */
class ResidentBound {
  /** MB of resident memory when last read. */
  lastMb = 0;
  private readonly budgetMb: number;
  private readonly idleProcesses: number;
  private readonly read: () => number;
  /** The process's RSS before its first isolate (MB); 0 until then. */
  private idleMb = 0;
  private capMb = Infinity;
  private readonly collect: (() => void) | undefined;
  private lastCollect = 0;

  constructor(budgetMb: number, idleProcesses: number, read: () => number, collect: (() => void) | undefined) {
    this.budgetMb = budgetMb;
    this.idleProcesses = idleProcesses;
    this.read = read;
    this.collect = collect;
  }

  noteIdle(): void {
    if (this.idleMb === 0) this.idleMb = this.read() / 1048576;
  }

  /**
   * The target: the budget less room for the idle processes, less a margin for what grows between
   * two looks (RSS is read at cold starts, and every MEASURE_EVERY calls of an instance) and two
   * collections: at 32 cold starts at once, a worker went up to 5 MB past the target.
   */
  get targetMb(): number {
    const own = this.budgetMb - this.idleProcesses * this.idleMb;
    return own - Math.max(RESIDENT_MARGIN_MB, own * RESIDENT_MARGIN_SHARE);
  }

  /** The heap the warm isolates may hold now, given that they hold `heapMb`. */
  heapCapMb(heapMb: number): number {
    const previous = this.lastMb;
    const target = this.targetMb;
    let now = this.read() / 1048576;
    if (now > Math.max(previous, target) && this.collect && Date.now() - this.lastCollect >= COLLECT_EVERY_MS) {
      // A disposed isolate's native memory goes back only when the host objects that held it are
      // collected, and this process's own heap grows with garbage: V8 collects neither soon, as
      // it does not see that memory. Collecting first keeps that growth from being taken from
      // the warm isolates (about 10 ms, at most once a second).
      this.lastCollect = Date.now();
      this.collect();
      now = this.read() / 1048576;
    }
    this.lastMb = now;
    if (now <= target) {
      this.capMb = heapMb + (target - now);
    } else {
      // Only growth past the target since the last look is new: what was over before was paid for then.
      const grown = now - Math.max(previous, target);
      this.capMb = Math.min(this.capMb, heapMb) - Math.max(0, grown);
    }
    return this.capMb;
  }
}

/** What the resident bound keeps below the budget: at least this many MB, or this share of it. */
const RESIDENT_MARGIN_MB = 8;
const RESIDENT_MARGIN_SHARE = 0.04;
/** Busy isolates that never wait for room (see makeRoom). */
const MIN_BUSY_ISOLATES = 4;
/** The longest a call waits for room for a new isolate before it is started over the budget. */
const ROOM_WAIT_MS = 2000;
/** The resident bound collects garbage at most this often. */
const COLLECT_EVERY_MS = 1000;

/** Maps an outcome the pool answers itself (not a finished call: runPrepared passes its output on) to the activation's status, result and logs. */
function toRunResult(outcome: Exclude<CallOutcome, { kind: 'done' | 'moved' }>, action: RunnableAction, start: number, now: number): RunResult {
  switch (outcome.kind) {
    case 'timeout':
      return withInit({ ...developerError(MESSAGES.timedOut(action.limits.timeout)), logs: outcome.logs, start, end: outcome.end, timedOut: true }, outcome.initTime);
    case 'oom':
      return withInit({ ...developerError(MESSAGES.memoryExhausted), logs: outcome.logs, start, end: outcome.end, timedOut: false }, outcome.initTime);
    case 'initFailed':
      return { ...developerError(outcome.message), logs: outcome.logs, start, end: outcome.end, timedOut: outcome.timedOut };
    case 'failed':
      return { statusCode: 3, result: { error: `The action could not be run: ${outcome.message}` }, logs: [], start, end: outcome.end, timedOut: false };
    case 'retry':
      return { statusCode: 3, result: { error: 'The action could not be run: its isolate was repeatedly lost.' }, logs: [], start, end: now, timedOut: false };
  }
}
