/**
 * One warm V8 isolate holding one action version, running one activation at a time.
 *
 * Two ways to run a call (ExecutionPaths picks), because a thread hop costs ~20 µs while a warm
 * call costs ~2 µs:
 * - slow: on isolated-vm's own threads (async apply), so a busy action never blocks the server;
 *   its deadline is enforced by disposing the isolate from a host timer. What the activation
 *   logged until then is read from the log mirror (mirror.ts), which needs nothing of the isolate.
 * - fast: on the event loop (applySync) with isolated-vm's `timeout` set to a small slice. A call
 *   that overruns the slice loses this isolate and is run again on the slow path in a fresh one.
 *   That is safe because nothing leaves the isolate during a call: every host operation it asks
 *   for (timers, fetch, API calls) arrives through an `ignored` callback, which runs on the event
 *   loop only after the call has returned, and is dropped if the isolate is gone by then.
 * Fast calls that arrive during one event-loop turn start together at the end of it, in one
 * applySync (startBatch): isolated-vm arms a timer on a timer thread for every call with a
 * `timeout`, and on a busy core waking that thread per call cost a fifth of the warm path.
 * An activation whose promise is still pending after start() completes later: the prelude calls
 * the host's notify callback and the host takes the outcome. Everything that happens meanwhile
 * (timer callbacks, fetch answers) runs through async apply, under the activation's deadline.
 *
 * Each activation, and the init before the first, is a "scope" (a number): the host broker only
 * serves the open scope and cancels what it left pending when it ends.
 */
import ivm from 'isolated-vm';
import { MESSAGES } from '../../errors.ts';
import { ArchiveError, archiveEntry } from '../../openwhisk/archive.ts';
import { ROOT, resolveModule, type ModuleFiles } from '../../openwhisk/resolve.ts';
import type { Egress } from '../../egress/fetch.ts';
import type { RunnableAction } from '../runner.ts';
import type { ApiCaller } from './api.ts';
import type { ArchiveCache } from './archives.ts';
import type { BlankIsolate, DeliverFn, StartBatchFn, StartFn, TakeFn } from './blank.ts';
import { isolateError } from './compute.ts';
import { linkModules, ModuleLinkError } from './esm.ts';
import { HostBroker } from './host.ts';
import type { LogMirror } from './mirror.ts';

/** The raw outcome of one call. `initTime` is set for calls that waited for a cold start. */
export type CallOutcome =
  /** `runMs`: how long the call held the isolate, when it completed without awaiting. */
  | { kind: 'done'; output: string; start: number; end: number; initTime?: number; runMs?: number }
  /** `logs`: what the activation logged before it was stopped. */
  | { kind: 'timeout' | 'oom'; start: number; end: number; initTime?: number; logs: string[] }
  | { kind: 'failed'; message: string; start: number; end: number }
  /** Not run to completion here and safe to run again elsewhere; `overran`: it failed on the fast path (the action goes back to the slow one). */
  | { kind: 'retry'; overran: boolean }
  /** Not started: its batch stopped at an activation that awaits, which would hold it up here. */
  | { kind: 'moved' }
  | { kind: 'initFailed'; message: string; timedOut: boolean; logs: string[]; start: number; end: number };

/** What the server lends every instance: the way out (fetch), the API, decoded archives. */
export interface InstanceHost {
  egress: Egress;
  api: ApiCaller | undefined;
  archives: ArchiveCache;
  /** Runs a fast call's start once the calls that may join its batch have come (pool.ts batchWindow). */
  deferStart: (start: () => void) => void;
}

/** Per-call facts the isolate's host side needs. */
export interface CallContext {
  env: Record<string, string>;
  /** The key API calls act with, when the activation may act as its caller. */
  apiKey?: string | undefined;
}

interface Call {
  input: string;
  fast: boolean;
  context: CallContext;
  resolve: (outcome: CallOutcome) => void;
  queued: number;
  start: number;
  cold: boolean;
  scope: number;
  /** Log lines the host adds (unhandled rejections reported by isolated-vm). */
  notes: string[];
}

type InitState = { ok: true } | { ok: false; message: string; timedOut: boolean; logs: string[] };
type DeathReason = 'timeout' | 'oom' | 'evicted';

