/**
 * One warm V8 isolate holding one action version. All execution happens on isolated-vm's threads
 * (async apply), so a busy or hostile action never blocks the server's event loop; a deadline is
 * enforced from the host by disposing the isolate, which costs nothing on the warm path, unlike
 * isolated-vm's per-call `timeout` option.
 *
 * Calls may be queued on an instance while another runs (the prelude serializes them), which is
 * what makes the warm path cheap: isolated-vm pipelines the thread hops. Only the head of the queue
 * is executing, so only its deadline runs; when the isolate dies, the calls behind the head never
 * started and are handed back to the pool to retry elsewhere.
 */
import { readFileSync } from 'node:fs';
import ivm from 'isolated-vm';
import { MESSAGES } from '../../errors.ts';
import type { RunnableAction } from '../runner.ts';

const PRELUDE = readFileSync(new URL('./prelude.js', import.meta.url), 'utf8');
/** V8's code cache for the prelude, produced by the first isolate and reused by every later one. */
let preludeCache: ivm.ExternalCopy<ArrayBuffer> | undefined;

/** The raw outcome of one call on this instance. `initTime` is set for calls that waited for a cold start. */
export type CallOutcome =
  | { kind: 'done'; output: string; start: number; end: number; initTime?: number }
  | { kind: 'timeout' | 'oom'; start: number; end: number; initTime?: number }
  | { kind: 'failed'; message: string; start: number; end: number }
  /** The instance died before this call started: run it elsewhere. */
  | { kind: 'retry' }
  | { kind: 'initFailed'; message: string; timedOut: boolean; logs: string[]; start: number; end: number };

interface Call {
  resolve: (outcome: CallOutcome) => void;
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
  private readonly isolate: ivm.Isolate;
  private readonly ready: Promise<InitState>;
  private isReady = false;
  private runRef: ivm.Reference<(input: string) => Promise<string>> | undefined;
  private readonly calls: Call[] = [];
  private timer: NodeJS.Timeout | undefined;
  private death: DeathReason | undefined;
  /** The call that was executing when the isolate died: the only one charged for the death. */
  private deadHead: Call | undefined;

  constructor(action: RunnableAction, now: () => number) {
    this.action = action;
    this.now = now;
    const started = now();
    this.isolate = new ivm.Isolate({ memoryLimit: action.limits.memory });
    this.ready = this.initialize()
      .catch((error: unknown) => this.initFailure(error))
      .then((state) => {
        this.initTime = this.now() - started;
        this.isReady = true;
        if (state.ok) this.measureHeap();
        else this.dispose('evicted');
        return state;
      });
  }

  /** Calls queued or running on this instance. */
  get busy(): number {
    return this.calls.length;
  }

  get alive(): boolean {
    return this.death === undefined && !this.isolate.isDisposed;
  }

  run(input: string): Promise<CallOutcome> {
    return new Promise((resolve) => {
      const call: Call = { resolve, start: this.now(), cold: !this.isReady };
      this.calls.push(call);
      void this.ready.then((state) => {
        if (!state.ok) {
          const end = this.now();
          this.settle(call, { kind: 'initFailed', message: state.message, timedOut: state.timedOut, logs: state.logs, start: call.start, end });
          return;
        }
        if (!this.alive) {
          this.settle(call, { kind: 'retry' });
          return;
        }
        if (this.calls[0] === call) this.startHead();
        this.runRef!.apply(undefined, [input], { result: { promise: true } }).then(
          (output) => this.settle(call, this.withInit(call, { kind: 'done', output: typeof output === 'string' ? output : '', start: call.start, end: this.now() })),
          (error: unknown) => this.settle(call, this.failure(call, error)),
        );
      });
    });
  }

  /** Frees the isolate. The executing call is charged with `reason`; calls behind it are retried. */
  dispose(reason: DeathReason = 'evicted'): void {
    if (this.death === undefined) {
      this.death = reason;
      this.deadHead = this.calls[0];
    }
    clearTimeout(this.timer);
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }

  measureHeap(): void {
    if (this.isolate.isDisposed) return;
    const stats = this.isolate.getHeapStatisticsSync();
    this.heapMb = (stats.total_heap_size + stats.externally_allocated_size) / 1048576;
    this.callsSinceMeasure = 0;
  }

  private async initialize(): Promise<InitState> {
    const context = await this.isolate.createContext();
    const script = (await this.isolate.compileScript(PRELUDE, preludeCache ? { cachedData: preludeCache } : { produceCachedData: true })) as ivm.Script & {
      cachedData?: ivm.ExternalCopy<ArrayBuffer>;
    };
    if (!preludeCache && script.cachedData) preludeCache = script.cachedData;
    await script.run(context);
    const api = await context.global.get('__edgewhisk', { reference: true });
    const init = (await api.get('init', { reference: true })) as ivm.Reference<(code: string, main: string) => string>;
    this.runRef = (await api.get('run', { reference: true })) as ivm.Reference<(input: string) => Promise<string>>;
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

  /** Classifies a rejected call: the isolate died (deadline, memory) or something unexpected broke. */
  private failure(call: Call, error: unknown): CallOutcome {
    const end = this.now();
    if (!this.isolate.isDisposed && this.death === undefined) {
      return { kind: 'failed', message: String(error), start: call.start, end };
    }
    // isolated-vm disposes an isolate that exceeds its heap limit by itself.
    if (this.death === undefined) this.dispose('oom');
    if (call !== this.deadHead || this.death === 'evicted') return { kind: 'retry' };
    return this.withInit(call, { kind: this.death === 'timeout' ? 'timeout' : 'oom', start: call.start, end });
  }

  private withInit<T extends CallOutcome & { initTime?: number }>(call: Call, outcome: T): T {
    if (call.cold) outcome.initTime = this.initTime;
    return outcome;
  }

  private startHead(): void {
    const head = this.calls[0];
    if (!head) return;
    head.start = this.now();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.dispose('timeout'), this.action.limits.timeout);
  }

  private settle(call: Call, outcome: CallOutcome): void {
    const index = this.calls.indexOf(call);
    if (index >= 0) this.calls.splice(index, 1);
    if (index === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      if (this.alive && this.calls.length > 0) this.startHead();
    }
    call.resolve(outcome);
  }
}
