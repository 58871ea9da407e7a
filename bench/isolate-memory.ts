/**
 * What one warm isolate costs in resident memory, against what V8's heap statistics say it holds.
 * One process (as an isolate worker), an IsolatePool with no budget to speak of: N distinct
 * actions (the density suite's) each run once, then all evicted, then N others run once. Prints
 * RSS before, with the N warm isolates, after they are gone (what the process keeps), and with N
 * new ones (how much of what it kept they reuse), and the heap the pool measured.
 *
 *   node --no-node-snapshot --expose-gc bench/isolate-memory.ts [N=500]
 */
import { DEFAULT_LIMITS } from '../src/openwhisk/limits.ts';
import { IsolatePool } from '../src/runners/isolate/pool.ts';
import { BYTES_PER_MB, BYTES_PER_MIB } from './units.ts';

const count = Number(process.argv[2] ?? 500);
// MB = 10^6 bytes, as every suite reports memory (bench/lib.ts); the pool's heapMb counts MiB.
const rssMb = (): number => process.memoryUsage.rss() / BYTES_PER_MB;
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, Number(process.env.SETTLE_MS ?? 300)));

const pool = new IsolatePool({ memoryBudgetMb: 1 << 20, maxInstancesPerAction: 1, fastSliceMs: 10, now: Date.now });
// The pool's blank isolates and the runtime's code cache exist before the baseline.
await pool.run({ action: action(-1), params: {}, env: {}, maxResultBytes: 1 << 20 });
await settle();
const before = rssMb();
for (let i = 0; i < count; i++) {
  const result = await pool.run({ action: action(i), params: {}, env: {}, maxResultBytes: 1 << 20 });
  if (result.statusCode !== 0) throw new Error(JSON.stringify(result));
}
await settle();
const warm = rssMb();
const stats = pool.stats();
pool.invalidate('guest/');
await settle();
(globalThis as { gc?: () => void }).gc?.();
await settle();
const after = rssMb();
for (let i = count; i < 2 * count; i++) await pool.run({ action: action(i), params: {}, env: {}, maxResultBytes: 1 << 20 });
await settle();
const again = rssMb();
const perIsolate = (warm - before) / count;
const heapMb = (stats.heapMb * BYTES_PER_MIB) / BYTES_PER_MB;
const heapPer = heapMb / stats.instances;
console.log(
  `${count} warm isolates: RSS ${before.toFixed(1)} → ${warm.toFixed(1)} MB (+${perIsolate.toFixed(2)} MB each); ` +
    `measured heap ${heapMb.toFixed(1)} MB in ${stats.instances} (${heapPer.toFixed(2)} MB each); ` +
    `beyond the heap ${(perIsolate - heapPer).toFixed(2)} MB each; all evicted: RSS ${after.toFixed(1)} MB; ${count} new ones: RSS ${again.toFixed(1)} MB`,
);
await pool.close();

function action(i: number) {
  const code = `const table = new Array(${100 + (Math.abs(i) % 50)}).fill(${i}); function main(p) { return { i: ${i}, n: table.length } }`;
  return { key: `guest/d${i}@0.0.1#1`, kind: 'nodejs:24', code, binary: false, main: 'main', limits: DEFAULT_LIMITS };
}