const NO_FILES: ModuleFiles = { files: new Map(), dirs: new Set([ROOT]) };
const NO_CONTEXT: CallContext = { env: {}, apiKey: undefined };
const MAX_SPECIFIER = 4096;
/** Fast calls started in one isolate call at most (their inputs travel as one string). */
const MAX_BATCH = 64;
/** Separates inputs and outcomes of a batch: JSON text never holds a raw control character. */
const BATCH_SEPARATOR = '\x01';

export class IsolateInstance {
  readonly action: RunnableAction;
  /** Milliseconds the isolate took to create and initialize. */
  initTime = 0;
  /** Measured heap size in MB, for the pool's memory budget. */
  heapMb = 1;
  callsSinceMeasure = 0;

  private readonly now: () => number;
  private readonly fastSliceMs: number;
  private readonly host: InstanceHost;
  private readonly isolate: ivm.Isolate;
  private readonly ready: Promise<InitState>;
  private state: InitState | undefined;
  private readonly startRef: ivm.Reference<StartFn>;
  private readonly startBatchRef: ivm.Reference<StartBatchFn>;
  private readonly takeRef: ivm.Reference<TakeFn>;
  private readonly deliverRef: ivm.Reference<DeliverFn>;
  private readonly initFailedRef: ivm.Reference<(reason: string) => string>;
  private readonly logs: LogMirror;
  private readonly mirrorLogsRef: ivm.Reference<() => void>;
  private readonly broker: HostBroker;
  private readonly waiting: Call[] = [];
  private current: Call | undefined;
  /** Fast calls wait for the end of the event-loop turn, to start together. */
  private pumpDeferred = false;
  /** How long a fast call holds the isolate, averaged: batches are sized to stay well inside the slice. */
  private fastCallMs = 0.1;
  private timer: NodeJS.Timeout | undefined;
  private death: DeathReason | undefined;
  /** The scope the broker serves: init is 1, then one per call. */
  private scope = 0;
  /** The action's files (archives) for require and import. */
  private files: ModuleFiles = NO_FILES;
  /** Set while init waits for an ES module's top-level await; settles with take()'s answer. */
  private initWaiter: ((answer: string) => void) | undefined;
  private initNotes: string[] = [];
  /** What init had logged when it ran out of time. */
  private initLogs: string[] = [];
  /** Whether init went the ES module way (and left hooks to remove). */
  private linked = false;
  /** After a successful init: the first call's context, which inherits init's open scope. */
  private carried: CallContext | undefined;

  /** `blank` has the runtime loaded; `started` is when the cold start began (for initTime). */
  constructor(action: RunnableAction, blank: BlankIsolate, started: number, now: () => number, fastSliceMs: number, host: InstanceHost) {
    this.action = action;
    this.now = now;
    this.fastSliceMs = fastSliceMs;
    this.host = host;
    this.isolate = blank.isolate;
    this.startRef = blank.start;
    this.startBatchRef = blank.startBatch;
    this.takeRef = blank.take;
    this.deliverRef = blank.deliver;
    this.initFailedRef = blank.initFailed;
    this.logs = blank.logs;
    this.mirrorLogsRef = blank.mirrorLogs;
    this.broker = new HostBroker({ egress: host.egress, api: host.api, deliver: (scope, id, status, a, b) => this.deliver(scope, id, status, a, b) });
    this.ready = this.initialize(blank)
      .catch((error: unknown) => this.initFailure(error))
      .then((state) => {
        this.initTime = this.now() - started;
        this.state = state;
        if (state.ok) this.measureHeap();
        else this.dispose('evicted');
        this.pump();
        // Nobody took init's scope over: what it left pending ends now.
        if (this.carried !== undefined) {
          this.carried = undefined;
          this.broker.end();
        }
        return state;
      });
  }

  /** Calls queued or running on this instance. */
  get busy(): number {
    return this.waiting.length + (this.current ? 1 : 0);
  }

