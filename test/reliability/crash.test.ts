/**
 * V8 out of memory: isolated-vm's README warns it can abort the whole process. It does: a Map
 * keyed by objects growing in an isolate with a 128 MB limit aborts the process in about half a
 * second (SIGABRT after "last resort" GCs: CALL_AND_RETRY_LAST, is_heap_oom = 1), as do Sets and
 * objects with millions of keys, and `new Array(2 ** 30).fill(0)` ("invalid table size"). Shown first in a child server running
 * isolates in-process (--isolate-workers 0); then the containment: isolates in supervised worker
 * processes (src/runners/workers), with culprits, bystanders, quarantine, the memory cap and
 * threads a timeout left running.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announcedUrl } from '../../src/cli/listening.ts';
import { poll, sleep, type Json } from '../helpers/api.ts';
import { GUEST_KEY, startTestServer, type TestServer } from '../helpers/server.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const MEMORY = 'The action exhausted its memory and was aborted.';
/** Aborts V8 in ~0.5 s at a 128 MB limit: an object-keyed Map's hash table cannot grow in place. */
const CRASHER = 'function main() { const m = new Map(); for (let i = 0; ; i++) m.set({}, i); }';
const AUTH = `Basic ${Buffer.from(GUEST_KEY).toString('base64')}`;

async function metric(t: TestServer, name: string): Promise<number> {
  const text = await (await t.request('GET', '/metrics', undefined, { auth: null })).text();
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
}

