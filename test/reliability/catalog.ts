/**
 * Hostile actions: what each does, the limits it runs under, and the activation it must end in.
 * Used by hostile.test.ts (each case against a live server, with a bystander's latency measured)
 * and by the soak run there.
 */
export interface Hostile {
  name: string;
  code: string;
  limits?: { timeout?: number; memory?: number; logs?: number };
  params?: Record<string, unknown>;
  /** HTTP status of a blocking invoke and the activation's statusCode. */
  status: number;
  statusCode: 0 | 1 | 2 | 3;
  /** The result's error, when there is one. */
  error?: RegExp;
  timedOut?: boolean;
  /** Further checks on the activation record (throws on failure). */
  check?: (record: Record<string, any>) => void;
  /** Fast enough (well under a second) for the soak loop. */
  soak?: boolean;
}

const TIMEOUT = (ms: number): RegExp => new RegExp(`^The action exceeded its time limits of ${ms} milliseconds\\.$`);
const MEMORY = /^The action exhausted its memory and was aborted\.$/;
/** Host details that must never reach an activation: server paths, Node internals, host modules. */
export const HOST_LEAKS = /\/work\/|node:internal|node_modules|isolated-vm|edgewhisk\/src|at Module\._compile|\bipc\b/;

function fail(message: string): never {
  throw new Error(message);
}

