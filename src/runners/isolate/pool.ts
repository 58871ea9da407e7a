/**
 * The isolate runner: warm isolates per action version, least recently used evicted under a total
 * memory budget. A call goes to an idle instance, else a new one (up to the per-action cap), else
 * it queues on the least busy instance. ExecutionPaths decides whether it runs on the event loop
 * or on isolated-vm's threads.
 */
import { MESSAGES } from '../../errors.ts';
import type { StatusCode } from '../../openwhisk/activation.ts';
import { DEFAULT_LIMITS } from '../../openwhisk/limits.ts';
import type { RunRequest, RunResult, Runner, RunnableAction } from '../runner.ts';
import { Egress, type EgressOptions } from '../../egress/fetch.ts';
import type { ApiCaller } from './api.ts';
import { ArchiveCache } from './archives.ts';
import { BlankIsolates } from './blank.ts';
import { IsolateInstance, type CallOutcome, type InstanceHost } from './instance.ts';
import { ExecutionPaths } from './paths.ts';

export interface IsolatePoolOptions {
  memoryBudgetMb: number;
  maxInstancesPerAction: number;
  /** The longest a fast-path call may hold the event loop before it is moved to the slow path. */
  fastSliceMs: number;
  now: () => number;
  /** Where actions' fetch() may go and how much it may bring back (default: anywhere, 10 MiB). */
  egress?: EgressOptions;
  /** How require('openwhisk') reaches the API (default: not available). */
  api?: ApiCaller;
}

export interface IsolatePoolStats {
  instances: number;
  /** Actions promoted to the event-loop fast path. */
  fastActions: number;
  heapMb: number;
  coldStarts: number;
  evictions: number;
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
  private readonly lru = new Set<IsolateInstance>();
  /** Instances of replaced action versions, finishing their running calls. */
  private readonly retired = new Set<IsolateInstance>();
  private readonly paths = new ExecutionPaths();
  /** Blank isolates of the default memory limit, ready for cold starts. */
  private readonly blanks = new BlankIsolates(DEFAULT_LIMITS.memory, BLANK_ISOLATES);
  private coldStarts = 0;
  private closed = false;
  private evictions = 0;

  /** What every instance borrows: egress, API, archives. */
  private readonly host: InstanceHost;

  constructor(options: IsolatePoolOptions) {
    this.options = options;
    this.host = {
      egress: new Egress(options.egress ?? { deny: [], maxResponseBytes: 10 * 1_048_576 }),
      api: options.api,
      archives: new ArchiveCache(ARCHIVE_CACHE_BYTES),
    };
  }

  async run(request: RunRequest): Promise<RunResult> {
    const input = JSON.stringify({
      p: request.params,
      e: request.env,
      logLimit: request.action.limits.logs * 1048576,
      resultLimit: request.maxResultBytes,
    });
    const dispatched = this.options.now();
    const { key } = request.action;
    for (let attempt = 0; ; attempt++) {
      if (this.closed) {
        return { statusCode: 3, result: { error: 'The server is shutting down.' }, logs: [], start: dispatched, end: this.options.now(), timedOut: false };
      }
      const instance = this.pick(request.action);
      const fast = this.paths.isFast(key);
      const outcome = await instance.run(input, fast, request);
      this.afterCall(instance, outcome);
      if (outcome.kind === 'retry') {
        if (outcome.overran) this.paths.demote(key);
        if (attempt < MAX_RETRIES) continue;
      } else if (outcome.kind === 'done' && outcome.runMs !== undefined) {
        this.paths.record(key, fast, outcome.runMs);
      }
      return toRunResult(outcome, request.action, dispatched, this.options.now());
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

  stats(): IsolatePoolStats {
    let heapMb = 0;
    for (const instance of this.lru) heapMb += instance.heapMb;
    return { instances: this.lru.size, fastActions: this.paths.fastCount(), heapMb, coldStarts: this.coldStarts, evictions: this.evictions };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.blanks.close();
    void this.host.egress.close();
    for (const instance of [...this.lru]) this.remove(instance);
    for (const instance of this.retired) instance.dispose('evicted');
    this.retired.clear();
  }

  private pick(action: RunnableAction): IsolateInstance {
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
      if (instance.busy === 0) return this.touch(instance);
      if (!least || instance.busy < least.busy) least = instance;
      i++;
    }
    if (least && instances.length >= this.options.maxInstancesPerAction) return this.touch(least);
    if (!this.byAction.has(action.key)) this.byAction.set(action.key, instances);
    const started = this.options.now();
    const blank = this.blanks.take(action.limits.memory);
    const created = new IsolateInstance(action, blank, started, this.options.now, this.options.fastSliceMs, this.host);
    this.coldStarts++;
    instances.push(created);
    this.lru.add(created);
    this.enforceBudget(created);
    return created;
  }

  private touch(instance: IsolateInstance): IsolateInstance {
    this.lru.delete(instance);
    this.lru.add(instance);
    return instance;
  }

  private afterCall(instance: IsolateInstance, outcome: CallOutcome): void {
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
      if (outcome.initTime !== undefined) this.enforceBudget(instance);
    }
  }

  /** Evicts idle instances, least recently used first, until the measured total fits the budget. */
  private enforceBudget(keep: IsolateInstance): void {
    let total = 0;
    for (const instance of this.lru) total += instance.heapMb;
    if (total <= this.options.memoryBudgetMb) return;
    for (const instance of this.lru) {
      if (total <= this.options.memoryBudgetMb) break;
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

function developerError(message: string): { statusCode: StatusCode; result: unknown } {
  return { statusCode: 2, result: { error: message } };
}

/** Maps an instance's raw outcome to the activation's status, result and logs. */
function toRunResult(outcome: CallOutcome, action: RunnableAction, start: number, now: number): RunResult {
  switch (outcome.kind) {
    case 'done': {
      let parsed: { c: StatusCode; r: unknown; l: string[] };
      try {
        parsed = JSON.parse(outcome.output) as typeof parsed;
      } catch {
        return { ...developerError(MESSAGES.notDictionary), logs: [], start, end: outcome.end, timedOut: false };
      }
      const valid = parsed && (parsed.c === 0 || parsed.c === 1 || parsed.c === 2) && Array.isArray(parsed.l);
      const base = valid ? { statusCode: parsed.c, result: parsed.r } : developerError(MESSAGES.notDictionary);
      return withInit({ ...base, logs: valid ? parsed.l : [], start, end: outcome.end, timedOut: false }, outcome.initTime);
    }
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

function withInit(result: RunResult, initTime: number | undefined): RunResult {
  if (initTime !== undefined) result.initTime = initTime;
  return result;
}
