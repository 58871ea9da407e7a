/**
 * An isolate worker process starts with V8's optimizing compilers off and turns them on as its
 * first call arrives (src/runners/workers/protocol.ts HOLD_COMPILERS). A real worker process
 * (src/runners/workers/entry.ts), started as the supervisor starts it plus --trace-opt, driven
 * over the real channel; V8's --trace-opt lines on its stdout say what it optimized.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { ToWorker, WorkerOptions } from '../../src/runners/workers/protocol.ts';
import type { RunnableAction } from '../../src/runners/runner.ts';
import { callWorker as call, ECHO_ACTION as action, endWorker, startWorker as start, type DrivenWorker } from '../helpers/isolate-worker.ts';
import { optimizations } from '../helpers/v8.ts';

let running: ChildProcess | undefined;
afterEach(() => {
  running?.kill('SIGKILL');
  running = undefined;
});

/** A worker that prints what V8 optimizes (--trace-opt), killed after the test if still running. */
function startWorker(options: Partial<WorkerOptions>, launch: { prefix?: string[]; flags?: string[] } = {}): DrivenWorker {
  const worker = start(options, { ...launch, flags: ['--trace-opt', ...(launch.flags ?? [])] });
  running = worker.child;
  return worker;
}

/** Ends the worker and gives what V8 printed: complete once it has exited. */
async function finish(worker: DrivenWorker): Promise<string[]> {
  await endWorker(worker);
  return optimizations(worker.stdout());
}

describe('V8’s optimizing compilers in an isolate worker process', () => {
  it('stay off through start-up: a worker that gets no call optimizes nothing (the spare)', async () => {
    const worker = startWorker({});
    await worker.next('ready');
    const pong = worker.next('pong');
    worker.channel.send({ t: 'ping' } satisfies ToWorker);
    await pong;
    expect(await finish(worker)).toEqual([]);
  }, 30_000);

  it('come on with the first call: a worker under calls optimizes its hot code', async () => {
    const worker = startWorker({});
    await worker.next('ready');
    for (let n = 1; n <= 1500; n++) await call(worker, n);
    expect((await finish(worker)).length).toBeGreaterThan(5);
  }, 30_000);

  // V8 optimizes a hot function on a background thread, then has the isolate install the code; in
  // an isolate only ever entered by applySync (fast calls, one per event-loop turn) that install was
  // sometimes lost and the function stayed in the interpreter, its job shown as under way for good
  // (5 runs of 6 before blank.ts had V8 compile isolates' code on their own thread). One core and one V8
  // background thread, as a worker pinned to a core runs.
  it('leaves no hot function of an action that only runs on the fast path waiting for its optimized code', async () => {
    const hot: RunnableAction = {
      ...action,
      key: 'guest/shape@0.0.1#1',
      code: `function shape(p) { return { id: p.id * 2, name: 'n' + p.id, even: p.id % 2 === 0 } }
        function statusOfMain() { return %GetOptimizationStatus(main) }
        function main(p) { const out = shape(p); if (p.status) out.status = statusOfMain(); return out }`,
    };
    const pinned = process.platform === 'linux' && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
    const worker = startWorker({ compilersHeld: false }, { prefix: pinned ? ['taskset', '-c', '0'] : [], flags: ['--allow-natives-syntax', '--v8-pool-size=1'] });
    await worker.next('ready');
    for (let id = 1; id <= 3000; id++) await call(worker, id, hot, { id });
    const { status } = (await call(worker, 3001, hot, { id: 1, status: true })) as { status: number };
    // V8's OptimizationStatus (src/runtime/runtime.h): 1 << 10 is "optimizing concurrently".
    expect(status & (1 << 10)).toBe(0);
    await finish(worker);
  }, 60_000);

  it('without the hold (compilersHeld false, as under --jitless), start-up alone has V8 optimize', async () => {
    const worker = startWorker({ compilersHeld: false });
    await worker.next('ready');
    expect((await finish(worker)).length).toBeGreaterThan(0);
  }, 30_000);
});
