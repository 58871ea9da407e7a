/**
 * One warm V8 isolate holding one action version, running one activation at a time.
 *
 * Two ways to run a call (ExecutionPaths picks), because a thread hop costs ~20 µs while a warm
 * call costs ~2 µs:
 * - slow: on isolated-vm's own threads (async apply), so a busy action never blocks the server;
 *   its deadline is enforced by disposing the isolate from a host timer.
 * - fast: on the event loop (applySync) with isolated-vm's `timeout` set to a small slice. A call
 *   that overruns the slice loses this isolate and is run again on the slow path in a fresh one;
 *   nothing it did escaped the isolate, since the fast path calls no host operation.
 * An activation whose promise is still pending after start() completes later: the prelude calls
 * the host's notify callback and the host takes the outcome.
 */
import ivm from 'isolated-vm';
import { MESSAGES } from '../../errors.ts';
import type { RunnableAction } from '../runner.ts';
import type { BlankIsolate, StartFn, TakeFn } from './blank.ts';

/** The raw outcome of one call. `initTime` is set for calls that waited for a cold start. */
export type CallOutcome =
  /** `runMs`: how long the call held the isolate, when it completed without awaiting. */
  | { kind: 'done'; output: string; start: number; end: number; initTime?: number; runMs?: number }
  | { kind: 'timeout' | 'oom'; start: number; end: number; initTime?: number }
  | { kind: 'failed'; message: string; start: number; end: number }
  /** Not run to completion here and safe to run again elsewhere; `overran` the fast slice. */
  | { kind: 'retry'; overran: boolean }
  | { kind: 'initFailed'; message: string; timedOut: boolean; logs: string[]; start: number; end: number };

interface Call {
  input: string;
  fast: boolean;
  resolve: (outcome: CallOutcome) => void;
  queued: number;
  start: number;
  cold: boolean;
}

type InitState = { ok: true } | { ok: false; message: string; timedOut: boolean; logs: string[] };
type DeathReason = 'timeout' | 'oom' | 'evicted';

export class IsolateInstance {
  readonly action: RunnableAction;
  /** Milliseconds the isolate took to create and initialize. */
  initTime = 0;
  /** Measured heap size in MB, for the pool's memory budget. */
  heapMb = 1;
  callsSinceMeasure = 0;

  private readonly now: () => number;
  private readonly fastSliceMs: number;
  private readonly isolate: ivm.Isolate;
  private readonly ready: Promise<InitState>;
  private state: InitState | undefined;
  private readonly startRef: ivm.Reference<StartFn>;
  private readonly takeRef: ivm.Reference<TakeFn>;
  private readonly waiting: Call[] = [];
  private current: Call | undefined;
  private timer: NodeJS.Timeout | undefined;
  private death: DeathReason | undefined;

  /** `blank` has the prelude loaded; `started` is when the cold start began (for initTime). */
  constructor(action: RunnableAction, blank: BlankIsolate, started: number, now: () => number, fastSliceMs: number) {
    this.action = action;
    this.now = now;
    this.fastSliceMs = fastSliceMs;
    this.isolate = blank.isolate;
    this.startRef = blank.start;
    this.takeRef = blank.take;
    this.ready = this.initialize(blank)
      .catch((error: unknown) => this.initFailure(error))
      .then((state) => {
        this.initTime = this.now() - started;
        this.state = state;
        if (state.ok) this.measureHeap();
        else this.dispose('evicted');
        this.pump();
        return state;
      });
  }

  /** Calls queued or running on this instance. */
  get busy(): number {
    return this.waiting.length + (this.current ? 1 : 0);
  }

  get alive(): boolean {
    return this.death === undefined && !this.isolate.isDisposed;
  }

  run(input: string, fast: boolean): Promise<CallOutcome> {
    return new Promise((resolve) => {
      const now = this.now();
      this.waiting.push({ input, fast, resolve, queued: now, start: now, cold: this.state === undefined });
      this.pump();
    });
  }

