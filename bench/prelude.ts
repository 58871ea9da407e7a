/**
 * Suite "prelude": what the in-isolate runtime (prelude + libraries) costs, in process, without HTTP.
 * - warmCallUs: one warm fast-path call of a hello action, 64 calls in flight (wall time / calls).
 * - coldStartMs: the first call of a new action (blank isolate taken, action code loaded), median.
 * - blankIsolateMs: making one blank isolate (isolate + context + prelude from V8's code cache), median.
 *
 * `node --no-node-snapshot bench/prelude.ts` (BENCH_PRELUDE_CALLS=… to change the warm sample).
 */
import { DEFAULT_LIMITS } from '../src/openwhisk/limits.ts';
import { makeBlankIsolate } from '../src/runners/isolate/blank.ts';
import { IsolatePool } from '../src/runners/isolate/pool.ts';
import type { RunnableAction, RunRequest } from '../src/runners/runner.ts';
import { percentile } from './lib.ts';

export interface PreludeCost {
  warmCallUs: number;
  coldStartMs: number;
  blankIsolateMs: number;
}

const CONCURRENCY = 64;

function hello(key: string, n = 0): RunnableAction {
  return {
    key,
    kind: 'nodejs:24',
    code: `function main(params) { return { payload: 'Hello, ' + (params.name || 'World') + '!', n: ${n} } }`,
    binary: false,
    main: 'main',
    limits: { ...DEFAULT_LIMITS },
  };
}

function request(action: RunnableAction): RunRequest {
  return { action, params: { name: 'bench' }, env: { __OW_ACTIVATION_ID: '0'.repeat(32) }, maxResultBytes: 1 << 20 };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function warmCall(calls: number): Promise<number> {
  const pool = new IsolatePool({ memoryBudgetMb: 1024, maxInstancesPerAction: 4, fastSliceMs: 10, now: Date.now });
  try {
    const action = hello('bench/hello@0.0.1#1');
    for (let i = 0; i < 200 && pool.stats().fastActions === 0; i++) await pool.run(request(action));
    if (pool.stats().fastActions !== 1) throw new Error('the hello action was not promoted to the fast path');
    const round = async (): Promise<void> => {
      let left = calls;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (left-- > 0) {
            const result = await pool.run(request(action));
            if (result.statusCode !== 0) throw new Error(`warm call failed: ${JSON.stringify(result.result)}`);
          }
        }),
      );
    };
    await round(); // warm the JIT on both sides
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await round();
      samples.push(((performance.now() - started) * 1000) / calls);
    }
    return percentile(samples, 50);
  } finally {
    await pool.close();
  }
}

async function coldStart(count: number): Promise<number> {
  const pool = new IsolatePool({ memoryBudgetMb: 4096, maxInstancesPerAction: 4, fastSliceMs: 10, now: Date.now });
  try {
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      // Let the blank isolates refill between cold starts, as an idle moment on a server would.
      await nextTurn();
      await nextTurn();
      const started = performance.now();
      const result = await pool.run(request(hello(`bench/cold${i}@0.0.1#1`, i)));
      samples.push(performance.now() - started);
      if (result.statusCode !== 0) throw new Error(`cold call failed: ${JSON.stringify(result.result)}`);
      if (i % 50 === 49) pool.invalidate('bench/'); // keep the heap small
    }
    return percentile(samples, 50);
  } finally {
    await pool.close();
  }
}

function blankIsolate(count: number): number {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const blank = makeBlankIsolate(DEFAULT_LIMITS.memory);
    samples.push(performance.now() - started);
    blank.isolate.dispose();
  }
  return percentile(samples, 50);
}

export async function preludeCost(): Promise<PreludeCost> {
  const calls = Number(process.env.BENCH_PRELUDE_CALLS ?? 50_000);
  const blankIsolateMs = blankIsolate(100);
  const coldStartMs = await coldStart(100);
  const warmCallUs = await warmCall(calls);
  const round = (n: number): number => Math.round(n * 1000) / 1000;
  return { warmCallUs: round(warmCallUs), coldStartMs: round(coldStartMs), blankIsolateMs: round(blankIsolateMs) };
}

if (import.meta.main) {
  console.log('prelude cost:', await preludeCost());
}