  /**
   * Whether a fast call given now would start in the next batch: nothing is running, and what
   * waits (if anything) is fast calls for the batch at the end of this turn, or for the end of
   * the init in progress.
   */
  get batching(): boolean {
    return this.current === undefined && this.carried === undefined && this.state?.ok !== false && this.alive;
  }

  get alive(): boolean {
    return this.death === undefined && !this.isolate.isDisposed;
  }

  run(input: string, fast: boolean, context: CallContext = NO_CONTEXT): Promise<CallOutcome> {
    return new Promise((resolve) => {
      const now = this.now();
      this.waiting.push({ input, fast, context, resolve, queued: now, start: now, cold: this.state === undefined, scope: 0, notes: [] });
      if (fast && this.current === undefined && this.carried === undefined) this.deferPump();
      else this.pump();
    });
  }

  private deferPump(): void {
    if (this.pumpDeferred) return;
    this.pumpDeferred = true;
    this.host.deferStart(() => {
      this.pumpDeferred = false;
      this.pump();
    });
  }

  /** Frees the isolate. The running call is charged with `reason`; queued calls are retried. */
  dispose(reason: DeathReason = 'evicted'): void {
    this.death ??= reason;
    clearTimeout(this.timer);
    this.broker.end();
    if (!this.isolate.isDisposed) this.isolate.dispose();
    const waiter = this.initWaiter;
    this.initWaiter = undefined;
    waiter?.('');
  }

  measureHeap(): void {
    if (this.isolate.isDisposed) return;
    const stats = this.isolate.getHeapStatisticsSync();
    this.heapMb = (stats.total_heap_size + stats.externally_allocated_size) / 1048576;
    this.callsSinceMeasure = 0;
  }

  /** Starts queued calls while the isolate is free; fast calls finish within this loop. */
  private pump(): void {
    while (this.current === undefined && this.state !== undefined && this.waiting.length > 0) {
      if (this.state.ok && this.alive && this.carried === undefined && this.waiting.length > 1 && this.waiting[0]!.fast && this.waiting[1]!.fast) {
        this.startBatch(this.leadingFastCalls());
        continue;
      }
      const call = this.waiting.shift()!;
      if (!this.state.ok) {
        const { message, timedOut, logs } = this.state;
        call.resolve({ kind: 'initFailed', message, timedOut, logs, start: call.queued, end: this.now() });
        continue;
      }
      if (!this.alive) {
        call.resolve({ kind: 'retry', overran: false });
        continue;
      }
      this.current = call;
      call.start = this.now();
      call.scope = this.openScope(call.context);
      if (call.fast) this.startFast(call);
      else this.startSlow(call);
    }
  }

  private openScope(context: CallContext | undefined): number {
    // The call that caused the cold start continues init's scope: what the module started while
    // loading (a fetch, a timer) is still pending for it, as it would be in a fresh container.
    const carried = this.carried;
    this.carried = undefined;
    if (carried !== undefined && carried === context) return this.scope;
    this.scope++;
    this.broker.begin(this.scope, context ?? NO_CONTEXT);
    return this.scope;
  }

  private startFast(call: Call): void {
    const began = performance.now();
    let output: string;
    try {
      output = this.fastApply(this.startRef, [call.input, call.scope], call);
    } catch (error) {
      this.fastFailure(call, error);
      return;
    }
    if (output === '') this.continueFast(call, began);
    else this.fastDone(call, output, began);
  }


  /**
   * applySync under the slice. isolated-vm reports a promise rejected without a handler during the
   * call by throwing it from the call; the call itself completed, so that becomes a log line and
   * the outcome is taken.
   */
  private fastApply(ref: ivm.Reference<StartFn> | ivm.Reference<TakeFn>, args: [string, number] | [], call: Call): string {
    try {
      return (ref as ivm.Reference<(...args: (string | number)[]) => string>).applySync(undefined, args, { timeout: this.fastSliceMs });
    } catch (error) {
      if (!this.alive || wasCutOff(error)) throw error;
      call.notes.push(rejectionLine(error));
      return this.takeRef.applySync(undefined, [], { timeout: this.fastSliceMs });
    }
  }

