/**
 * Blank isolates: an isolate with a context and the runtime loaded (prelude.js plus the libraries
 * in ./lib, composed into one script), but no action code yet. Making one costs ~1.5 ms (V8's
 * isolate alone ~1.1 ms), so a few are kept ready for the default memory limit and a cold start only
 * has to load the action's code.
 *
 * The libraries are function declarations inside the script, run only when an action first uses
 * them (a lazy global or a require), so V8 compiles them lazily too: their cost at blank-isolate time
 * is reading their part of the code cache, not running them.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import ivm from 'isolated-vm';
import { compute, guarded, isolateError } from './compute.ts';
import { LogMirror, makeMirrorBuffer } from './mirror.ts';

const LIBRARIES = ['encoding', 'url', 'web', 'fetch', 'node', 'openwhisk'] as const;

function source(name: string): string {
  return readFileSync(new URL(name, import.meta.url), 'utf8').trim();
}

/** prelude.js declares installPrelude(global, libraries); each lib/<name>.js declares <name>Library(rt). */
export const RUNTIME_SOURCE = [
  "'use strict';",
  '(function (global) {',
  ...LIBRARIES.map((name) => source(`./lib/${name}.js`)),
  `const libraries = { ${LIBRARIES.map((name) => `${name}: ${name}Library`).join(', ')} };`,
  `(${source('./prelude.js')})(global, libraries);`,
  '})(globalThis);',
].join('\n');

/**
 * V8's code cache for the runtime, produced by the first isolate and reused by every later one.
 * V8 accepts a cache only under the flags it was made with: one made while the optimizing
 * compilers were held off (src/jit.ts, src/runners/workers/protocol.ts) is rejected once they are
 * on, so a rejected cache is dropped and the next isolate makes a new one. Kept, it made every
 * later isolate compile the whole runtime again (density's cold-start mix at half its speed).
 */
let runtimeCache: ivm.ExternalCopy<ArrayBuffer> | undefined;
/** Caches V8 rejected (each one replaced by the next isolate's). */
let runtimeCacheRejections = 0;

/** Whether a runtime code cache is held, and how many were rejected and replaced (tests). */
export function runtimeCacheState(): { cached: boolean; rejections: number } {
  return { cached: runtimeCache !== undefined, rejections: runtimeCacheRejections };
}

/** `offLoop`: the call runs on isolated-vm's threads (its log lines are mirrored from the start). */
export type StartFn = (input: string, scope: number, offLoop?: boolean) => string;
/** Inputs joined by \x01, the first call's scope; answers the outcomes joined by \x01 (see prelude.js). */
export type StartBatchFn = (inputs: string, firstScope: number) => string;
export type TakeFn = () => string;
export type DeliverFn = (scope: number, id: number, status: number, a: unknown, b: unknown) => void;
export type InitFn = (code: string, main: string, entry: string, scope: number, env: string) => string;

/** Where a blank isolate's host callbacks lead, once an instance has adopted it. */
export interface HostPort {
  /** notify() from the isolate: an outcome is ready. */
  onNotify(): void;
  /** A timer, fetch or API request from the isolate (all arguments untrusted). */
  onRequest(op: unknown, scope: unknown, id: unknown, a: unknown, b: unknown): void;
  /** A synchronous module operation (resolve, read) over the action's files. */
  onModule(op: unknown, a: unknown, b: unknown): unknown;
}

export interface BlankIsolate {
  isolate: ivm.Isolate;
  context: ivm.Context;
  memoryMb: number;
  init: ivm.Reference<InitFn>;
  initModule: ivm.Reference<(main: string, scope: number, env: string) => string>;
  moduleExports: ivm.Reference<(id: string) => string>;
  endInit: ivm.Reference<() => void>;
  initFailed: ivm.Reference<(reason: string) => string>;
  start: ivm.Reference<StartFn>;
  startBatch: ivm.Reference<StartBatchFn>;
  take: ivm.Reference<TakeFn>;
  deliver: ivm.Reference<DeliverFn>;
  /** Mirrors the open scope's lines from now on, copying over the ones it has. */
  mirrorLogs: ivm.Reference<() => void>;
  /** The lines the open scope has logged, readable whatever the isolate is doing (or after it died). */
  logs: LogMirror;
  /** Connects the isolate's host callbacks to the instance that takes it. */
  adopt(port: HostPort): void;
}