  /** Frees the isolate. The running call is charged with `reason`; queued calls are retried. */
  dispose(reason: DeathReason = 'evicted'): void {
    this.death ??= reason;
    clearTimeout(this.timer);
    if (!this.isolate.isDisposed) this.isolate.dispose();
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
      if (call.fast) this.startFast(call);
      else this.startSlow(call);
    }
  }

  private startFast(call: Call): void {
    const began = performance.now();
    let output: string;
    try {
      output = this.startRef.applySync(undefined, [call.input], { timeout: this.fastSliceMs });
    } catch (error) {
      this.fastFailure(call, error);
      return;
    }
    if (output === '') {
      output = this.takeRef.applySync(undefined, [], { timeout: this.fastSliceMs });
      if (output === '') {
        this.awaitCompletion(call);
        return;
      }
    }
    const runMs = performance.now() - began;
    this.finish(call, this.withInit(call, { kind: 'done', output, start: call.start, end: this.now(), runMs }));
  }

  /** A fast call threw: it overran its slice (retry slow, unless the slice was its whole timeout), or the isolate died. */
  private fastFailure(call: Call, error: unknown): void {
    const overran = !this.isolate.isDisposed && /timed out/i.test(String(error));
    if (overran && this.action.limits.timeout > this.fastSliceMs) {
      this.dispose('evicted');
      this.finish(call, { kind: 'retry', overran: true });
      return;
    }
    if (overran) this.dispose('timeout');
    this.finish(call, this.failure(call, error));
  }

  private startSlow(call: Call): void {
    this.armDeadline(call);
    const began = performance.now();
    this.startRef.apply(undefined, [call.input]).then(
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
        if (this.current === call) this.finish(call, this.failure(call, error));
      },
    );
  }

  /** The activation's promise is pending: its outcome arrives through notify → take. */
  private awaitCompletion(call: Call): void {
    if (this.timer === undefined) this.armDeadline(call);
  }

  private onNotify(): void {
    const call = this.current;
    if (!call || !this.alive) return;
    this.takeRef.apply(undefined, []).then(
      (output) => {
        if (this.current === call && typeof output === 'string' && output !== '') {
          this.finish(call, this.withInit(call, { kind: 'done', output, start: call.start, end: this.now() }));
        }
      },
      (error: unknown) => {
        if (this.current === call) this.finish(call, this.failure(call, error));
      },
    );
  }

  private armDeadline(call: Call): void {
    const remaining = Math.max(0, this.action.limits.timeout - (this.now() - call.start));
    this.timer = setTimeout(() => {
      if (this.current !== call) return;
      this.dispose('timeout');
      this.finish(call, this.withInit(call, { kind: 'timeout', start: call.start, end: this.now() }));
    }, remaining);
  }

  private finish(call: Call, outcome: CallOutcome): void {
    if (this.current !== call) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.current = undefined;
    call.resolve(outcome);
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
    // isolated-vm disposes an isolate that exceeds its heap limit by itself.
    this.death ??= 'oom';
    if (this.death === 'evicted') return { kind: 'retry', overran: false };
    return this.withInit(call, { kind: this.death, start: call.start, end });
  }

  private withInit<T extends CallOutcome & { initTime?: number }>(call: Call, outcome: T): T {
    if (call.cold) outcome.initTime = this.initTime;
    return outcome;
  }

  private async initialize(blank: BlankIsolate): Promise<InitState> {
    const { init, setNotify } = blank;
    // The only host function the isolate holds: no arguments, no result, queued on the event loop.
    setNotify.applySync(undefined, [new ivm.Callback(() => this.onNotify(), { ignored: true })]);
    // The action's top-level code runs during init: bound it by the action's timeout too.
    const timer = setTimeout(() => this.dispose('timeout'), this.action.limits.timeout);
    try {
      const failure = await init.apply(undefined, [this.action.code, this.action.main]);
      if (typeof failure !== 'string' || failure === '') return { ok: true };
      const parsed = JSON.parse(failure) as { m: string; l: string[] };
      return { ok: false, message: String(parsed.m), timedOut: false, logs: Array.isArray(parsed.l) ? parsed.l.map(String) : [] };
    } finally {
      clearTimeout(timer);
    }
  }

  private initFailure(error: unknown): InitState {
    if (this.death === 'timeout') {
      return { ok: false, message: `The action exceeded its time limits of ${this.action.limits.timeout} milliseconds during initialization.`, timedOut: true, logs: [] };
    }
    if (this.isolate.isDisposed) return { ok: false, message: MESSAGES.memoryExhausted, timedOut: false, logs: [] };
    return { ok: false, message: `Initialization has failed due to: ${String(error)}`, timedOut: false, logs: [] };
  }
}