  /** Takes the fast calls at the head of the queue, as many as one batch holds. */
  private leadingFastCalls(): Call[] {
    const fits = Math.max(2, Math.min(MAX_BATCH, Math.floor(this.fastSliceMs / 4 / Math.max(this.fastCallMs, 0.01))));
    let count = 0;
    while (count < fits && count < this.waiting.length && this.waiting[count]!.fast) count++;
    return this.waiting.splice(0, count);
  }

  /**
   * Starts `calls` in one applySync under one slice. The prelude starts them one after the other
   * and stops after one that did not finish synchronously: that one becomes the current call, as
   * on the single fast path, and those after it go back to the head of the queue. If the batch
   * fails in any way (it overran the slice, the isolate died, isolated-vm reported an unhandled
   * rejection, which names no activation), nothing of it left the isolate: the isolate is dropped
   * and every call is run again on the slow path, where each one's outcome is its own.
   */
  private startBatch(calls: Call[]): void {
    const now = this.now();
    const first = this.scope + 1;
    for (const call of calls) {
      call.start = now;
      call.scope = ++this.scope;
    }
    const began = performance.now();
    let answer: string;
    try {
      answer = this.startBatchRef.applySync(undefined, [calls.map((call) => call.input).join(BATCH_SEPARATOR), first], { timeout: this.fastSliceMs });
    } catch {
      this.dispose('evicted');
      for (const call of calls) call.resolve({ kind: 'retry', overran: true });
      return;
    }
    const outputs = answer.split(BATCH_SEPARATOR);
    const runMs = (performance.now() - began) / outputs.length;
    this.fastCallMs = (this.fastCallMs + runMs) / 2;
    const end = this.now();
    // The last call started is the instance's scope (the one left running, if any). Calls the
    // batch did not reach go back to the pool, which has them wait here only if no other
    // instance can take them: they came in the same turn as the one now awaiting, and must not
    // wait for it when the pool spreads them (a fast action may still await now and then).
    this.scope = first + outputs.length - 1;
    for (const call of calls.slice(outputs.length)) call.resolve({ kind: 'moved' });
    for (let i = 0; i < outputs.length; i++) {
      const call = calls[i]!;
      const output = outputs[i]!;
      if (output !== '') {
        call.resolve(this.withInit(call, { kind: 'done', output, start: call.start, end, runMs }));
        continue;
      }
      // Still pending: the host now serves its scope, as for a single fast call.
      this.current = call;
      this.broker.begin(call.scope, call.context);
      this.continueFast(call);
    }
  }

  /**
   * A fast call whose activation is still pending: its outcome may be ready already (microtasks).
   * `began`: when the call started, if this turn's run time is its whole run time.
   */
  private continueFast(call: Call, began?: number): void {
    let output: string;
    try {
      output = this.fastApply(this.takeRef, [], call);
    } catch (error) {
      this.fastFailure(call, error);
      return;
    }
    if (output === '') this.awaitCompletion(call);
    else if (began !== undefined) this.fastDone(call, output, began);
    else this.finish(call, this.withInit(call, { kind: 'done', output, start: call.start, end: this.now() }));
  }

  /** A fast call finished within this turn: its run time counts for the path and batch sizes. */
  private fastDone(call: Call, output: string, began: number): void {
    const runMs = performance.now() - began;
    this.fastCallMs = (this.fastCallMs + runMs) / 2;
    this.finish(call, this.withInit(call, { kind: 'done', output, start: call.start, end: this.now(), runMs }));
  }


  /**
   * A fast call threw: it overran its slice, or the isolate died of memory. Nothing of it left the
   * isolate, so it runs again on the slow path, where its lines are mirrored as it goes and survive
   * its limits — unless the slice was its whole timeout: then it timed out here.
   */
  private fastFailure(call: Call, error: unknown): void {
    const overran = !this.isolate.isDisposed && wasCutOff(error);
    if (overran && this.action.limits.timeout <= this.fastSliceMs) {
      this.mirrorIdle();
      this.timeOut(call);
      return;
    }
    if (overran || this.diedOfMemory()) {
      this.dispose('evicted');
      this.finish(call, { kind: 'retry', overran: true });
      return;
    }
    this.finish(call, this.failure(call, error));
  }