/** What compiling the runtime left: the cache it made, or whether V8 rejected the one it was given. */
interface CacheOutcome {
  cachedData?: ivm.ExternalCopy<ArrayBuffer> | undefined;
  cachedDataRejected?: boolean;
}
type RuntimeScript = ivm.Script & CacheOutcome;

const RUNTIME_FILENAME = 'edgewhisk:runtime';

function runtimeScriptOptions(): ivm.ScriptOrigin & ivm.CachedDataOptions {
  return { filename: RUNTIME_FILENAME, ...(runtimeCache ? { cachedData: runtimeCache } : { produceCachedData: true }) };
}

function keepRuntimeCache(script: CacheOutcome): void {
  if (script.cachedDataRejected === true) {
    runtimeCache = undefined;
    runtimeCacheRejections++;
  } else if (!runtimeCache && script.cachedData) runtimeCache = script.cachedData;
}

let compilingOnIsolateThreads = false;

/**
 * V8 compiles an isolate's hot functions on a background thread (Maglev, TurboFan) and installs the
 * code when done. For isolated-vm's isolates such a job sometimes never finished: `--trace-opt`
 * printed "compiling method … (target MAGLEV), mode: ConcurrencyMode::kConcurrent" and never
 * "completed compiling" (3 runs of 4 of a scratch loop of applySync calls on one core), and the
 * function stayed in the interpreter for good, its job shown as under way — in perf, the runtime's
 * per-call functions of a busy worker. So before the first isolate this process makes, V8 is told
 * to compile on the isolate's own thread (a Maglev compile took 0.15–0.35 ms there). It decides this
 * per isolate as it creates one: the isolates that exist already — this process's own, a worker
 * thread's — keep compiling in the background.
 */
function newIsolate(memoryMb: number): ivm.Isolate {
  if (!compilingOnIsolateThreads) {
    setFlagsFromString('--no-concurrent-recompilation');
    compilingOnIsolateThreads = true;
  }
  return new ivm.Isolate({ memoryLimit: memoryMb });
}

/** Our own runtime is bounded and quick, so it is set up synchronously: no thread hop per step. */
export function makeBlankIsolate(memoryMb: number): BlankIsolate {
  const isolate = newIsolate(memoryMb);
  const context = isolate.createContextSync();
  const script = isolate.compileScriptSync(RUNTIME_SOURCE, runtimeScriptOptions()) as RuntimeScript;
  keepRuntimeCache(script);
  script.runSync(context);
  return wireBlank(isolate, context, memoryMb);
}

/**
 * The refill's maker: an isolate of this process's own, holding the isolated-vm module, that makes
 * a blank isolate — new Isolate, its context, the runtime compiled and run — on isolated-vm's
 * threads, so that only the wiring (~50 µs) is left to the event loop. Made on the event loop, a
 * blank held up every call to the process for 1.4–2 ms (a warm action at 1 connection, cold starts
 * beside it: p99 3.1 ms against 2.6 with new Isolate alone on the loop). Made by the maker, with
 * the server on two cores, that warm action did 4.7–5.8k req/s against 3.1–4.1k with new Isolate on
 * the loop (bench/beside.ts, 3 alternated pairs; on one core no change). No action's code runs in
 * the maker, and no action's isolate gets a handle to it: the host holds its one function.
 *
 * The isolate's native memory then comes from an isolated-vm thread: processes that make isolates
 * are started with one malloc arena for it (src/cli/snapshot.ts isolateProcessEnv).
 */
const MAKER_SOURCE = `globalThis.make = async (memoryMb, source, filename, cache) => {
  const isolate = new ivm.Isolate({ memoryLimit: memoryMb });
  try {
    const context = await isolate.createContext();
    const script = await isolate.compileScript(source, cache === undefined ? { filename, produceCachedData: true } : { filename, cachedData: cache });
    await script.run(context);
    return new ivm.Reference([isolate, context, script.cachedData, script.cachedDataRejected === true]);
  } catch (error) {
    if (!isolate.isDisposed) isolate.dispose();
    throw error;
  }
};`;

