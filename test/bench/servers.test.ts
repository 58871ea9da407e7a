/**
 * The servers the benchmarks measure against (bench/servers): each started as the bench starts it,
 * confined to the server core, must stay there — the bench's own modules move whatever imports them
 * to the load core (the node:vm peer once did, and was measured beside its load) — and must answer
 * what the bench loads it with.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { announcedUrl } from '../../src/cli/listening.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const skipped =
  process.platform !== 'linux' ? 'not Linux: no /proc to read the CPU affinity from'
  : spawnSync('taskset', ['-c', '0', 'true']).status !== 0 ? 'no taskset here to confine a server to one core'
  : undefined;
if (skipped) console.log(`skipped: ${skipped}`);

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGTERM');
});

/** Starts `script` under `taskset -c 0` as bench/lib.ts spawnServer does; its URL and pid. */
async function startPinned(script: string, env: Record<string, string> = {}): Promise<{ url: string; pid: number }> {
  const child = spawn('taskset', ['-c', '0', process.execPath, '--no-node-snapshot', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.push(child);
  const url = await announcedUrl(child);
  return { url, pid: child.pid! };
}

/** The CPUs process `pid` may run on, as /proc lists them ("0", "0-1"). */
function allowedCpus(pid: number): string {
  return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
}

describe.skipIf(skipped !== undefined)('bench servers', () => {
  it('the bare uWS hello and the node:vm peer stay on the core they were started on and answer the hello', async () => {
    for (const script of ['bench/servers/bare-uws.ts', 'bench/servers/node-vm.ts']) {
      const { url, pid } = await startPinned(script);
      expect(allowedCpus(pid), script).toBe('0');
      const res = await fetch(`${url}/?name=world`);
      expect(res.status, script).toBe(200);
      expect(await res.json(), script).toEqual({ hello: 'world' });
    }
  });

  it('the floor, its isolate in a child process, answers a web GET as a .json web action and stays on its core', async () => {
    const { url, pid } = await startPinned('bench/servers/floor.ts', { FLOOR_ISOLATE: 'process', FLOOR_RECORDS: 'eventual' });
    expect(allowedCpus(pid)).toBe('0');
    const res = await fetch(`${url}/web?name=edge`);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('x-openwhisk-activation-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(await res.text()).toBe('{\n  "hello": "edge"\n}');
  });

  it('the floor answers a blocking invoke once its record is committed, its isolate in the server', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-floor-test-'));
    try {
      const { url } = await startPinned('bench/servers/floor.ts', { FLOOR_ISOLATE: 'server', FLOOR_RECORDS: 'durable', FLOOR_DATA_DIR: dataDir });
      const answers = await Promise.all(
        ['a', 'b', 'c'].map((name) => fetch(`${url}/invoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) }).then((res) => res.json())),
      );
      expect(answers).toEqual([{ hello: 'a' }, { hello: 'b' }, { hello: 'c' }]);
      // Answered, so committed: the three records are in the file now.
      const db = new Database(join(dataDir, 'edgewhisk.db'), { readonly: true });
      const docs = db.prepare<[], { path: string; doc: string }>('SELECT path, doc FROM activations').all();
      db.close();
      expect(docs.map((row) => row.path)).toEqual(['guest/hello', 'guest/hello', 'guest/hello']);
      expect(docs.map((row) => (JSON.parse(row.doc) as { response: { result: unknown } }).response.result)).toEqual(
        expect.arrayContaining([{ hello: 'a' }, { hello: 'b' }, { hello: 'c' }]),
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('the floor deploys an action and runs its first call in a new isolate of its child process, the record committed first', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-floor-test-'));
    try {
      const { url } = await startPinned('bench/servers/floor.ts', { FLOOR_ISOLATE: 'process', FLOOR_RECORDS: 'durable', FLOOR_DATA_DIR: dataDir });
      const json = { 'content-type': 'application/json' };
      const put = await fetch(`${url}/action/greet`, { method: 'PUT', headers: json, body: JSON.stringify({ code: 'function main(p) { return { greeting: `hi ${p.name}` } }' }) });
      expect(put.status).toBe(200);
      const call = await fetch(`${url}/cold/greet`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'edge' }) });
      expect(call.status).toBe(200);
      expect(await call.json()).toEqual({ greeting: 'hi edge' });
      expect((await fetch(`${url}/cold/missing`, { method: 'POST', headers: json, body: '{}' })).status).toBe(404);
      const db = new Database(join(dataDir, 'edgewhisk.db'), { readonly: true });
      const entity = db.prepare<[], { path: string; doc: string }>("SELECT path, doc FROM entities WHERE collection = 'actions'").get();
      const record = db.prepare<[], { path: string; doc: string }>('SELECT path, doc FROM activations').get();
      db.close();
      expect(entity?.path).toBe('greet');
      expect(record?.path).toBe('guest/greet');
      expect((JSON.parse(record!.doc) as { response: { result: unknown } }).response.result).toEqual({ greeting: 'hi edge' });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("the worker suite's driver runs edgewhisk's isolate worker and the floor's child on the core it was started on, every call answered", () => {
    for (const child of ['worker', 'floor']) {
      const run = spawnSync('taskset', ['-c', '0', process.execPath, '--no-node-snapshot', 'bench/servers/worker-driver.ts', child, '200', '1', '4'], { cwd: ROOT, encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const out = JSON.parse(run.stdout.trim().split('\n').pop()!) as { child: string; cpus: string; results: { batch: number; calls: number; roundTripUsPerCall: number; cpuUsPerCall: number }[] };
      expect(out.child).toBe(child);
      expect(out.cpus).toBe('0');
      expect(out.results.map((r) => [r.batch, r.calls])).toEqual([[1, 200], [4, 200]]);
      for (const r of out.results) {
        expect(r.roundTripUsPerCall).toBeGreaterThan(0);
        expect(r.cpuUsPerCall).toBeGreaterThanOrEqual(0);
      }
    }
  });
});