  /** isolated-vm disposes an isolate that exceeds its heap limit by itself. */
  private diedOfMemory(): boolean {
    return this.isolate.isDisposed && this.death === undefined;
  }

  /** Mirrors the open scope's lines while the isolate is idle (a fast call cut off at its slice). */
  private mirrorIdle(): void {
    try {
      this.mirrorLogsRef.applySync(undefined, [], { timeout: this.fastSliceMs });
    } catch {
      // The record then has the lines mirrored so far.
    }
  }

  private startSlow(call: Call): void {
    this.armDeadline(call);
    const began = performance.now();
    this.startRef.apply(undefined, [call.input, call.scope, true]).then(
      (output) => {
        if (this.current !== call) return;
        if (typeof output === 'string' && output !== '') {
          const runMs = performance.now() - began;
          this.finish(call, this.withInit(call, { kind: 'done', output, start: call.start, end: this.now(), runMs }));
        } else {
          this.awaitCompletion(call);
        }
      },
      (error: unknown) => {
        if (this.current !== call) return;
        if (this.isRejection(error)) {
          call.notes.push(rejectionLine(error));
          this.collect(call);
        } else {
          this.finish(call, this.failure(call, error));
        }
      },
    );
  }

  /** The activation's promise is pending: its outcome arrives through notify → take. */
  private awaitCompletion(call: Call): void {
    if (this.timer === undefined) this.armDeadline(call);
  }

  private onNotify(): void {
    if (!this.alive) return;
    const waiter = this.initWaiter;
    if (waiter) {
      this.takeRef.apply(undefined, []).then(
        (answer) => {
          if (answer !== '' && this.initWaiter === waiter) {
            this.initWaiter = undefined;
            waiter(answer);
          }
        },
        () => undefined,
      );
      return;
    }
    const call = this.current;
    if (call) this.collect(call);
  }

  /** Takes a finished outcome, if there is one. */
  private collect(call: Call): void {
    this.takeRef.apply(undefined, []).then(
      (output) => {
        if (this.current === call && typeof output === 'string' && output !== '') {
          this.finish(call, this.withInit(call, { kind: 'done', output, start: call.start, end: this.now() }));
        }
      },
      (error: unknown) => {
        if (this.current !== call) return;
        if (this.isRejection(error)) call.notes.push(rejectionLine(error));
        else this.finish(call, this.failure(call, error));
      },
    );
  }

  /** Host → isolate: a timer fired or a request of `scope` finished. Dropped once the scope ended. */
  private deliver(scope: number, id: number, status: 0 | 1, a: unknown, b: unknown): Promise<void> {
    if (!this.alive || scope !== this.scope) return Promise.resolve();
    return this.deliverRef.apply(undefined, [scope, id, status, a, b], { arguments: { copy: true } }).then(
      () => undefined,
      (error: unknown) => this.taskFailed(scope, error),
    );
  }

  /** A call into the isolate for `scope` failed while the isolate lives: an unhandled rejection. */
  private taskFailed(scope: number, error: unknown): void {
    if (!this.isRejection(error) || scope !== this.scope) return;
    const waiter = this.initWaiter;
    if (waiter) {
      // During init (an ES module's top-level await) a rejection is the module failing.
      this.initWaiter = undefined;
      void this.initFailed(describe(error)).then(waiter);
      return;
    }
    if (this.current?.scope === scope) this.current.notes.push(rejectionLine(error));
  }

  private isRejection(error: unknown): boolean {
    return this.alive && !wasCutOff(error) && !(error instanceof Error && /disposed/i.test(error.message));
  }

  private armDeadline(call: Call): void {
    const remaining = Math.max(0, this.action.limits.timeout - (this.now() - call.start));
    this.timer = setTimeout(() => {
      if (this.current === call) this.timeOut(call);
    }, remaining);
  }

  /** `call` ran out of time: what it logged is read from the mirror (the isolate may be busy), then the isolate goes. */
  private timeOut(call: Call): void {
    const logs = this.loggedBy(call);
    this.dispose('timeout');
    this.finish(call, this.withInit(call, { kind: 'timeout', start: call.start, end: this.now(), logs }));
  }