export const HOSTILE: Hostile[] = [
  {
    name: 'sync-loop',
    code: 'function main() { while (true) {} }',
    limits: { timeout: 300 },
    status: 502,
    statusCode: 2,
    error: TIMEOUT(300),
    timedOut: true,
    soak: true,
  },
  {
    name: 'never-settles',
    code: 'function main() { return new Promise(() => {}) }',
    limits: { timeout: 300 },
    status: 502,
    statusCode: 2,
    error: TIMEOUT(300),
    timedOut: true,
  },
  {
    name: 'heap-bomb',
    code: 'function main() { const hoard = []; for (;;) hoard.push(new Array(1e5).fill(hoard.length)); }',
    limits: { memory: 128, timeout: 20_000 },
    status: 502,
    statusCode: 2,
    error: MEMORY,
    soak: true,
  },
  {
    name: 'string-heap-bomb',
    code: 'function main() { const hoard = []; for (let i = 0; ; i++) hoard.push("x".repeat(1e5) + i); }',
    limits: { memory: 128, timeout: 20_000 },
    status: 502,
    statusCode: 2,
    error: MEMORY,
  },
  {
    name: 'huge-arraybuffer',
    code: 'function main() { const b = new ArrayBuffer(2 ** 31); return { n: b.byteLength } }',
    limits: { memory: 128 },
    status: 502,
    statusCode: 2,
    error: /^An error has occurred: RangeError: Array buffer allocation failed$/,
    soak: true,
  },
  {
    name: 'arraybuffer-hoard',
    code: 'function main() { const hoard = []; for (;;) { const u = new Uint8Array(32 * 1048576); u.fill(1); hoard.push(u); } }',
    limits: { memory: 128, timeout: 20_000 },
    status: 502,
    statusCode: 2,
    error: /^An error has occurred: RangeError: Array buffer allocation failed$|^The action exhausted its memory and was aborted\.$/,
    soak: true,
  },
  {
    name: 'deep-recursion',
    code: 'function main() { function down(n) { return down(n + 1) + 1 } return { n: down(0) } }',
    status: 502,
    statusCode: 2,
    error: /^An error has occurred: RangeError: Maximum call stack size exceeded$/,
    soak: true,
  },
  {
    name: 'log-flood',
    code: 'function main() { const line = "x".repeat(100); for (let i = 0; i < 200000; i++) console.log(i, line); return { done: true } }',
    limits: { logs: 1, timeout: 20_000 },
    status: 200,
    statusCode: 0,
    soak: true,
    check(record) {
      const logs = record.logs as string[];
      const bytes = logs.reduce((n, line) => n + Buffer.byteLength(line), 0);
      if (bytes > 1_048_576 + 1024) fail(`logs hold ${bytes} bytes, over the 1 MB limit`);
      if (!/stderr: Logs were truncated because the total bytes size exceeds the limit of 1048576 bytes\.$/.test(logs.at(-1) ?? '')) fail(`last log line: ${logs.at(-1)}`);
    },
  },
  {
    name: 'endless-log-flood',
    code: 'function main() { for (;;) console.error("y".repeat(1000)) }',
    limits: { logs: 1, timeout: 500 },
    status: 502,
    statusCode: 2,
    error: TIMEOUT(500),
    timedOut: true,
  },
  {
    name: 'result-too-large',
    code: 'function main() { return { s: "x".repeat(1100000) } }',
    status: 502,
    statusCode: 2,
    error: /^The action produced a response that exceeded the allowed length: \d+ > 1048576 bytes\.$/,
    soak: true,
  },
  {
    name: 'result-too-large-in-bytes',
    // 400,000 three-byte characters: under the limit in UTF-16 units, 1.2 MB in UTF-8.
    code: 'function main() { return { s: "€".repeat(400000) } }',
    status: 502,
    statusCode: 2,
    error: /^The action produced a response that exceeded the allowed length: \d+ > 1048576 bytes\.$/,
  },
  {
    name: 'deeply-nested-result',
    // 5,000 levels: JSON.stringify in the isolate manages, the host would not; 100,000: neither.
    code: 'function main(p) { let v = 1; for (let i = 0; i < (p.n || 5000); i++) v = [v]; return { v } }',
    status: 502,
    statusCode: 2,
    error: /^The action did not produce a valid JSON response: (it is nested deeper than 1000 levels\.|RangeError: Maximum call stack size exceeded)$/,
    soak: true,
  },
  {
    name: 'microtask-loop',
    code: 'function main() { return new Promise(() => { const again = () => Promise.resolve().then(again); again(); }) }',
    limits: { timeout: 300 },
    status: 502,
    statusCode: 2,
    error: TIMEOUT(300),
    timedOut: true,
  },
  {
    name: 'await-loop',
    code: 'async function main() { for (;;) await null; }',
    limits: { timeout: 300 },
    status: 502,
    statusCode: 2,
    error: TIMEOUT(300),
    timedOut: true,
  },
  {
    name: 'catastrophic-regex',
    code: 'function main() { return { m: /^(a+)+$/.test("a".repeat(40) + "b") } }',
    limits: { timeout: 300 },
    status: 502,
    statusCode: 2,
    error: TIMEOUT(300),
    timedOut: true,
  },
  {
    name: 'timers-rearm-forever',
    code: 'function main() { return new Promise(() => { const again = () => setTimeout(again, 0); again(); setInterval(() => {}, 1); }) }',
    limits: { timeout: 400 },
    status: 502,
    statusCode: 2,
    error: TIMEOUT(400),
    timedOut: true,
  },
  {
    name: 'timer-flood',
    code: 'function main() { try { for (let i = 0; i < 1e6; i++) setTimeout(() => {}, 100000); } catch (e) { return { refused: String(e) } } return { refused: false } }',
    status: 200,
    statusCode: 0,
    check(record) {
      if (!/at most 10000 pending timers/.test(String(record.response.result.refused))) fail(`timer flood not refused: ${JSON.stringify(record.response.result)}`);
    },
  },
  {
    name: 'interval-outlives-activation',
    // The interval is armed and main returns: nothing of it may run after the activation ended.
    code: 'let ticks = 0; function main(p) { if (p.arm) setInterval(() => { ticks++ }, 1); return { ticks } }',
    params: { arm: true },
    status: 200,
    statusCode: 0,
    check(record) {
      if (record.response.result.ticks !== 0) fail(`ticks ${record.response.result.ticks}`);
    },
  },
  {
    name: 'prototype-walk',
    code: [
      'function main() {',
      '  const found = [];',
      '  const seen = new Set();',
      '  const queue = [globalThis, Object.getPrototypeOf(function () {}), Object.getPrototypeOf(async function () {})];',
      '  while (queue.length > 0 && seen.size < 20000) {',
      '    const value = queue.shift();',
      '    if (value === null || (typeof value !== "object" && typeof value !== "function") || seen.has(value)) continue;',
      '    seen.add(value);',
      '    for (const key of Reflect.ownKeys(value)) {',
      '      let v;',
      '      try { v = value[key]; } catch { continue; }',
      '      if (typeof key === "string" && /^(require|process|ivm|dlopen|binding|_linkedBinding|__edgewhisk)$/.test(key)) found.push(key + ":" + typeof v);',
      '      queue.push(v);',
      '    }',
      '    queue.push(Object.getPrototypeOf(value));',
      '  }',
      '  let hostProcess = "none";',
      '  try { hostProcess = typeof this.constructor.constructor("return process")().binding } catch (e) { hostProcess = "threw" }',
      '  let fnThis = "none";',
      '  try { const g = Function("return this")(); fnThis = typeof g.require + "/" + typeof g.process.binding + "/" + typeof g.process.dlopen } catch (e) { fnThis = "threw" }',
      '  let moduleLoad = "none";',
      '  try { require("child_process") } catch (e) { moduleLoad = e.code }',
      '  let fsLoad = "none";',
      '  try { require("fs").readFileSync("/etc/passwd") } catch (e) { fsLoad = e.code || e.name }',
      '  return { walked: seen.size, found, hostProcess, fnThis, moduleLoad, fsLoad, edgewhisk: typeof globalThis.__edgewhisk }',
      '}',
    ].join('\n'),
    status: 200,
    statusCode: 0,
    soak: true,
    check(record) {
      const r = record.response.result;
      if (r.walked < 100) fail(`walked only ${r.walked} objects`);
      // The isolate's own `process` stub and `require` are expected; none may be a host binding.
      const allowed = new Set(['process:object', 'require:function']);
      const unexpected = (r.found as string[]).filter((f) => !allowed.has(f));
      if (unexpected.length > 0) fail(`reachable: ${unexpected.join(', ')}`);
      if (r.hostProcess !== 'undefined') fail(`process.binding via Function: ${r.hostProcess}`);
      if (r.fnThis !== 'undefined/undefined/undefined') fail(`global via Function("return this"): ${r.fnThis}`);
      if (r.moduleLoad !== 'ERR_EDGEWHISK_UNAVAILABLE') fail(`require("child_process"): ${r.moduleLoad}`);
      if (r.fsLoad !== 'ERR_EDGEWHISK_UNAVAILABLE') fail(`require("fs"): ${r.fsLoad}`);
      if (r.edgewhisk !== 'undefined') fail('the runtime entry points are reachable');
    },
  },
  {
    name: 'stack-frame-fishing',
    // V8's CallSite API hands out the functions and receivers of sloppy-mode frames: the
    // runtime's frames (strict) must yield none, also under a timer callback the host delivers.
    code: [
      'const mine = new Set();',
      'function collect() {',
      '  const saved = Error.prepareStackTrace;',
      '  Error.prepareStackTrace = (_, callSites) => callSites;',
      '  const frames = new Error().stack;',
      '  Error.prepareStackTrace = saved;',
      '  return frames.filter((f) => !mine.has(f.getFunction())).map((f) => ({ fn: typeof f.getFunction(), self: typeof f.getThis(), file: String(f.getFileName()) }));',
      '}',
      'function onTimer(resolve, direct) { resolve({ direct, timer: collect() }) }',
      'function main() {',
      '  const direct = collect();',
      '  return new Promise(function waiting(resolve) { mine.add(waiting); setTimeout(onTimer, 1, resolve, direct) });',
      '}',
      'mine.add(collect); mine.add(onTimer); mine.add(main);',
    ].join('\n'),
    status: 200,
    statusCode: 0,
    check(record) {
      const { direct, timer } = record.response.result;
      if (direct.length === 0 || timer.length === 0) fail('no runtime frames seen');
      const leaks = [...direct, ...timer].filter((f: { fn: string; self: string }) => f.fn !== 'undefined' || f.self !== 'undefined');
      if (leaks.length > 0) fail(`runtime frames expose functions or receivers: ${JSON.stringify(leaks)}`);
    },
  },
  {
    name: 'crafted-host-arguments',
    // Everything that reaches the host through the runtime's own wrappers, with hostile values.
    code: [
      'async function main() {',
      '  const out = {};',
      '  const attempt = async (name, f) => { try { await f(); out[name] = "ok" } catch (e) { out[name] = String(e && e.name) } };',
      '  await attempt("url", () => new URL("http://x/" + "a".repeat(2e6)));',
      '  await attempt("urlType", () => new URL({ toString() { return "http://x/" } }));',
      '  await attempt("random", () => crypto.getRandomValues(new Uint8Array(1e6)));',
      '  await attempt("digest", () => crypto.subtle.digest("SHA-1024", new Uint8Array(4)));',
      '  await attempt("requireHuge", () => require("x".repeat(1e5)));',
      '  await attempt("requireNul", () => require("./a\\u0000b"));',
      '  await attempt("requireTraversal", () => require("../../../../etc/passwd"));',
      '  await attempt("requireType", () => require({ toString() { return "fs" } }));',
      '  await attempt("fetchBadUrl", () => fetch("file:///etc/passwd"));',
      '  await attempt("fetchHugeHeaders", () => fetch("http://127.0.0.1:9/", { headers: { x: "y".repeat(300000) } }));',
      '  await attempt("fetchMethod", () => fetch("http://127.0.0.1:9/", { method: "GET\\r\\nX: y" }));',
      '  await attempt("timerNaN", () => new Promise((r) => setTimeout(r, NaN)));',
      '  await attempt("timerHuge", () => { clearTimeout(setTimeout(() => {}, 2 ** 53)) });',
      '  await attempt("textDecoder", () => new TextDecoder().decode(new Uint8Array(70 * 1048576)));',
      '  return out;',
      '}',
    ].join('\n'),
    limits: { timeout: 20_000, memory: 256 },
    status: 200,
    statusCode: 0,
    check(record) {
      const r = record.response.result;
      for (const key of ['url', 'random', 'digest', 'requireHuge', 'requireNul', 'requireTraversal', 'fetchBadUrl', 'fetchHugeHeaders', 'fetchMethod', 'textDecoder']) {
        if (r[key] === 'ok' || r[key] === undefined) fail(`${key}: ${r[key]} (expected a refusal)`);
      }
      if (r.timerNaN !== 'ok' || r.timerHuge !== 'ok') fail(`timers: ${JSON.stringify(r)}`);
    },
  },
];
