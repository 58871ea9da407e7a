/** The isolate runner on its own, through the Runner interface the invoker uses. */
import { afterEach, describe, expect, it } from 'vitest';
import { MESSAGES } from '../../src/errors.ts';
import { DEFAULT_LIMITS, type ActionLimits } from '../../src/openwhisk/limits.ts';
import { IsolatePool, type IsolatePoolOptions } from '../../src/runners/isolate/pool.ts';
import type { RunResult, RunnableAction } from '../../src/runners/runner.ts';
import { LOG_LINE } from '../helpers/api.ts';

const pools: IsolatePool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
});

function makePool(options: Partial<IsolatePoolOptions> = {}): IsolatePool {
  const pool = new IsolatePool({ memoryBudgetMb: 1024, maxInstancesPerAction: 4, fastSliceMs: 10, now: Date.now, ...options });
  pools.push(pool);
  return pool;
}

/** The lines, each checked against OpenWhisk's format, without their timestamps: "stdout: text". */
function untimed(logs: string[]): string[] {
  for (const line of logs) expect(line).toMatch(LOG_LINE);
  return logs.map((line) => line.slice(line.indexOf(' ') + 1));
}

let version = 0;
function action(code: string, limits: Partial<ActionLimits> = {}, extra: Partial<RunnableAction> = {}): RunnableAction {
  return { key: `guest/test-${++version}@0.0.1#1`, kind: 'nodejs:24', code, binary: false, main: 'main', limits: { ...DEFAULT_LIMITS, ...limits }, ...extra };
}

function run(pool: IsolatePool, runnable: RunnableAction, params: Record<string, unknown> = {}, env: Record<string, string> = {}): Promise<RunResult> {
  return pool.run({ action: runnable, params, env, maxResultBytes: 1_048_576 });
}

describe('IsolatePool, isolates that logged, disposed by the hundred', () => {
  // Each isolate that logs hands the host a shared buffer for its log mirror. Made inside the
  // isolate, such a buffer was freed later through the allocator of an isolate that was gone: after
  // a few hundred, the process segfaulted or aborted in a garbage collection (every run of this
  // loop did; the mirror buffers are the host's now).
  it('leave the process sound', async () => {
    for (let round = 0; round < 600; round++) {
      const pool = makePool();
      const logger = action(`function main(p) { console.log('round', p.round); return { round: p.round } }`);
      const outcome = await run(pool, logger, { round });
      expect(outcome).toMatchObject({ statusCode: 0, result: { round } });
      expect(untimed(outcome.logs)).toEqual([`stdout: round ${round}`]);
      pools.splice(pools.indexOf(pool), 1);
      await pool.close();
    }
  });
});

