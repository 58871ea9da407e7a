import { afterEach, describe, expect, it } from 'vitest';
import { IsolatePool } from '../../src/runners/isolate/pool.ts';
import type { RunnableAction } from '../../src/runners/runner.ts';

const limits = { timeout: 5000, memory: 128, logs: 1, concurrency: 1 };
const code = `let calls = 0;
function main(p) {
  calls++;
  const until = Date.now() + (p.spin || 0);
  while (Date.now() < until) {}
  return { calls, version: 1 };
}`;

describe('invalidate (an update or delete of the action)', () => {
  let pool: IsolatePool;
  afterEach(async () => pool.close());

  it('lets a running activation finish once on its isolate, then frees that isolate', async () => {
    pool = new IsolatePool({ memoryBudgetMb: 512, maxInstancesPerAction: 1, fastSliceMs: 10, now: Date.now });
    const action: RunnableAction = { key: 'guest/busy@0.0.1#1', kind: 'nodejs:24', code, binary: false, main: 'main', limits };
    await pool.run({ action, params: {}, env: {}, maxResultBytes: 1 << 20 });
    expect(pool.stats()).toMatchObject({ instances: 1, coldStarts: 1 });

    const running = pool.run({ action, params: { spin: 300 }, env: {}, maxResultBytes: 1 << 20 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    pool.invalidate('guest/busy@');
    const result = await running;

    // Not killed and not re-run elsewhere: same isolate (its second call), no new cold start.
    expect(result).toMatchObject({ statusCode: 0, result: { calls: 2, version: 1 } });
    expect(pool.stats()).toMatchObject({ instances: 0, coldStarts: 1 });
  });
});
