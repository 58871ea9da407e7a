import { afterEach, describe, expect, it } from 'vitest';
import { PROMOTE_AFTER } from '../../src/runners/isolate/paths.ts';
import { IsolatePool } from '../../src/runners/isolate/pool.ts';
import type { RunnableAction, RunRequest } from '../../src/runners/runner.ts';

const limits = { timeout: 5000, memory: 128, logs: 1, concurrency: 1 };
// Counts calls in module state; burns `spin` ms of CPU when asked.
const code = `let calls = 0;
function main(p) {
  calls++;
  const until = Date.now() + (p.spin || 0);
  while (Date.now() < until) {}
  return { calls };
}`;

function request(action: RunnableAction, params: Record<string, unknown> = {}): RunRequest {
  return { action, params, env: {}, maxResultBytes: 1 << 20 };
}

describe('fast path', () => {
  let pool: IsolatePool;
  afterEach(async () => pool.close());

  it('promotes a quick action, keeps its state, and re-runs an overrunning call on a fresh isolate', async () => {
    pool = new IsolatePool({ memoryBudgetMb: 512, maxInstancesPerAction: 1, fastSliceMs: 20, now: Date.now });
    const action: RunnableAction = { key: 'guest/counter@0.0.1#1', kind: 'nodejs:24', code, binary: false, main: 'main', limits };
    let calls = 0;
    for (; calls < 100 && pool.stats().fastActions === 0; calls++) {
      const result = await pool.run(request(action));
      expect(result).toMatchObject({ statusCode: 0, result: { calls: calls + 1 } });
    }
    expect(calls).toBeGreaterThanOrEqual(PROMOTE_AFTER);
    expect(pool.stats().fastActions).toBe(1);
    // Still one isolate, so state carried across the switch of paths.
    expect(await pool.run(request(action))).toMatchObject({ result: { calls: calls + 1 } });

    // 200 ms of CPU overruns the 20 ms slice: stopped, re-run on the threaded path in a new isolate.
    const loopBlocked = measureEventLoopBlock();
    const heavy = await pool.run(request(action, { spin: 200 }));
    expect(heavy.statusCode).toBe(0);
    expect(heavy.result).toEqual({ calls: 1 });
    expect(pool.stats().fastActions).toBe(0);
    // The event loop was held for about one slice, not for the whole 200 ms.
    expect(await loopBlocked()).toBeLessThan(150);

    const after = await pool.run(request(action));
    expect(after.result).toEqual({ calls: 2 });
  });

  it("an action whose timeout fits in the slice times out on the fast path with OpenWhisk's message", async () => {
    pool = new IsolatePool({ memoryBudgetMb: 512, maxInstancesPerAction: 1, fastSliceMs: 200, now: Date.now });
    const action: RunnableAction = { key: 'guest/short@0.0.1#1', kind: 'nodejs:24', code, binary: false, main: 'main', limits: { ...limits, timeout: 100 } };
    // The first calls include warming the thread: promotion comes after a streak of quick ones.
    for (let i = 0; i < 100 && pool.stats().fastActions === 0; i++) await pool.run(request(action));
    expect(pool.stats().fastActions).toBe(1);
    const result = await pool.run(request(action, { spin: 1000 }));
    expect(result.statusCode).toBe(2);
    expect(result.timedOut).toBe(true);
    expect(result.result).toEqual({ error: 'The action exceeded its time limits of 100 milliseconds.' });
  });
});

/** Returns a function resolving to the longest gap (ms) between event-loop ticks since the call. */
function measureEventLoopBlock(): () => Promise<number> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  return async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    clearInterval(timer);
    return longest;
  };
}
