/**
 * Reproduces a known defect (not fixed): after a few hundred actions whose initialization fails
 * (a syntax error, a throw at load, no main), a process running isolates segfaults or aborts inside
 * isolated-vm — gdb shows a weak callback of the host's minor GC landing in isolated-vm
 * (`ivm::TimeoutRunner::Run()` is the nearest symbol) — or, in an isolate worker process, stops
 * answering until the supervisor kills it. Successful actions, CommonJS or ES module, do not do it.
 *
 *   node --no-node-snapshot scripts/repro-init-failure-crash.ts [rounds=400] [code]
 *   gdb -batch -ex run -ex bt --args node --no-node-snapshot scripts/repro-init-failure-crash.ts
 *
 * Exits 0 if the process survives every round (5 of 5 runs of 400 rounds crashed here, 2026-11-22).
 */
import { DEFAULT_LIMITS } from '../src/openwhisk/limits.ts';
import { IsolatePool } from '../src/runners/isolate/pool.ts';

const rounds = Number(process.argv[2] ?? 400);
const code = process.argv[3] ?? 'function main( {';
for (let round = 0; round < rounds; round++) {
  const pool = new IsolatePool({ memoryBudgetMb: 1024, maxInstancesPerAction: 4, fastSliceMs: 10, now: Date.now });
  const action = { key: `guest/broken-${round}@0.0.1#1`, kind: 'nodejs:24', code, binary: false, main: 'main', limits: DEFAULT_LIMITS };
  const result = await pool.run({ action, params: {}, env: {}, maxResultBytes: 1_048_576 });
  if (result.statusCode !== 2) throw new Error(`round ${round}: expected an initialization failure, got ${JSON.stringify(result)}`);
  await pool.close();
  if (round % 50 === 0) process.stdout.write(`${round} `);
}
console.log(`survived ${rounds} rounds`);
