/**
 * Blank isolates: an isolate with a context and the prelude loaded, but no action code yet. Making
 * one costs ~1.5 ms (V8's isolate alone ~1.1 ms), so a few are kept ready for the default memory
 * limit and a cold start only has to load the action's code.
 */
import { readFileSync } from 'node:fs';
import ivm from 'isolated-vm';

const PRELUDE = readFileSync(new URL('./prelude.js', import.meta.url), 'utf8');
/** V8's code cache for the prelude, produced by the first isolate and reused by every later one. */
let preludeCache: ivm.ExternalCopy<ArrayBuffer> | undefined;

export type StartFn = (input: string) => string;
export type TakeFn = () => string;

export interface BlankIsolate {
  isolate: ivm.Isolate;
  memoryMb: number;
  init: ivm.Reference<(code: string, main: string) => string>;
  start: ivm.Reference<StartFn>;
  take: ivm.Reference<TakeFn>;
  setNotify: ivm.Reference<(callback: unknown) => void>;
}

/** Our own prelude is bounded and quick, so it is set up synchronously: no thread hop per step. */
export function makeBlankIsolate(memoryMb: number): BlankIsolate {
  const isolate = new ivm.Isolate({ memoryLimit: memoryMb });
  const context = isolate.createContextSync();
  const script = isolate.compileScriptSync(PRELUDE, preludeCache ? { cachedData: preludeCache } : { produceCachedData: true }) as ivm.Script & {
    cachedData?: ivm.ExternalCopy<ArrayBuffer>;
  };
  if (!preludeCache && script.cachedData) preludeCache = script.cachedData;
  script.runSync(context);
  const api = context.global.getSync('__edgewhisk', { reference: true }) as ivm.Reference<Record<string, unknown>>;
  return {
    isolate,
    memoryMb,
    init: api.getSync('init', { reference: true }) as BlankIsolate['init'],
    start: api.getSync('start', { reference: true }) as BlankIsolate['start'],
    take: api.getSync('take', { reference: true }) as BlankIsolate['take'],
    setNotify: api.getSync('setNotify', { reference: true }) as BlankIsolate['setNotify'],
  };
}

/** Keeps `count` blank isolates of one memory size ready, refilled off the request path. */
export class BlankIsolates {
  private readonly ready: BlankIsolate[] = [];
  private readonly memoryMb: number;
  private readonly count: number;
  private refillScheduled = false;
  private closed = false;

  constructor(memoryMb: number, count: number) {
    this.memoryMb = memoryMb;
    this.count = count;
    this.scheduleRefill();
  }

  /** A ready blank isolate when one of this size is waiting, else a fresh one. */
  take(memoryMb: number): BlankIsolate {
    if (memoryMb !== this.memoryMb) return makeBlankIsolate(memoryMb);
    const blank = this.ready.pop();
    this.scheduleRefill();
    return blank ?? makeBlankIsolate(memoryMb);
  }

  close(): void {
    this.closed = true;
    for (const blank of this.ready.splice(0)) blank.isolate.dispose();
  }

  private scheduleRefill(): void {
    if (this.refillScheduled || this.closed || this.count === 0) return;
    this.refillScheduled = true;
    // After the current request is answered, one isolate per turn so the loop stays responsive.
    setImmediate(() => {
      this.refillScheduled = false;
      if (this.closed || this.ready.length >= this.count) return;
      this.ready.push(makeBlankIsolate(this.memoryMb));
      this.scheduleRefill();
    }).unref();
  }
}