  /** The lines `call` has logged so far, and the ones the host added. */
  private loggedBy(call: Call): string[] {
    const lines = this.logs.lines();
    return call.notes.length > 0 ? lines.concat(call.notes) : lines;
  }

  private finish(call: Call, outcome: CallOutcome): void {
    if (this.current !== call) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.current = undefined;
    this.broker.end();
    call.resolve(call.notes.length > 0 && outcome.kind === 'done' ? withNotes(outcome, call.notes) : outcome);
    // Calls queued behind a dead isolate go back to the pool.
    if (!this.alive) {
      for (const waiting of this.waiting.splice(0)) waiting.resolve({ kind: 'retry', overran: false });
      return;
    }
    this.pump();
  }

  /** Classifies a failed call: the isolate died (deadline, memory) or something unexpected broke. */
  private failure(call: Call, error: unknown): CallOutcome {
    const end = this.now();
    if (!this.isolate.isDisposed && this.death === undefined) {
      return { kind: 'failed', message: String(error), start: call.start, end };
    }
    // Died of memory (see diedOfMemory); its mirrored lines outlive it.
    this.death ??= 'oom';
    if (this.death === 'evicted') return { kind: 'retry', overran: false };
    return this.withInit(call, { kind: this.death, start: call.start, end, logs: this.loggedBy(call) });
  }

  private withInit<T extends CallOutcome & { initTime?: number }>(call: Call, outcome: T): T {
    if (call.cold) outcome.initTime = this.initTime;
    return outcome;
  }

  // ---- init ---------------------------------------------------------------------------------

  private async initialize(blank: BlankIsolate): Promise<InitState> {
    // Let the pool queue the call that caused this cold start: its env and identity are init's.
    await Promise.resolve();
    const context = this.waiting[0]?.context;
    let loaded = false;
    const scope = this.openScope(context);
    blank.adopt({
      onNotify: () => this.onNotify(),
      onRequest: (op, s, id, a, b) => {
        if (this.alive) this.broker.request(op, s, id, a, b);
      },
      onModule: (op, a, b) => this.moduleOp(op, a, b),
    });
    // The action's top-level code runs during init: bound it by the action's timeout too.
    const timer = setTimeout(() => this.initTimedOut(), this.action.limits.timeout);
    try {
      const env = JSON.stringify(context?.env ?? {});
      const answer = await this.load(blank, scope, env);
      if (!this.alive) throw new Error('The isolate was disposed during initialization.');
      if (answer === 'OK') {
        loaded = true;
        return { ok: true };
      }
      const parsed = JSON.parse(answer) as { m: string; l: string[] };
      const logs = Array.isArray(parsed.l) ? parsed.l.map(String) : [];
      return { ok: false, message: String(parsed.m), timedOut: false, logs: logs.concat(this.initNotes) };
    } finally {
      clearTimeout(timer);
      if (loaded && context !== undefined) this.carried = context;
      else this.broker.end();
      // ES module init leaves hooks for the module wrappers; CommonJS init ends by itself.
      if (this.linked && this.alive) await blank.endInit.apply(undefined, []).catch(() => undefined);
    }
  }

  /** Loads the action's code; answers 'OK' or JSON {m, l}. */
  private async load(blank: BlankIsolate, scope: number, env: string): Promise<string> {
    const { action } = this;
    if (!action.binary) {
      const answer = await this.initCall(blank.init.apply(undefined, [action.code, action.main, '', scope, env]));
      if (answer !== 'E') return answer;
      return this.loadModule(blank, scope, env, `${ROOT}/index.mjs`, action.code, action.main);
    }
    let entry;
    try {
      const archive = this.host.archives.get(action);
      this.files = archive;
      entry = archiveEntry(archive, action.main);
    } catch (error) {
      if (error instanceof ArchiveError) return JSON.stringify({ m: `Initialization has failed due to: ${error.message}`, l: [] });
      throw error;
    }
    if (entry.format !== 'module') {
      const answer = await this.initCall(blank.init.apply(undefined, ['', entry.exportName, entry.path, scope, env]));
      if (answer !== 'E') return answer;
    }
    return this.loadModule(blank, scope, env, entry.path, this.files.files.get(entry.path) ?? '', entry.exportName);
  }