type MakeFn = (memoryMb: number, source: string, filename: string, cache: ivm.ExternalCopy<ArrayBuffer> | undefined) => Promise<ivm.Reference<unknown[]>>;
let maker: ivm.Reference<MakeFn> | undefined;

function blankMaker(): ivm.Reference<MakeFn> {
  if (maker !== undefined) return maker;
  const isolate = newIsolate(16);
  const context = isolate.createContextSync();
  context.global.setSync('ivm', ivm);
  context.evalSync(MAKER_SOURCE);
  maker = context.global.getSync('make', { reference: true }) as ivm.Reference<MakeFn>;
  return maker;
}

/** The same as makeBlankIsolate, made by the maker on isolated-vm's threads. */
async function makeBlankIsolateOffLoop(memoryMb: number): Promise<BlankIsolate> {
  const made = (await blankMaker().apply(undefined, [memoryMb, RUNTIME_SOURCE, RUNTIME_FILENAME, runtimeCache], { result: { promise: true } })) as ivm.Reference<unknown[]>;
  const part = <T>(index: number): T => made.getSync(index) as unknown as T;
  const isolate = part<ivm.Isolate>(0);
  const context = part<ivm.Context>(1);
  keepRuntimeCache({ cachedData: part<ivm.ExternalCopy<ArrayBuffer> | undefined>(2), cachedDataRejected: part<boolean>(3) });
  made.release();
  try {
    return wireBlank(isolate, context, memoryMb);
  } catch (error) {
    if (!isolate.isDisposed) isolate.dispose();
    throw error;
  }
}

/** Takes the runtime's entry points and installs the host callbacks of a loaded isolate. */
function wireBlank(isolate: ivm.Isolate, context: ivm.Context, memoryMb: number): BlankIsolate {
  const api = context.global.getSync('__edgewhisk', { reference: true }) as ivm.Reference<Record<string, unknown>>;
  const get = <T>(name: string): ivm.Reference<T> => api.getSync(name, { reference: true }) as ivm.Reference<T>;
  const blank: BlankIsolate = {
    isolate,
    context,
    memoryMb,
    init: get('init'),
    initModule: get('initModule'),
    moduleExports: get('moduleExports'),
    endInit: get('endInit'),
    initFailed: get('initFailed'),
    start: get('start'),
    startBatch: get('startBatch'),
    take: get('take'),
    deliver: get('deliver'),
    mirrorLogs: get('mirrorLogs'),
    logs: new LogMirror(),
    adopt: (port) => {
      owner = port;
    },
  };
  // The host callbacks are installed now, off the request path, and lead nowhere until adopted.
  // Ignored ones run on the event loop after the isolate call that made them has returned.
  let owner: HostPort | undefined;
  const notify = new ivm.Callback(() => owner?.onNotify(), { ignored: true });
  const request = new ivm.Callback((op: unknown, scope: unknown, id: unknown, a: unknown, b: unknown) => owner?.onRequest(op, scope, id, a, b), { ignored: true });
  const module = new ivm.Callback((op: unknown, a: unknown, b: unknown) =>
    guarded(() => {
      if (owner === undefined) throw isolateError('no action is loaded');
      return owner.onModule(op, a, b);
    }));
  const pure = new ivm.Callback((op: unknown, a: unknown, b: unknown, c: unknown) => guarded(() => compute(op, a, b, c)));
  // Synchronous: the host holds the isolate's current buffer from the moment it is made, so a read
  // at a deadline never finds an old one.
  const mirror = new ivm.Callback((op: unknown, value: unknown) => (op === 'make' ? makeMirrorBuffer(value) : blank.logs.adopt(value)));
  get<(notify: unknown, request: unknown, module: unknown, compute: unknown, mirror: unknown) => void>('setHost').applySync(undefined, [notify, request, module, pure, mirror]);
  // The host holds its references now; action code never sees the runtime's entry points.
  context.global.deleteSync('__edgewhisk');
  api.release();
  return blank;
}