describe('IsolatePool', () => {
  it('runs main with its parameters; initTime on the cold call only', async () => {
    const pool = makePool();
    const echo = action('function main(p) { console.log("got", p.x); return { x: p.x } }');
    const cold = await run(pool, echo, { x: 1 });
    expect(cold).toMatchObject({ statusCode: 0, result: { x: 1 }, timedOut: false });
    expect(cold.logs).toHaveLength(1);
    expect(cold.logs[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z stdout: got 1$/);
    expect(cold.end).toBeGreaterThanOrEqual(cold.start);
    expect(typeof cold.initTime).toBe('number');
    const warm = await run(pool, echo, { x: 2 });
    expect(warm).toMatchObject({ statusCode: 0, result: { x: 2 } });
    expect(warm.initTime).toBeUndefined();
    expect(pool.stats().coldStarts).toBe(1);
  });

  it('formats console arguments as Node does', async () => {
    const code = [
      'function main() {',
      '  console.log("%s is %d years", "Bob", 42, "extra");',
      '  console.log("%j", { a: [1, 2] });',
      '  console.log({ a: { b: { c: { d: 1 } } }, s: "str", n: null, u: undefined, f: function named() {} });',
      '  console.log(1n, true, [1, "two"]);',
      '  console.log("100%");',
      '  console.warn(new TypeError("bad"));',
      '  return {};',
      '}',
    ].join('\n');
    const outcome = await run(makePool(), action(code));
    const text = outcome.logs.map((line) => line.replace(/^\S+ /, ''));
    expect(text.slice(0, 5)).toEqual([
      'stdout: Bob is 42 years extra',
      'stdout: {"a":[1,2]}',
      "stdout: { a: { b: { c: [Object] } }, s: 'str', n: null, u: undefined, f: [Function: named] }",
      "stdout: 1n true [ 1, 'two' ]",
      'stdout: 100%',
    ]);
    expect(text[5]).toMatch(/^stderr: TypeError: bad\n\s+at main/);
  });

  it.each([
    ['{error}', 'function main() { return { error: "e" } }', 1, { error: 'e' }],
    ['a thrown error', 'function main() { throw new TypeError("t") }', 2, { error: 'An error has occurred: TypeError: t' }],
    ['a non-object', 'function main() { return 7 }', 2, { error: MESSAGES.notDictionary }],
    ['null', 'function main() { return null }', 2, { error: MESSAGES.notDictionary }],
    ['undefined', 'function main() {}', 0, {}],
    ['a rejected promise', 'async function main() { throw "r" }', 1, { error: 'r' }],
  ])('maps %s to status %i', async (_label, code, statusCode, result) => {
    const outcome = await run(makePool(), action(code));
    expect(outcome.statusCode).toBe(statusCode);
    expect(outcome.result).toEqual(result);
  });

  it('keeps module state between warm calls; a new key gets a fresh isolate', async () => {
    const pool = makePool();
    const code = 'let n = 0; function main() { return { n: ++n } }';
    const v1 = action(code);
    expect((await run(pool, v1)).result).toEqual({ n: 1 });
    expect((await run(pool, v1)).result).toEqual({ n: 2 });
    const v2 = { ...v1, key: v1.key.replace('0.0.1', '0.0.2') };
    expect((await run(pool, v2)).result).toEqual({ n: 1 });
    expect((await run(pool, v1)).result).toEqual({ n: 3 });
  });

  it('keeps module state across a call that computes for a while', async () => {
    const pool = makePool();
    const busy = action('let n = 0; function main(p) { n++; const end = Date.now() + (p.ms || 0); while (Date.now() < end) {} return { n } }');
    expect((await run(pool, busy)).result).toEqual({ n: 1 });
    expect((await run(pool, busy, { ms: 50 })).result).toEqual({ n: 2 });
    expect((await run(pool, busy)).result).toEqual({ n: 3 });
  });

  it('invalidate(prefix) drops every warm isolate of the action', async () => {
    const pool = makePool();
    const counter = action('let n = 0; function main() { return { n: ++n } }');
    await run(pool, counter);
    await run(pool, counter);
    pool.invalidate(counter.key.slice(0, counter.key.indexOf('@') + 1));
    const after = await run(pool, counter);
    expect(after.result).toEqual({ n: 1 });
    expect(typeof after.initTime).toBe('number');
  });

  it('process.env is exactly the activation’s environment', async () => {
    const pool = makePool();
    const show = action('function main() { const seen = Object.assign({}, process.env); process.env.LEAK = "x"; return seen }');
    expect((await run(pool, show, {}, { __OW_ACTIVATION_ID: 'a', ONLY_FIRST: '1' })).result).toEqual({ __OW_ACTIVATION_ID: 'a', ONLY_FIRST: '1' });
    expect((await run(pool, show, {}, { __OW_ACTIVATION_ID: 'b' })).result).toEqual({ __OW_ACTIVATION_ID: 'b' });
  });

  it('overlapping calls on one isolate each see their own environment', async () => {
    const pool = makePool({ maxInstancesPerAction: 1 });
    const racy = action('async function main() { const before = process.env.ID; for (let i = 0; i < 100; i++) await null; return { before, after: process.env.ID } }');
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => run(pool, racy, {}, { ID: `id-${i}` })));
    outcomes.forEach((outcome, i) => expect(outcome.result).toEqual({ before: `id-${i}`, after: `id-${i}` }));
    expect(pool.stats().coldStarts).toBe(1);
  });

  it('an infinite loop is stopped at limits.timeout and the event loop stays free', async () => {
    const pool = makePool();
    const spin = action('function main(p) { if (p.loop) for (;;) {} return { ok: true } }', { timeout: 300 });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    const started = Date.now();
    const outcome = await run(pool, spin, { loop: true });
    clearInterval(ticker);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(outcome).toMatchObject({ statusCode: 2, timedOut: true, result: { error: MESSAGES.timedOut(300) } });
    // The host timer kept firing while the action looped.
    expect(ticks).toBeGreaterThanOrEqual(8);
    const next = await run(pool, spin);
    expect(next).toMatchObject({ statusCode: 0, result: { ok: true }, timedOut: false });
  });

  it('a never-settling promise is stopped at limits.timeout', async () => {
    const outcome = await run(makePool(), action('function main() { return new Promise(() => {}) }', { timeout: 200 }));
    expect(outcome).toMatchObject({ statusCode: 2, timedOut: true, result: { error: MESSAGES.timedOut(200) } });
  });

  it.each([
    ['a loop', 'function main() { console.log("one"); console.error("two"); for (;;) {} }', ['stdout: one', 'stderr: two']],
    ['a promise that never settles', 'async function main() { console.log("waiting"); await new Promise(() => {}) }', ['stdout: waiting']],
    ['a timer callback that loops', 'function main() { console.log("armed"); setTimeout(() => { console.log("fired"); for (;;) {} }, 10); return new Promise(() => {}) }', ['stdout: armed', 'stdout: fired']],
    ['endless microtasks', 'function main() { console.log("spinning"); const spin = () => Promise.resolve().then(spin); spin(); return new Promise(() => {}) }', ['stdout: spinning']],
  ])('a timed-out activation keeps the lines it logged before the deadline: %s', async (_case, code, lines) => {
    const outcome = await run(makePool(), action(code, { timeout: 200 }));
    expect(outcome).toMatchObject({ statusCode: 2, timedOut: true, result: { error: MESSAGES.timedOut(200) } });
    expect(untimed(outcome.logs)).toEqual(lines);
    expect(outcome.end - outcome.start).toBeGreaterThanOrEqual(190);
  });

  it('an initialization that times out keeps what the module logged while loading', async () => {
    const pool = makePool();
    const script = await run(pool, action('console.log("loading"); for (;;) {}\nfunction main() {}', { timeout: 200 }));
    const module = await run(pool, action('console.log("awaiting"); await new Promise(() => {});\nexport function main() {}', { timeout: 200 }));
    for (const outcome of [script, module]) {
      expect(outcome).toMatchObject({ statusCode: 2, timedOut: true, result: { error: 'The action exceeded its time limits of 200 milliseconds during initialization.' } });
    }
    expect(untimed(script.logs)).toEqual(['stdout: loading']);
    expect(untimed(module.logs)).toEqual(['stdout: awaiting']);
  });

  it('the log limit still holds for an activation that times out', async () => {
    // 1 MB of lines takes 40–220 ms of a core here (busy cores): the timeout leaves it room.
    const flood = action('function main() { for (let i = 0; i < 20000; i++) console.log("x".repeat(100)); for (;;) {} }', { timeout: 1000, logs: 1 });
    const outcome = await run(makePool(), flood);
    expect(outcome).toMatchObject({ statusCode: 2, timedOut: true });
    expect(outcome.logs.at(-1)).toMatch(/stderr: Logs were truncated because the total bytes size exceeds the limit of 1048576 bytes\.$/);
    expect(outcome.logs.reduce((sum, line) => sum + Buffer.byteLength(line), 0)).toBeLessThan(1048576 + 200);
  });

  it('after a call that logged a lot, the next one that times out has only its own lines', async () => {
    const pool = makePool({ maxInstancesPerAction: 1 });
    const code = 'function main(p) { if (p.flood) { for (let i = 0; i < 5000; i++) console.log("x".repeat(100)); return {} } console.log("mine"); return new Promise(() => {}) }';
    const chatty = action(code, { timeout: 300 });
    expect((await run(pool, chatty, { flood: true })).logs).toHaveLength(5000);
    const outcome = await run(pool, chatty);
    expect(outcome).toMatchObject({ statusCode: 2, timedOut: true });
    expect(untimed(outcome.logs)).toEqual(['stdout: mine']);
    expect(pool.stats().coldStarts).toBe(1);
  });

  it('an isolate that runs out of memory leaves what the activation logged before', async () => {
    const bomb = action('function main() { console.log("hoarding"); const a = []; for (;;) a.push(new Array(1e5).fill(1)) }', { memory: 128 });
    const outcome = await run(makePool(), bomb);
    expect(outcome).toMatchObject({ statusCode: 2, timedOut: false, result: { error: MESSAGES.memoryExhausted } });
    expect(untimed(outcome.logs)).toEqual(['stdout: hoarding']);
  });

  it('a call queued behind a timed-out call still runs', async () => {
    const pool = makePool({ maxInstancesPerAction: 1 });
    const spin = action('function main(p) { if (p.loop) for (;;) {} return { ok: p.n } }', { timeout: 300 });
    await run(pool, spin, { n: 0 }); // warm, so both calls below share the isolate
    const [looping, queued] = await Promise.all([run(pool, spin, { loop: true }), run(pool, spin, { n: 2 })]);
    expect(looping).toMatchObject({ statusCode: 2, timedOut: true });
    expect(queued).toMatchObject({ statusCode: 0, result: { ok: 2 } });
  });

  it('exhausting limits.memory is a developer error and the action recovers', async () => {
    const pool = makePool();
    const bomb = action('function main(p) { if (!p.bomb) return { ok: true }; const a = []; for (;;) a.push(new Array(1e5).fill(1)) }', { memory: 128 });
    const outcome = await run(pool, bomb, { bomb: true });
    expect(outcome).toMatchObject({ statusCode: 2, timedOut: false, result: { error: MESSAGES.memoryExhausted } });
    expect(await run(pool, bomb)).toMatchObject({ statusCode: 0, result: { ok: true } });
  });

  it('initialization failures are developer errors with a reason', async () => {
    const syntax = await run(makePool(), action('function main( {'));
    expect(syntax.statusCode).toBe(2);
    expect(String((syntax.result as { error: string }).error)).toMatch(/^Initialization has failed due to: SyntaxError/);
    const noMain = await run(makePool(), action('function other() {}'));
    expect(noMain.statusCode).toBe(2);
    expect(String((noMain.result as { error: string }).error)).toMatch(/'main' is not a function/);
    const throwsAtTop = await run(makePool(), action('throw new Error("top"); function main() {}'));
    expect(throwsAtTop.statusCode).toBe(2);
    expect(String((throwsAtTop.result as { error: string }).error)).toMatch(/top/);
  });

  it('a custom main name is looked up in scope, then on exports', async () => {
    const pool = makePool();
    expect((await run(pool, action('function go() { return { via: "scope" } }', {}, { main: 'go' }))).result).toEqual({ via: 'scope' });
    expect((await run(pool, action('exports.go = () => ({ via: "exports" })', {}, { main: 'go' }))).result).toEqual({ via: 'exports' });
  });

  it('a result over maxResultBytes is a developer error', async () => {
    const pool = makePool();
    const big = action('function main() { return { s: "x".repeat(200) } }');
    const outcome = await pool.run({ action: big, params: {}, env: {}, maxResultBytes: 100 });
    expect(outcome.statusCode).toBe(2);
    expect(String((outcome.result as { error: string }).error)).toMatch(/exceeded the allowed length/);
  });

  it('the code cannot reach the host: no require, process is a stub', async () => {
    const probe = action('function main() { let req; try { require("fs"); req = "loaded" } catch (e) { req = "refused" } return { req, exit: typeof process.exit, binding: typeof process.binding } }');
    expect((await run(makePool(), probe)).result).toEqual({ req: 'refused', exit: 'undefined', binding: 'undefined' });
  });

  it('evicts idle isolates beyond the memory budget, least recently used first', async () => {
    const pool = makePool({ memoryBudgetMb: 1 });
    const counters = [1, 2, 3].map(() => action('let n = 0; function main() { return { n: ++n } }'));
    for (const counter of counters) await run(pool, counter);
    expect(pool.stats().evictions).toBeGreaterThan(0);
    expect(pool.stats().instances).toBeLessThan(3);
    // The most recent one is still warm.
    expect((await run(pool, counters[2]!)).result).toEqual({ n: 2 });
  });
});