  /** An init step's answer; an unhandled rejection reported with it becomes a log line. */
  private async initCall(sent: Promise<string>): Promise<string> {
    try {
      return await sent;
    } catch (error) {
      if (!this.isRejection(error)) throw error;
      this.initNotes.push(rejectionLine(error));
      return this.takeRef.apply(undefined, []);
    }
  }

  private async loadModule(blank: BlankIsolate, scope: number, env: string, path: string, source: string, main: string): Promise<string> {
    this.linked = true;
    await blank.initModule.apply(undefined, [main, scope, env]);
    let start: ivm.Module;
    try {
      start = await linkModules({ isolate: this.isolate, context: blank.context, files: this.files, entryPath: path, entrySource: source, moduleExports: blank.moduleExports });
    } catch (error) {
      if (error instanceof ModuleLinkError) return JSON.stringify({ m: error.message, l: error.logs });
      throw error;
    }
    const settled = new Promise<string>((resolve) => {
      this.initWaiter = resolve;
    });
    try {
      await start.evaluate();
    } catch (error) {
      this.initWaiter = undefined;
      if (!this.alive) throw error;
      return this.initFailed(describe(error));
    }
    // The ready hook ran already (no top-level await), or will, then notify() brings the answer.
    const answer = await this.takeRef.apply(undefined, []).catch(() => '');
    if (answer !== '') {
      this.initWaiter = undefined;
      return answer;
    }
    return settled;
  }

  /** Init's failure answer for `reason`, with the logs init wrote. */
  private initFailed(reason: string): Promise<string> {
    return this.initFailedRef.apply(undefined, [reason]).catch(() => JSON.stringify({ m: `Initialization has failed due to: ${reason}`, l: [] }));
  }

  /** `require` support: resolve a specifier, read a file. Pure reads of the action's files. */
  private moduleOp(op: unknown, a: unknown, b: unknown): unknown {
    if (typeof a !== 'string' || a.length > MAX_SPECIFIER) throw isolateError('module specifier must be a string');
    if (op === 'resolve') {
      if (typeof b !== 'string' || b.length > MAX_SPECIFIER || !b.startsWith('/')) throw isolateError('module directory must be an absolute path');
      return resolveModule(this.files, a, b, 'require');
    }
    if (op === 'read') {
      const source = this.files.files.get(a);
      if (source === undefined) throw isolateError(`Cannot find module '${a}'`, Error);
      return source;
    }
    throw isolateError('unknown module operation');
  }

  /** Init ran out of time: what the module logged while loading is kept, then the isolate goes. */
  private initTimedOut(): void {
    this.initLogs = this.logs.lines();
    this.dispose('timeout');
  }

  private initFailure(error: unknown): InitState {
    if (this.death === 'timeout') {
      const message = `The action exceeded its time limits of ${this.action.limits.timeout} milliseconds during initialization.`;
      return { ok: false, message, timedOut: true, logs: this.initLogs.concat(this.initNotes) };
    }
    if (this.isolate.isDisposed) return { ok: false, message: MESSAGES.memoryExhausted, timedOut: false, logs: this.logs.lines().concat(this.initNotes) };
    return { ok: false, message: `Initialization has failed due to: ${String(error)}`, timedOut: false, logs: [] };
  }
}

/**
 * Whether isolated-vm cut a call off at its `timeout`. Matched exactly: an action's own unhandled
 * rejection ("request timed out") reaches the host the same way, and is a log line, not a cut-off.
 */
function wasCutOff(error: unknown): boolean {
  return error instanceof Error && error.message === 'Script execution timed out.';
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

function rejectionLine(error: unknown): string {
  return `${new Date().toISOString()} stderr: Unhandled promise rejection: ${describe(error)}`;
}

function withNotes(outcome: CallOutcome & { kind: 'done' }, notes: string[]): CallOutcome {
  try {
    const parsed = JSON.parse(outcome.output) as { l?: unknown };
    if (!Array.isArray(parsed.l)) return outcome;
    parsed.l.push(...notes);
    return { ...outcome, output: JSON.stringify(parsed) };
  } catch {
    return outcome;
  }
}
