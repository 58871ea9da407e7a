/**
 * What action code finds in its isolate: timers, web globals, Node built-ins, CommonJS and ES
 * modules, warm state — through the isolate pool, as the invoker runs it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type ActionLimits } from '../../src/openwhisk/limits.ts';
import { IsolatePool, type IsolatePoolOptions } from '../../src/runners/isolate/pool.ts';
import type { RunResult, RunnableAction } from '../../src/runners/runner.ts';

const pools: IsolatePool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
});

function makePool(options: Partial<IsolatePoolOptions> = {}): IsolatePool {
  const pool = new IsolatePool({ memoryBudgetMb: 1024, maxInstancesPerAction: 1, fastSliceMs: 10, now: Date.now, ...options });
  pools.push(pool);
  return pool;
}

let version = 0;
function action(code: string, limits: Partial<ActionLimits> = {}, main = 'main'): RunnableAction {
  return { key: `guest/runtime-${++version}@0.0.1#1`, kind: 'nodejs:24', code, binary: false, main, limits: { ...DEFAULT_LIMITS, timeout: 5000, ...limits } };
}

function run(pool: IsolatePool, runnable: RunnableAction, params: Record<string, unknown> = {}, env: Record<string, string> = {}): Promise<RunResult> {
  return pool.run({ action: runnable, params, env, maxResultBytes: 1_048_576 });
}

async function result(code: string, params: Record<string, unknown> = {}): Promise<unknown> {
  const outcome = await run(makePool(), action(code), params);
  if (outcome.statusCode !== 0) throw new Error(`status ${outcome.statusCode}: ${JSON.stringify(outcome.result)} ${outcome.logs.join('\n')}`);
  return outcome.result;
}

const text = (logs: string[]): string[] => logs.map((line) => line.replace(/^\S+ /, ''));

describe('timers', () => {
  it('a promise resolved by setTimeout completes the activation', async () => {
    const started = Date.now();
    expect(await result('async function main() { await new Promise((r) => setTimeout(r, 50)); return { waited: true } }')).toEqual({ waited: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('passes extra arguments and `this`, and orders timers by delay', async () => {
    const code = `function main() {
      return new Promise((resolve) => {
        const seen = [];
        setTimeout((a, b) => seen.push('30:' + a + b), 30, 'x', 'y');
        setTimeout(() => seen.push('10'), 10);
        setImmediate(() => seen.push('immediate'));
        queueMicrotask(() => seen.push('microtask'));
        process.nextTick(() => seen.push('tick'));
        setTimeout(function () { seen.push(typeof this.ref); resolve({ seen }) }, 60);
      });
    }`;
    // Both microtask kinds run before any macrotask (here nextTick does not jump ahead of promises).
    const { seen } = (await result(code)) as { seen: string[] };
    expect(seen.slice(0, 2).sort()).toEqual(['microtask', 'tick']);
    expect(seen.slice(2)).toEqual(['immediate', '10', '30:xy', 'function']);
  });

  it('setInterval repeats until cleared; clearTimeout takes the handle or its number', async () => {
    const code = `function main() {
      return new Promise((resolve) => {
        let ticks = 0;
        const cancelled = setTimeout(() => resolve({ error: 'cleared timer fired' }), 20);
        clearTimeout(+cancelled);
        const interval = setInterval(() => {
          if (++ticks === 3) { clearInterval(interval); setTimeout(() => resolve({ ticks }), 50); }
        }, 5);
      });
    }`;
    expect(await result(code)).toEqual({ ticks: 3 });
  });

  it('timers pending when an activation ends are cancelled and never fire in the next one', async () => {
    const pool = makePool();
    const code = `let fired = 0;
    function main(p) {
      if (p.arm) {
        setTimeout(() => { fired++; console.log('stale timer'); }, 30);
        setInterval(() => { fired++; }, 5);
        return { armed: true };
      }
      return new Promise((resolve) => setTimeout(() => resolve({ fired }), 150));
    }`;
    const counter = action(code);
    expect((await run(pool, counter, { arm: true })).result).toEqual({ armed: true });
    const second = await run(pool, counter);
    expect(second.result).toEqual({ fired: 0 });
    expect(second.logs.join()).not.toMatch(/stale timer/);
  });

  it('what module code started while loading continues into the first activation, then ends with it', async () => {
    const pool = makePool();
    const code = `let ticks = 0;
    const interval = setInterval(() => { ticks++ }, 5);
    const ready = new Promise((resolve) => setTimeout(() => resolve('loaded'), 20));
    async function main() {
      const state = await ready;
      await new Promise((r) => setTimeout(r, 40));
      return { state, ticking: ticks > 0, ticks };
    }`;
    const loader = action(code);
    const first = (await run(pool, loader)).result as { state: string; ticking: boolean; ticks: number };
    expect(first).toMatchObject({ state: 'loaded', ticking: true });
    const second = (await run(pool, loader)).result as { ticks: number };
    // The module's interval belonged to init and the first activation; it no longer runs.
    expect(second.ticks).toBe(first.ticks);
  });

  it('an exception in a timer callback ends the activation with a developer error', async () => {
    const outcome = await run(makePool(), action('function main() { return new Promise(() => setTimeout(() => { throw new TypeError("boom") }, 5)) }'));
    expect(outcome.statusCode).toBe(2);
    expect(outcome.result).toEqual({ error: 'An error has occurred: TypeError: boom' });
    expect(outcome.logs.join()).toMatch(/Uncaught TypeError: boom/);
  });

  it('an unhandled rejection is logged and the activation completes', async () => {
    const outcome = await run(makePool(), action('async function main() { Promise.reject(new Error("nobody listens")); return { ok: true } }'));
    expect(outcome).toMatchObject({ statusCode: 0, result: { ok: true } });
    expect(outcome.logs.join()).toMatch(/Unhandled promise rejection: Error: nobody listens/);
  });

  it('an unhandled rejection that says "timed out" is still only a log line, on both paths', async () => {
    const pool = makePool();
    const quiet = action('function main(p) { if (p.reject) Promise.reject(new Error("request timed out")); return { ok: true } }');
    const expectLogged = async (): Promise<void> => {
      const outcome = await run(pool, quiet, { reject: true });
      expect(outcome).toMatchObject({ statusCode: 0, result: { ok: true } });
      expect(outcome.logs.join()).toMatch(/Unhandled promise rejection: Error: request timed out/);
    };
    await expectLogged();
    for (let i = 0; i < 100 && pool.stats().fastActions === 0; i++) await run(pool, quiet);
    expect(pool.stats().fastActions).toBe(1);
    await expectLogged();
  });

  it('the deadline stops an activation waiting on a long timer', async () => {
    const outcome = await run(makePool(), action('function main() { return new Promise((r) => setTimeout(r, 10000)) }', { timeout: 200 }));
    expect(outcome).toMatchObject({ statusCode: 2, timedOut: true });
  });

  it('timers work on the fast path too, and nothing a fast call asked for outlives it', async () => {
    const pool = makePool({ fastSliceMs: 50 });
    const code = `let late = 0;
    function main(p) {
      if (p.wait) return new Promise((r) => setTimeout(() => r({ late, waited: true }), 20));
      setTimeout(() => { late++ }, 1);
      return { late };
    }`;
    const quick = action(code);
    for (let i = 0; i < 100 && pool.stats().fastActions === 0; i++) await run(pool, quick);
    expect(pool.stats().fastActions).toBe(1);
    expect((await run(pool, quick, { wait: true })).result).toEqual({ late: 0, waited: true });
  });
});

describe('web platform globals', () => {
  it('URL and URLSearchParams follow WHATWG parsing', async () => {
    const code = `function main() {
      const u = new URL('/p/../q?a=1&b=x+y#frag', 'HTTPS://User:Pw@Example.COM:443');
      u.searchParams.append('c', 'ü &');
      const params = new URLSearchParams({ z: '1', a: '2' });
      params.sort();
      let invalid;
      try { new URL('not a url') } catch (e) { invalid = e.name + ':' + e.code }
      return { href: u.href, origin: u.origin, host: u.host, b: u.searchParams.get('b'), sorted: params.toString(),
        canParse: URL.canParse('http://x'), invalid, port: Object.assign(new URL('http://h:8080'), { port: '81' }).href };
    }`;
    expect(await result(code)).toEqual({
      href: 'https://User:Pw@example.com/q?a=1&b=x+y&c=%C3%BC+%26#frag',
      origin: 'https://example.com',
      host: 'example.com',
      b: 'x y',
      sorted: 'a=2&z=1',
      canParse: true,
      invalid: 'TypeError:ERR_INVALID_URL',
      port: 'http://h:81/',
    });
  });

  it('TextEncoder, TextDecoder, atob and btoa', async () => {
    const code = `function main() {
      const bytes = new TextEncoder().encode('héllo 😀');
      const big = 'ü'.repeat(10000);
      const streamed = new TextDecoder();
      const part = streamed.decode(bytes.subarray(0, 2), { stream: true }) + streamed.decode(bytes.subarray(2));
      let fatal;
      try { new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xff])) } catch (e) { fatal = e.name }
      let bad;
      try { atob('***') } catch (e) { bad = e.name }
      return { length: bytes.length, text: new TextDecoder().decode(bytes), part, big: new TextDecoder().decode(new TextEncoder().encode(big)) === big,
        replaced: new TextDecoder().decode(new Uint8Array([0x61, 0xff, 0x62])), fatal, b64: btoa('hello'), raw: atob('aGVsbG8='), bad };
    }`;
    expect(await result(code)).toEqual({
      length: 11, text: 'héllo 😀', part: 'héllo 😀', big: true, replaced: 'a\ufffdb', fatal: 'TypeError', b64: 'aGVsbG8=', raw: 'hello', bad: 'InvalidCharacterError',
    });
  });

  it('refuses UTF-8 conversions past the host codec’s 64 MiB in the isolate, with the host’s messages', async () => {
    const code = `function main() {
      // An error the host threw has isolated-vm's boundary in its stack: these never crossed it.
      const refusal = (f) => { try { f(); return 'ok' } catch (e) { return e.name + ': ' + e.message + (e.stack.includes('isolated-vm boundary') ? ' (host)' : ' (isolate)') } };
      const bytes = new Uint8Array(64 * 1048576 + 1);
      return {
        decode: refusal(() => new TextDecoder().decode(bytes)),
        buffer: refusal(() => Buffer.from(bytes.buffer).toString('utf8')),
        encode: refusal(() => new TextEncoder().encode('a'.repeat(64 * 1048576 + 1))),
        atTheLimit: new TextDecoder().decode(bytes.subarray(1)).length,
      };
    }`;
    expect(await result(code)).toEqual({
      decode: 'RangeError: data is larger than 67108864 bytes (isolate)',
      buffer: 'RangeError: data is larger than 67108864 bytes (isolate)',
      encode: 'RangeError: text is longer than 67108864 characters (isolate)',
      atTheLimit: 64 * 1048576,
    });
  }, 30_000);

  it('structuredClone copies deep structures and refuses functions', async () => {
    const code = `function main() {
      const source = { d: new Date(5), m: new Map([['k', { n: 1 }]]), s: new Set([1]), u: new Uint8Array([1, 2]), re: /x/gi };
      source.self = source;
      const copy = structuredClone(source);
      let refused;
      try { structuredClone({ f() {} }) } catch (e) { refused = e.name }
      return { date: copy.d instanceof Date && copy.d.getTime() === 5, map: copy.m.get('k').n, differs: copy.m.get('k') !== source.m.get('k'),
        cycle: copy.self === copy, bytes: Array.from(copy.u), re: String(copy.re), set: copy.s.has(1), refused };
    }`;
    expect(await result(code)).toEqual({ date: true, map: 1, differs: true, cycle: true, bytes: [1, 2], re: '/x/gi', set: true, refused: 'DataCloneError' });
  });

  it('crypto: randomUUID, getRandomValues, subtle.digest and HMAC', async () => {
    const code = `async function main() {
      const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode('abc'));
      const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('secret'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
      const signature = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode('message'));
      const values = crypto.getRandomValues(new Uint32Array(4));
      let quota;
      try { crypto.getRandomValues(new Uint8Array(65537)) } catch (e) { quota = e.name }
      let unsupported;
      await crypto.subtle.digest('SHA-999', new Uint8Array(1)).catch((e) => { unsupported = e.name });
      return { uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()),
        digest: Buffer.from(digest).toString('hex'), hmac: Buffer.from(signature).toString('hex'),
        verified: await crypto.subtle.verify('HMAC', key, signature, new TextEncoder().encode('message')),
        random: values.length === 4 && values.some((v) => v !== 0), quota, unsupported };
    }`;
    expect(await result(code)).toEqual({
      uuid: true,
      digest: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      hmac: '8b5f48702995c1598c573db1e21866a9b825d4a794d169d7060a03605796360b',
      verified: true,
      random: true,
      quota: 'QuotaExceededError',
      unsupported: 'NotSupportedError',
    });
  });

  it('Buffer covers the common uses', async () => {
    const code = `function main() {
      const b = Buffer.from('héllo wörld');
      const joined = Buffer.concat([Buffer.from('ab'), Buffer.from([0x63]), new Uint8Array([0x64])]);
      const n = Buffer.alloc(8);
      n.writeUInt32BE(0xdeadbeef, 0);
      n.writeInt16LE(-2, 4);
      return { hex: Buffer.from('ff00', 'hex').toString('hex'), b64: b.toString('base64'), url: Buffer.from('?>?', 'utf8').toString('base64url'),
        back: Buffer.from(b.toString('base64'), 'base64').toString('utf8'), latin1: Buffer.from('é', 'latin1')[0], byteLength: Buffer.byteLength('héllo'),
        joined: joined.toString(), isBuffer: Buffer.isBuffer(b) && !Buffer.isBuffer(new Uint8Array(1)), slice: b.slice(0, 1).toString(),
        equals: Buffer.from('a').equals(Buffer.from('a')), index: b.indexOf('llo'), u32: n.readUInt32BE(0).toString(16), i16: n.readInt16LE(4),
        json: JSON.stringify(Buffer.from([1, 2])), fill: Buffer.alloc(4, 'ab').toString(), compare: Buffer.compare(Buffer.from('a'), Buffer.from('b')) };
    }`;
    expect(await result(code)).toEqual({
      hex: 'ff00', b64: 'aMOpbGxvIHfDtnJsZA==', url: 'Pz4_', back: 'héllo wörld', latin1: 233, byteLength: 6, joined: 'abcd', isBuffer: true, slice: 'h',
      equals: true, index: 3, u32: 'deadbeef', i16: -2, json: '{"type":"Buffer","data":[1,2]}', fill: 'abab', compare: -1,
    });
  });

  it('Headers, Request, Response, AbortController and Blob work without the network', async () => {
    const code = `async function main() {
      const headers = new Headers({ 'X-A': '1' });
      headers.append('x-a', '2');
      const response = new Response(JSON.stringify({ ok: 1 }), { status: 201, headers: { 'content-type': 'application/json' } });
      const request = new Request('https://example.com/x', { method: 'post', body: 'hi' });
      const controller = new AbortController();
      controller.abort();
      const blob = new Blob(['ab', new Uint8Array([99])], { type: 'text/plain' });
      return { a: headers.get('X-A'), status: response.status, ok: response.ok, body: await response.json(), method: request.method,
        text: await request.text(), aborted: controller.signal.aborted, reason: controller.signal.reason.name,
        blob: await blob.text(), json: await Response.json({ x: 1 }).text() };
    }`;
    expect(await result(code)).toEqual({ a: '1, 2', status: 201, ok: true, body: { ok: 1 }, method: 'POST', text: 'hi', aborted: true, reason: 'AbortError', blob: 'abc', json: '{"x":1}' });
  });
});

describe('process and Node built-ins', () => {
  it('process has env per activation, nextTick, version, platform', async () => {
    const pool = makePool();
    const code = 'const atInit = process.env.__OW_ACTIVATION_ID; function main() { return { atInit, now: process.env.__OW_ACTIVATION_ID, version: process.version, platform: process.platform, nextTick: typeof process.nextTick, cwd: process.cwd() } }';
    const envAction = action(code);
    expect((await run(pool, envAction, {}, { __OW_ACTIVATION_ID: 'first' })).result).toEqual({ atInit: 'first', now: 'first', version: 'v24.0.0', platform: 'linux', nextTick: 'function', cwd: '/action' });
    expect((await run(pool, envAction, {}, { __OW_ACTIVATION_ID: 'second' })).result).toMatchObject({ atInit: 'first', now: 'second' });
  });

  it('module-level state persists across warm activations', async () => {
    const pool = makePool();
    const counter = action('let n = 0; const cache = new Map(); function main(p) { cache.set(p.k, true); return { n: ++n, size: cache.size } }');
    await run(pool, counter, { k: 'a' });
    expect((await run(pool, counter, { k: 'b' })).result).toEqual({ n: 2, size: 2 });
  });

  it('pure built-ins load, with or without node:', async () => {
    const code = `const path = require('path'); const { EventEmitter, once } = require('node:events'); const util = require('util');
    const crypto = require('crypto'); const qs = require('querystring'); const assert = require('assert'); const url = require('url');
    const { StringDecoder } = require('string_decoder'); const os = require('os');
    async function main() {
      const emitter = new EventEmitter();
      const got = once(emitter, 'ready');
      emitter.emit('ready', 42);
      const decoder = new StringDecoder('utf8');
      const euro = Buffer.from('€');
      const sleep = util.promisify(setTimeout);
      await sleep(5);
      let failed;
      try { assert.deepStrictEqual({ a: 1 }, { a: 2 }) } catch (e) { failed = e.code }
      return { joined: path.join('/a/b', '../c', 'd.js'), ext: path.extname('x.tar.gz'), rel: path.relative('/a/b', '/a/c/d'),
        event: (await got)[0], formatted: util.format('%s=%d %j', 'x', 5, { y: 1 }), sha: crypto.createHash('sha256').update('abc').digest('base64'),
        hmac: crypto.createHmac('sha1', 'k').update('v').digest('hex'), bytes: crypto.randomBytes(8).length,
        qs: qs.stringify({ a: [1, 2], b: 'x y' }), parsed: qs.parse('a=1&a=2&b=%20'), failed,
        legacy: url.parse('http://u@h.com:81/p?q=1#f').port, decoded: decoder.write(euro.subarray(0, 1)) + decoder.write(euro.subarray(1)),
        eol: os.EOL, types: util.types.isDate(new Date()) };
    }`;
    expect(await result(code)).toEqual({
      joined: '/a/c/d.js', ext: '.gz', rel: '../c/d', event: 42, formatted: 'x=5 {"y":1}', sha: 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=',
      hmac: '94fc6a2f7e89b8196cf74e1079a8c11eb679a552', bytes: 8,
      qs: 'a=1&a=2&b=x%20y', parsed: { a: ['1', '2'], b: ' ' }, failed: 'ERR_ASSERTION', legacy: '81', decoded: '€', eol: '\n', types: true,
    });
  });

  it.each(['fs', 'node:child_process', 'net', 'http', 'https', 'worker_threads', 'vm', 'dns'])('require(%j) fails with a clear error', async (name) => {
    const code = `function main() { try { require(${JSON.stringify(name)}); return { loaded: true } } catch (e) { return { message: e.message, code: e.code } } }`;
    expect(await result(code)).toEqual({
      message: `Module '${name.replace('node:', '')}' is not available in edgewhisk actions: they run in a V8 isolate without file system, process or socket access (use fetch() for HTTP).`,
      code: 'ERR_EDGEWHISK_UNAVAILABLE',
    });
  });

  it("require('node-fetch') is the runtime's fetch, in node-fetch's shape", async () => {
    const code = "const fetch = require('node-fetch'); function main() { return { fn: typeof fetch, def: fetch.default === fetch, headers: typeof fetch.Headers, response: new fetch.Response('x').status } }";
    expect(await result(code)).toEqual({ fn: 'function', def: true, headers: 'function', response: 200 });
  });

  it('a missing relative module fails like Node', async () => {
    expect(await result('function main() { try { require("./nope") } catch (e) { return { code: e.code, message: e.message } } }')).toEqual({
      code: 'MODULE_NOT_FOUND', message: "Cannot find module './nope' from '/action'",
    });
  });
});

describe('ES module actions', () => {
  it.each([
    ['export function main', 'export function main(p) { return { esm: p.x } }'],
    ['export default', 'export default function (p) { return { esm: p.x } }'],
    ['export const main', 'export const main = async (p) => ({ esm: p.x })'],
    ['top-level await', 'const x = await new Promise((r) => setTimeout(() => r(1), 10)); export function main(p) { return { esm: p.x * x } }'],
  ])('%s', async (_label, code) => {
    expect(await result(code, { x: 7 })).toEqual({ esm: 7 });
  });

  it('imports built-ins, default and named', async () => {
    const code = "import path, { join } from 'node:path'; import { createHash } from 'crypto'; import openwhisk from 'openwhisk';\nexport function main() { return { a: join('a', 'b'), b: path.basename('/x/y.js'), h: createHash('md5').update('').digest('hex'), ow: typeof openwhisk } }";
    expect(await result(code)).toEqual({ a: 'a/b', b: 'y.js', h: 'd41d8cd98f00b204e9800998ecf8427e', ow: 'function' });
  });

  it('reports a syntax error, a missing import and a throwing module as init failures', async () => {
    const pool = makePool();
    for (const [code, message] of [
      ['export function main( { }', /Initialization has failed due to: SyntaxError/],
      ["import x from './missing.js'; export function main() {}", /Cannot find module '.\/missing.js'/],
      ["import 'fs'; export function main() {}", /Module 'fs' is not available/],
      ["throw new Error('at load'); export function main() {}", /Initialization has failed due to: Error: at load/],
      ["await Promise.reject(new Error('tla')); export function main() {}", /Initialization has failed due to: Error: tla/],
      ['export function other() {}', /Action entrypoint 'main' is not a function/],
    ] as const) {
      const outcome = await run(pool, action(code));
      expect(outcome.statusCode).toBe(2);
      expect(String((outcome.result as { error: string }).error)).toMatch(message);
    }
  });
});

describe('escape attempts', () => {
  it('prototype walks find only the isolate', async () => {
    const code = `function main() {
      const viaThis = this.constructor.constructor('return process')();
      const viaTimer = setTimeout.constructor('return globalThis')();
      const viaFetch = fetch.constructor('return this')();
      const viaError = (() => { try { null.x } catch (e) { return e.constructor.constructor('return typeof require')() } })();
      return {
        sameProcess: viaThis === process, binding: typeof viaThis.binding, dlopen: typeof viaThis.dlopen, mainModule: typeof viaThis.mainModule,
        globals: viaTimer === globalThis && viaFetch === globalThis, viaError,
        runtime: typeof globalThis.__edgewhisk, hooks: Object.getOwnPropertySymbols(globalThis).map(String),
      };
    }`;
    expect(await result(code)).toEqual({
      sameProcess: true, binding: 'undefined', dlopen: 'undefined', mainModule: 'undefined', globals: true, viaError: 'undefined', runtime: 'undefined', hooks: [],
    });
  });

  it('stack frames expose no runtime function', async () => {
    const code = `async function main() {
      const found = [];
      Error.prepareStackTrace = (error, frames) => { for (const f of frames) found.push([f.getFunctionName(), typeof f.getFunction(), typeof f.getThis()]); return ''; };
      const poisoned = { get url() { new Error().stack; return 'http://127.0.0.1:1/' } };
      try { setTimeout({ valueOf() { new Error().stack; return 1 } }) } catch {}
      try { await fetch(poisoned) } catch {}
      try { new URL({ toString() { new Error().stack; return 'http://x' } }) } catch {}
      try { setTimeout(() => {}, { valueOf() { new Error().stack; return 1 } }) } catch {}
      try { Buffer.from({ valueOf() { new Error().stack; return 'x' } }) } catch {}
      Error.prepareStackTrace = undefined;
      const user = ['get url', 'valueOf', 'toString', 'main'];
      return { runtimeFrames: found.filter(([name]) => !user.includes(name)).length > 2,
        leaked: found.filter(([name, fn, self]) => (fn !== 'undefined' || self !== 'undefined') && !user.includes(name)) };
    }`;
    expect(await result(code)).toEqual({ runtimeFrames: true, leaked: [] });
  });

  it('crafted and oversized arguments to the runtime fail inside the activation, not the host', async () => {
    const code = `async function main() {
      const failures = {};
      const attempt = async (name, fn) => { try { await fn(); failures[name] = 'accepted' } catch (e) { failures[name] = e.name } };
      await attempt('hugeUrl', () => new URL('http://x/' + 'a'.repeat(2 * 1024 * 1024)));
      await attempt('hugeFetch', () => fetch('http://x/' + 'a'.repeat(100000)));
      await attempt('badMethod', () => fetch('http://127.0.0.1:1/', { method: 'G E T' }));
      await attempt('badHeader', () => fetch('http://127.0.0.1:1/', { headers: { 'x\\n': 'y' } }));
      await attempt('scheme', () => fetch('file:///etc/passwd'));
      await attempt('randomQuota', () => crypto.getRandomValues(new Float64Array(2)));
      await attempt('timerType', () => setTimeout('alert(1)', 1));
      await attempt('requireType', () => require({ toString() { return 'fs' } }));
      await attempt('absolute', () => require('/etc/passwd'));
      await attempt('traversal', () => require('../../../../etc/passwd'));
      await attempt('dynamicImport', () => import('fs'));
      for (let i = 0; i < 50; i++) setTimeout(() => {}, 2 ** 40);
      setTimeout(() => {}, -5); setTimeout(() => {}, NaN); setTimeout(() => {}, Infinity);
      return failures;
    }`;
    expect(await result(code)).toEqual({
      hugeUrl: 'RangeError', hugeFetch: 'TypeError', badMethod: 'TypeError', badHeader: 'TypeError', scheme: 'TypeError', randomQuota: 'TypeMismatchError',
      timerType: 'TypeError', requireType: 'TypeError', absolute: 'Error', traversal: 'Error', dynamicImport: 'Error',
    });
  });

  it('too many pending timers is an error in the activation', async () => {
    const outcome = await run(makePool(), action('function main() { try { for (let i = 0; i < 20000; i++) setTimeout(() => {}, 100000) } catch (e) { return { error: e.message } } return {} }'));
    expect(outcome.statusCode).toBe(1);
    expect(outcome.result).toEqual({ error: 'An activation may have at most 10000 pending timers and requests.' });
  });
});

describe('action code that replaces built-in prototypes', () => {
  // What the runtime's own bookkeeping must not lean on: the log limit, the lines and the outcome.
  const hijack = `
    String.prototype.charCodeAt = function () { return 0x41; };
    Array.prototype.push = function () { return this.length; };
    Array.prototype.toJSON = function () { return ['forged line'].concat(Array.from({ length: 20000 }, () => 'y'.repeat(100))); };`;

  it('still has its log limit held, its own lines kept and its result answered', async () => {
    const outcome = await run(makePool(), action(`${hijack}
      function main() {
        for (let i = 0; i < 20000; i++) console.log('line ' + i + ' ' + 'x'.repeat(100));
        return { ok: true };
      }`, { logs: 1 }));
    expect(outcome.statusCode).toBe(0);
    expect(outcome.result).toEqual({ ok: true });
    const lines = text(outcome.logs);
    expect(lines.slice(0, 4)).toEqual([0, 1, 2, 3].map((i) => `stdout: line ${i} ${'x'.repeat(100)}`));
    expect(lines.at(-1)).toBe('stderr: Logs were truncated because the total bytes size exceeds the limit of 1048576 bytes.');
    // The kept lines (all but the truncation notice) fit the limit, counted in UTF-8 bytes per line.
    expect(outcome.logs.slice(0, -1).reduce((sum, line) => sum + Buffer.byteLength(line), 0)).toBeLessThanOrEqual(1_048_576);
    expect(lines).not.toContain('forged line');
  });

  it('that then fails at init still answers with its own lines', async () => {
    const outcome = await run(makePool(), action(`${hijack}
      console.log('loading');
      throw new Error('broken module');`));
    expect(outcome.statusCode).toBe(2);
    expect(text(outcome.logs)[0]).toBe('stdout: loading');
    expect(text(outcome.logs)).not.toContain('forged line');
  });
});