/**
 * When blanks are made. One takes 1.4–2.0 ms of a core (new Isolate 0.85–1.15 ms of it; the more
 * isolates the process holds, the more of it is page faults), and a blank made while a request is
 * under way delays it by about as much where they share the one core the process may use (the
 * benchmarks pin the server and its workers to one; so do small containers). Made 1 ms after each
 * cold start's answer, as it was until 2026-11, a refill landed on the next request whenever cold
 * starts followed each other: traced in bench/cold.ts's loop (a PUT, then the first POST, per
 * action), that POST waited for it, p50 4.4–4.8 ms, against 1.5 ms with the stock made beforehand.
 *
 * So on one core a refill waits until no blank has been asked for during QUIET_MS (a take, a cold
 * start's answer, a deploy's prepare): in a run of cold starts the stock runs out, each take makes
 * its blank on the spot, and a deploy makes one at once if none is ready, before its first call
 * comes rather than in its path. With more cores a refill has one to run on: it starts 1 ms after
 * the last demand.
 */
const QUIET_MS = availableParallelism() > 1 ? 1 : 5;

/** Keeps `count` blank isolates of one memory size ready, refilled when they are not being asked for. */
export class BlankIsolates {
  private readonly ready: BlankIsolate[] = [];
  private readonly memoryMb: number;
  private readonly count: number;
  private readonly quietMs: number;
  /** The timer of a refill waiting for quiet. */
  private timer: NodeJS.Timeout | undefined;
  /** When a blank was last asked for (performance.now()). */
  private lastDemand = -Infinity;
  private closed = false;
  /** A refill under way on isolated-vm's threads: close waits for it (see close). */
  private making: Promise<void> | undefined;

  constructor(memoryMb: number, count: number, quietMs = QUIET_MS) {
    this.memoryMb = memoryMb;
    this.count = count;
    this.quietMs = quietMs;
    this.scheduleRefill();
  }

  /** Blank isolates ready now. */
  get stocked(): number {
    return this.ready.length;
  }

  /** A ready blank isolate when one of this size is waiting, else a fresh one. */
  take(memoryMb: number): BlankIsolate {
    if (memoryMb !== this.memoryMb) return makeBlankIsolate(memoryMb);
    const blank = this.ready.pop() ?? makeBlankIsolate(memoryMb);
    this.demanded();
    return blank;
  }

  /**
   * An action was deployed and its first call is likely soon: a blank is made now if none is ready,
   * at once (a refill under way may not be done when the call comes).
   */
  prepare(): void {
    if (!this.closed && this.count > 0 && this.ready.length === 0) this.ready.push(makeBlankIsolate(this.memoryMb));
    // After the making, which may itself outlast the quiet time a refill waits for.
    this.demanded();
  }

  /** A cold start has answered. */
  coldStartDone(): void {
    this.demanded();
  }

  /**
   * Disposes the ready isolates, and waits for a refill under way (it is then disposed too): a
   * process should not exit while isolated-vm's threads still compile or run in an isolate.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const blank of this.ready.splice(0)) blank.isolate.dispose();
    await this.making;
  }

  private demanded(): void {
    this.lastDemand = performance.now();
    this.scheduleRefill();
  }

  /** A refill once the quiet has lasted since the last demand; the timer checks it again then. */
  private scheduleRefill(): void {
    if (this.timer !== undefined || this.making !== undefined || this.closed || this.ready.length >= this.count) return;
    this.arm(this.quietLeft());
  }

  /** Read on the real clock: libuv's timers run on a clock that can lag it by a loop turn. */
  private quietLeft(): number {
    return this.lastDemand + this.quietMs - performance.now();
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const left = this.quietLeft();
      if (left > 0) this.arm(left);
      else this.refill();
    }, Math.max(0, Math.ceil(delayMs)));
    this.timer.unref();
  }

  /** One blank at a time, off the event loop. */
  private refill(): void {
    if (this.closed || this.ready.length >= this.count) return;
    this.making = makeBlankIsolateOffLoop(this.memoryMb).then(
      (blank) => {
        this.making = undefined;
        if (this.closed) return blank.isolate.dispose();
        this.ready.push(blank);
        this.scheduleRefill();
      },
      (error: unknown) => {
        // Takes make their own then; the next demand tries the refill again.
        this.making = undefined;
        console.error('blank isolate refill failed:', error);
      },
    );
  }
}