describe('IsolatePool, actions promoted to the event-loop path', () => {
  /** Calls `runnable` quickly until the pool runs it on the fast path. */
  async function promote(pool: IsolatePool, runnable: RunnableAction): Promise<void> {
    for (let i = 0; i < 200 && pool.stats().fastActions === 0; i++) await run(pool, runnable);
    expect(pool.stats().fastActions).toBe(1);
  }

  it('each call still sees only its own environment and logs', async () => {
    const pool = makePool({ maxInstancesPerAction: 1 });
    const show = action('function main(p) { if (p.log) console.log("call", p.log); const env = Object.assign({}, process.env); process.env.LEAK = "1"; return { env } }');
    await promote(pool, show);
    const a = await run(pool, show, { log: 'a' }, { ID: 'a' });
    const b = await run(pool, show, {}, { ID: 'b' });
    expect(a.result).toEqual({ env: { ID: 'a' } });
    expect(a.logs).toHaveLength(1);
    expect(a.logs[0]).toMatch(/ stdout: call a$/);
    expect(b.result).toEqual({ env: { ID: 'b' } });
    expect(b.logs).toEqual([]);
  });

  it('async results and rejections keep their meaning', async () => {
    const pool = makePool();
    // Quick synchronous calls promote it; then its calls return promises.
    const maybe = action('function main(p) { if (!p.async) return { sync: true }; return (async () => { await null; if (p.fail) throw new Error("no"); return { ok: true } })() }');
    await promote(pool, maybe);
    expect(await run(pool, maybe, { async: true })).toMatchObject({ statusCode: 0, result: { ok: true } });
    const failed = await run(pool, maybe, { async: true, fail: true });
    expect(failed.statusCode).toBe(1);
    expect(failed.result).toMatchObject({ error: { message: 'no' } });
  });

  it('an infinite loop is still stopped at limits.timeout without holding the event loop', async () => {
    const pool = makePool();
    const spin = action('function main(p) { if (p.loop) for (;;) {} return { ok: true } }', { timeout: 300 });
    await promote(pool, spin);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    const outcome = await run(pool, spin, { loop: true });
    clearInterval(ticker);
    expect(outcome).toMatchObject({ statusCode: 2, timedOut: true, result: { error: MESSAGES.timedOut(300) } });
    expect(ticks).toBeGreaterThanOrEqual(8);
    expect(await run(pool, spin)).toMatchObject({ statusCode: 0, result: { ok: true } });
  });

  it('a loop keeps its logs, once: the call overruns the slice and runs again on the threaded path', async () => {
    const pool = makePool();
    const spin = action('function main(p) { if (!p.loop) return { ok: true }; console.log("before the loop"); for (;;) {} }', { timeout: 300 });
    await promote(pool, spin);
    const outcome = await run(pool, spin, { loop: true });
    expect(outcome).toMatchObject({ statusCode: 2, timedOut: true, result: { error: MESSAGES.timedOut(300) } });
    expect(untimed(outcome.logs)).toEqual(['stdout: before the loop']);
  });

  it('a call that goes on asynchronously keeps its lines, from the event loop and from a timer callback that loops', async () => {
    const pool = makePool();
    const code = 'function main(p) { if (!p.loop) return { ok: true }; console.log("on the event loop"); setTimeout(() => { console.log("in the timer"); for (;;) {} }, 5); return new Promise(() => {}) }';
    const spin = action(code, { timeout: 300 });
    await promote(pool, spin);
    const outcome = await run(pool, spin, { loop: true });
    expect(outcome).toMatchObject({ statusCode: 2, timedOut: true, result: { error: MESSAGES.timedOut(300) } });
    expect(untimed(outcome.logs)).toEqual(['stdout: on the event loop', 'stdout: in the timer']);
  });

  it('a never-settling promise is still stopped at limits.timeout', async () => {
    const pool = makePool();
    const hang = action('function main(p) { return p.hang ? new Promise(() => {}) : { ok: true } }', { timeout: 200 });
    await promote(pool, hang);
    expect(await run(pool, hang, { hang: true })).toMatchObject({ statusCode: 2, timedOut: true, result: { error: MESSAGES.timedOut(200) } });
    expect(await run(pool, hang)).toMatchObject({ statusCode: 0 });
  });

  it('a heap bomb is still a memory error and the action recovers', async () => {
    const pool = makePool();
    const bomb = action('function main(p) { if (!p.bomb) return { ok: true }; const a = []; for (;;) a.push(new Array(1e5).fill(1)) }', { memory: 128 });
    await promote(pool, bomb);
    expect(await run(pool, bomb, { bomb: true })).toMatchObject({ statusCode: 2, timedOut: false, result: { error: MESSAGES.memoryExhausted } });
    expect(await run(pool, bomb)).toMatchObject({ statusCode: 0, result: { ok: true } });
  });

  it('a heap bomb on the event-loop path leaves what the activation logged before', async () => {
    // A slice long enough for the isolate to run out of memory on the event loop, not overrun first.
    const pool = makePool({ fastSliceMs: 2000 });
    const bomb = action('function main(p) { if (!p.bomb) return { ok: true }; console.log("hoarding"); const a = []; for (;;) a.push(new Array(1e5).fill(1)) }', { memory: 128 });
    await promote(pool, bomb);
    expect(await run(pool, bomb, { bomb: true })).toMatchObject({ statusCode: 2, result: { error: MESSAGES.memoryExhausted }, logs: [expect.stringMatching(/ stdout: hoarding$/)] });
  });

  it('a log flood is still bounded by limits.logs', async () => {
    const pool = makePool();
    const flood = action('function main(p) { for (let i = 0; i < (p.n || 0); i++) console.log("x".repeat(100)); return {} }', { logs: 1 });
    await promote(pool, flood);
    const outcome = await run(pool, flood, { n: 20000 });
    expect(outcome.statusCode).toBe(0);
    expect(outcome.logs.at(-1)).toMatch(/Logs were truncated because the total bytes size exceeds the limit of 1048576 bytes\.$/);
    expect(outcome.logs.reduce((sum, line) => sum + Buffer.byteLength(line), 0)).toBeLessThan(1048576 + 200);
  });
});