describe('without containment', () => {
  it('an isolate running out of memory aborts the whole server process (V8, not a bug here)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-oom-'));
    const child = spawn(process.execPath, ['--no-node-snapshot', 'src/cli.ts', 'serve', '--port', '0', '--data-dir', dataDir, '--isolate-workers', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    try {
      const url = await announcedUrl(child);
      const headers = { authorization: AUTH, 'content-type': 'application/json' };
      const put = await fetch(`${url}/api/v1/namespaces/_/actions/crasher`, { method: 'PUT', headers, body: JSON.stringify({ exec: { kind: 'nodejs:default', code: CRASHER }, limits: { memory: 128, timeout: 30000 } }) });
      expect(put.status).toBe(200);
      const answer = await fetch(`${url}/api/v1/namespaces/_/actions/crasher?blocking=true`, { method: 'POST', headers, body: '{}' }).then(
        async (res) => `answered ${res.status}: ${await res.text()}`,
        (error: unknown) => `no answer: ${String(error)}`,
      );
      const { code, signal } = await Promise.race([exited, sleep(15_000).then(() => ({ code: null, signal: null }))]);
      console.log(`in-process isolate OOM: ${answer.slice(0, 120)}; server exit code ${code}, signal ${signal}; V8 said: ${stderr.match(/CALL_AND_RETRY_LAST|invalid table size|Fatal[^\n]*|heap out of memory/)?.[0]}`);
      expect(signal).toBe('SIGABRT');
      expect(answer).toMatch(/^no answer/);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('isolates in supervised worker processes', () => {
  let t: TestServer;
  let fetchServer: Server;
  let fetchUrl = '';
  let fetchHits = 0;

  const put = async (name: string, code: string, limits: Json = {}): Promise<void> => {
    const res = await t.request('PUT', `/api/v1/namespaces/_/actions/${name}?overwrite=true`, { exec: { kind: 'nodejs:default', code }, limits });
    expect(res.status, await res.text()).toBe(200);
  };
  const invoke = async (name: string, params: Json = {}): Promise<{ status: number; record: Json }> => {
    const res = await t.request('POST', `/api/v1/namespaces/_/actions/${name}?blocking=true`, params);
    return { status: res.status, record: (await res.json()) as Json };
  };

  beforeAll(async () => {
    t = await startTestServer({ 'memory-budget': '256' });
    // An outside endpoint that answers slowly: a call waiting on it has had an effect outside.
    fetchServer = createServer((_req, res) => {
      fetchHits++;
      setTimeout(() => res.end('late'), 3000);
    });
    await new Promise<void>((resolve) => fetchServer.listen(0, '127.0.0.1', resolve));
    fetchUrl = `http://127.0.0.1:${(fetchServer.address() as AddressInfo).port}/`;
    await put('counter', 'let n = 0; function main() { return { n: ++n } }');
    await put('crasher', CRASHER, { memory: 128, timeout: 30_000 });
    await put('sleeper', 'function main(p) { return new Promise((r) => setTimeout(() => r({ slept: p.id }), p.id < 0 ? 1 : 2000)) }');
  });
  afterAll(async () => {
    await t?.close();
    fetchServer?.close();
  });

  it('the culprit gets the memory message; the server and the next calls are fine', async () => {
    expect((await invoke('counter')).record.response.result).toEqual({ n: 1 });
    const crashesBefore = await metric(t, 'edgewhisk_isolate_worker_crashes_total');
    const { status, record } = await invoke('crasher');
    expect(status).toBe(502);
    expect(record.response).toMatchObject({ statusCode: 2, status: 'action developer error', result: { error: MEMORY } });
    expect(await metric(t, 'edgewhisk_isolate_worker_crashes_total')).toBe(crashesBefore + 1);
    expect(await metric(t, 'edgewhisk_isolate_worker_restarts_total')).toBeGreaterThanOrEqual(1);
    // The worker was replaced (its warm isolates went with it): the counter starts again.
    expect((await invoke('counter')).record.response.result).toEqual({ n: 1 });
    expect((await invoke('counter')).record.response.result).toEqual({ n: 2 });
    const record2 = await (await t.request('GET', `/api/v1/namespaces/_/activations/${record.activationId as string}`)).json();
    expect((record2 as Json).response.result).toEqual({ error: MEMORY });
  });

  it('a quarantined crasher runs apart: it crashes again, the bystander keeps its warm isolate and its latency', async () => {
    const latencies: number[] = [];
    let running = true;
    let last = (await invoke('counter')).record.response.result.n as number;
    const bystander = (async () => {
      while (running) {
        const started = performance.now();
        const { status, record } = await invoke('counter');
        latencies.push(performance.now() - started);
        expect(status).toBe(200);
        // Never reset: the shared worker holding the counter's isolate is not touched.
        expect(record.response.result.n).toBe(last + 1);
        last = record.response.result.n as number;
      }
    })();
    await sleep(50);
    for (let i = 0; i < 3; i++) {
      const { status, record } = await invoke('crasher');
      expect(status).toBe(502);
      expect(record.response.result).toEqual({ error: MEMORY });
    }
    running = false;
    await bystander;
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.floor(latencies.length * 0.99)]!;
    console.log(`bystander during 3 quarantined crashes: ${latencies.length} calls, p99 ${p99.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`);
    expect(p99).toBeLessThan(200);
  });

  it('bystanders in flight when a worker crashes are run again, each in a process of its own, and answer', async () => {
    await put('crasher2', CRASHER, { memory: 128, timeout: 30_000 });
    // Warm the sleepers' isolates so they are mid-call (not cold-starting) when the worker dies.
    await invoke('sleeper', { id: -1 });
    const rerunsBefore = await metric(t, 'edgewhisk_isolate_worker_reruns_total');
    const sleepers = [0, 1, 2].map((id) => invoke('sleeper', { id }));
    await sleep(300);
    const crash = invoke('crasher2');
    const results = await Promise.all(sleepers);
    for (const [id, { status, record }] of results.entries()) {
      expect(status).toBe(200);
      expect(record.response.result).toEqual({ slept: id });
    }
    // Not alone in its worker, the crasher was run again alone too: that found it out.
    const crashed = await crash;
    expect(crashed.status).toBe(502);
    expect(crashed.record.response.result).toEqual({ error: MEMORY });
    expect(await metric(t, 'edgewhisk_isolate_worker_reruns_total')).toBe(rerunsBefore + 4);
  });

  it('a bystander whose worker had something leave it (a fetch) is not run again: it fails once, its request made once', async () => {
    await put('crasher3', CRASHER, { memory: 128, timeout: 30_000 });
    await put('fetcher', `async function main() { const r = await fetch(${JSON.stringify(fetchUrl)}); return { body: await r.text() } }`);
    await invoke('counter');
    fetchHits = 0;
    const fetching = invoke('fetcher');
    await poll(async () => (fetchHits > 0 ? true : undefined));
    const crashed = await invoke('crasher3');
    const fetched = await fetching;
    expect(fetched.status).toBe(500);
    expect(fetched.record.response.statusCode).toBe(3);
    expect(fetched.record.response.result.error).toBe(
      'The action could not be run: the process running it crashed after something it did had left the process, so it was not run again.',
    );
    expect(fetchHits).toBe(1);
    expect(crashed.status).toBe(502);
    expect(crashed.record.response.result).toEqual({ error: MEMORY });
  });

  it('many heap bombs at once, each its own action: every one gets the memory message, nothing else breaks', async () => {
    const names = Array.from({ length: 6 }, (_, i) => `bomb${i}`);
    for (const name of names) await put(name, CRASHER, { memory: 128, timeout: 30_000 });
    const results = await Promise.all([...names.map((name) => invoke(name)), invoke('counter')]);
    for (const { status, record } of results.slice(0, -1)) {
      expect(status).toBe(502);
      expect(record.response.result).toEqual({ error: MEMORY });
    }
    expect(results.at(-1)!.status).toBe(200);
    expect((await invoke('counter')).status).toBe(200);
  });

  it('a thread a timeout left running (a native fill of a huge array) gets its worker replaced; the server is fine', async () => {
    await put('zombie', 'function main() { const a = new Array(2 ** 30).fill(0); return { n: a.length } }', { memory: 128, timeout: 300 });
    const recycledBefore = await metric(t, 'edgewhisk_isolate_worker_recycled_total');
    const crashesBefore = await metric(t, 'edgewhisk_isolate_worker_crashes_total');
    const { status, record } = await invoke('zombie');
    expect(status).toBe(502);
    expect(record.response.result.error).toMatch(/^The action exceeded its time limits of 300 milliseconds\.$/);
    // Idle but burning a core: replaced within a few seconds (or, if V8 aborts first, restarted as a crash).
    await poll(async () => {
      const recycled = await metric(t, 'edgewhisk_isolate_worker_recycled_total');
      const crashes = await metric(t, 'edgewhisk_isolate_worker_crashes_total');
      return recycled > recycledBefore || crashes > crashesBefore ? true : undefined;
    }, 15_000, 100);
    expect((await invoke('counter')).status).toBe(200);
  });
});

describe('memory an isolate does not count', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ 'worker-memory': '768' });
  });
  afterAll(async () => t?.close());

  it('WebAssembly memories past the worker’s resident cap: the worker is killed, the culprit gets the memory message', async () => {
    // Each 1 GiB memory is outside the isolate's heap limit; touching it makes it resident.
    const code = 'function main() { const kept = []; for (let i = 0; i < 3; i++) { const m = new WebAssembly.Memory({ initial: 16384 }); new Uint8Array(m.buffer).fill(1); kept.push(m) } return { n: kept.length } }';
    const res = await t.request('PUT', '/api/v1/namespaces/_/actions/wasm', { exec: { kind: 'nodejs:default', code }, limits: { memory: 128, timeout: 60_000 } });
    expect(res.status).toBe(200);
    const started = Date.now();
    const answer = await t.request('POST', '/api/v1/namespaces/_/actions/wasm?blocking=true', {});
    const record = (await answer.json()) as Json;
    expect(answer.status).toBe(502);
    expect(record.response.result).toEqual({ error: MEMORY });
    console.log(`WebAssembly memory bomb stopped by the resident cap after ${Date.now() - started} ms`);
    expect(await metric(t, 'edgewhisk_isolate_worker_crashes_total')).toBe(1);
    const hello = await t.request('PUT', '/api/v1/namespaces/_/actions/hello', { exec: { kind: 'nodejs:default', code: 'function main() { return { ok: true } }' } });
    expect(hello.status).toBe(200);
    expect((await t.request('POST', '/api/v1/namespaces/_/actions/hello?blocking=true', {})).status).toBe(200);
  });
});
