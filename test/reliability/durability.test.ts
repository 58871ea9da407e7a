/**
 * Durability: acknowledged writes survive kill -9, and SIGTERM drains. The server runs as a child
 * process (the real CLI); writers PUT and DELETE actions and make blocking invokes while it is
 * killed with SIGKILL mid-load, several times, each time restarted on the same data directory.
 * Every write that was answered — an entity PUT or DELETE, the activation record of an answered
 * blocking invoke — must be there after the restart, and SQLite's integrity check must pass.
 *
 * EDGEWHISK_KILL_CYCLES scales the number of kills (default 5).
 */
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { announcedUrl } from '../../src/cli/listening.ts';
import { poll, sleep } from '../helpers/api.ts';
import { GUEST_KEY } from '../helpers/server.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const NODE = join(ROOT, 'node_modules/.bin/node');
const CYCLES = Number(process.env.EDGEWHISK_KILL_CYCLES ?? 5);
const WRITERS = 12;
const AUTH = `Basic ${Buffer.from(GUEST_KEY).toString('base64')}`;
const HEADERS = { authorization: AUTH, 'content-type': 'application/json' };

interface Server {
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function start(dataDir: string, extra: string[] = []): Promise<Server> {
  const child = spawn(NODE, ['--no-node-snapshot', 'src/cli.ts', 'serve', '--port', '0', '--data-dir', dataDir,
    '--invocations-per-minute', '0', '--concurrent-invocations', '0', '--fires-per-minute', '0', ...extra], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = await announcedUrl(child);
  return { child, url, exited };
}

/** Worker processes the server started (Linux: /proc children). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function integrity(dataDir: string): string {
  const db = new Database(join(dataDir, 'edgewhisk.db'));
  try {
    return (db.pragma('integrity_check', { simple: true }) as string) + '/' + (db.pragma('foreign_key_check') as unknown[]).length;
  } finally {
    db.close();
  }
}

describe('kill -9 under write load', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-kill9-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it(`${CYCLES} SIGKILLs mid-load: every acknowledged write is there after each restart, integrity ok`, async () => {
    /** What the answers acknowledged: action name → its last acknowledged state; activation id → its result. */
    const entities = new Map<string, { present: boolean; marker?: string }>();
    const records = new Map<string, { marker: string }>();
    /**
     * The write each writer had in flight when the server died: it may or may not have committed
     * (no answer came), so after the restart an entity may show it instead of the last acknowledged
     * state. Only a state older than the last acknowledged one is a loss.
     */
    const inFlight = new Map<string, { present: boolean; marker?: string }>();
    /** Records acknowledged by the server about to be killed: checked after its restart (all of them again at the end). */
    let fresh = new Map<string, { marker: string }>();
    let checked = 0;
    let lost = 0;
    let acknowledged = 0;
    let serial = 0;
    let server = await start(dataDir);
    const put = await fetch(`${server.url}/api/v1/namespaces/_/actions/echo`, {
      method: 'PUT',
      headers: HEADERS,
      body: JSON.stringify({ exec: { kind: 'nodejs:default', code: 'function main(p) { return { marker: p.marker } }' } }),
    });
    expect(put.status).toBe(200);
    entities.set('echo', { present: true });

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const url = server.url;
      let stopped = false;
      // Each writer owns its names, so the order of its acknowledged writes is the order they happened in.
      const writer = async (w: number): Promise<void> => {
        for (let i = 0; !stopped; i++) {
          const marker = `c${cycle}-w${w}-${serial++}`;
          const name = `w${w}-a${i % 6}`;
          try {
            const op = i % 4;
            if (op === 3) {
              const res = await fetch(`${url}/api/v1/namespaces/_/actions/echo?blocking=true`, { method: 'POST', headers: HEADERS, body: JSON.stringify({ marker }) });
              if (res.status === 200) {
                const record = (await res.json()) as { activationId: string; response: { result: { marker: string } } };
                expect(record.response.result.marker).toBe(marker);
                records.set(record.activationId, { marker });
                fresh.set(record.activationId, { marker });
                acknowledged++;
              }
            } else if (op === 2 && entities.get(name)?.present) {
              inFlight.set(name, { present: false });
              const res = await fetch(`${url}/api/v1/namespaces/_/actions/${name}`, { method: 'DELETE', headers: HEADERS });
              if (res.status === 200) {
                entities.set(name, { present: false });
                inFlight.delete(name);
                acknowledged++;
              }
            } else {
              inFlight.set(name, { present: true, marker });
              const res = await fetch(`${url}/api/v1/namespaces/_/actions/${name}?overwrite=true`, {
                method: 'PUT',
                headers: HEADERS,
                body: JSON.stringify({ exec: { kind: 'nodejs:default', code: `function main() { return { marker: ${JSON.stringify(marker)} } }` }, annotations: [{ key: 'marker', value: marker }] }),
              });
              if (res.status === 200) {
                entities.set(name, { present: true, marker });
                inFlight.delete(name);
                acknowledged++;
              }
            }
          } catch {
            // The connection died with the server: that write was not acknowledged.
            return;
          }
        }
      };
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
      await sleep(600 + Math.floor(Math.random() * 900));
      const workers = childrenOf(server.child.pid!);
      server.child.kill('SIGKILL');
      const { signal } = await server.exited;
      expect(signal).toBe('SIGKILL');
      stopped = true;
      await Promise.all(writers);
      // The isolate workers notice the server is gone and exit: nothing is left behind.
      expect(workers.length).toBeGreaterThan(0);
      await poll(async () => (workers.every((pid) => !alive(pid)) ? true : undefined), 5000, 50);
      // Opened as the restarted server will open it: the WAL is recovered, the database is sound.
      expect(integrity(dataDir)).toBe('ok/0');

      server = await start(dataDir);
      for (const [name, acked] of entities) {
        const res = await fetch(`${server.url}/api/v1/namespaces/_/actions/${name}`, { headers: HEADERS });
        checked++;
        const doc = res.status === 200 ? ((await res.json()) as { annotations: { key: string; value: unknown }[] }) : undefined;
        const marker = doc?.annotations.find((a) => a.key === 'marker')?.value as string | undefined;
        const shows = (state: { present: boolean; marker?: string }): boolean =>
          state.present ? doc !== undefined && (state.marker === undefined || marker === state.marker) : res.status === 404;
        const pending = inFlight.get(name);
        if (!shows(acked) && !(pending && shows(pending))) {
          lost++;
          console.error(`lost: action ${name} should be ${acked.present ? acked.marker ?? 'present' : 'deleted'}, is ${res.status} ${String(marker)}`);
        }
        // What the server shows now is the state the next cycle builds on.
        if (pending && shows(pending)) entities.set(name, pending);
      }
      inFlight.clear();
      const last = cycle === CYCLES - 1;
      for (const [id, expected] of last ? records : fresh) {
        const res = await fetch(`${server.url}/api/v1/namespaces/_/activations/${id}`, { headers: HEADERS });
        checked++;
        const record = res.status === 200 ? ((await res.json()) as { response: { result: { marker?: string } } }) : undefined;
        if (record?.response.result.marker !== expected.marker) {
          lost++;
          console.error(`lost: activation ${id} (${expected.marker}): ${res.status}`);
        }
      }
      fresh = new Map();
    }
    server.child.kill('SIGKILL');
    await server.exited;
    expect(integrity(dataDir)).toBe('ok/0');
    console.log(`kill -9: ${CYCLES} cycles, ${acknowledged} acknowledged writes (${entities.size} actions, ${records.size} activation records), ${checked} checks after restarts, lost ${lost}`);
    expect(acknowledged).toBeGreaterThan(CYCLES * 20);
    expect(lost).toBe(0);
  }, 60_000 + CYCLES * 15_000);
});

describe('SIGTERM', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-sigterm-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('drains: a running blocking invoke gets its answer and its record; no new connections; workers gone; the database closed cleanly', async () => {
    const server = await start(dataDir);
    const create = await fetch(`${server.url}/api/v1/namespaces/_/actions/slow`, {
      method: 'PUT',
      headers: HEADERS,
      body: JSON.stringify({ exec: { kind: 'nodejs:default', code: 'function main() { return new Promise((r) => setTimeout(() => r({ finished: true }), 1500)) }' } }),
    });
    expect(create.status).toBe(200);
    // A schedule is running too: it must stop with the server.
    await fetch(`${server.url}/api/v1/namespaces/_/actions/ticker`, {
      method: 'PUT',
      headers: HEADERS,
      body: JSON.stringify({ exec: { kind: 'nodejs:default', code: 'function main() { return {} }' }, annotations: [{ key: 'cron', value: '* * * * * *' }] }),
    });
    const workers = childrenOf(server.child.pid!);
    const started = Date.now();
    const running = fetch(`${server.url}/api/v1/namespaces/_/actions/slow?blocking=true`, { method: 'POST', headers: HEADERS, body: '{}' });
    await sleep(300);
    server.child.kill('SIGTERM');
    await sleep(100);
    // No longer accepting: a new connection is refused while the running call drains.
    const { hostname, port } = new URL(server.url);
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), hostname, () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    expect(refused).toBe('ECONNREFUSED');
    const answer = await running;
    expect(answer.status).toBe(200);
    const record = (await answer.json()) as { activationId: string; response: { result: unknown } };
    expect(record.response.result).toEqual({ finished: true });
    const { code } = await server.exited;
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    await poll(async () => (workers.every((pid) => !alive(pid)) ? true : undefined), 5000, 50);
    // Closed cleanly: SQLite checkpointed and removed the write-ahead log.
    const wal = join(dataDir, 'edgewhisk.db-wal');
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
    expect(integrity(dataDir)).toBe('ok/0');
    // The record is there after a restart.
    const again = await start(dataDir);
    try {
      const res = await fetch(`${again.url}/api/v1/namespaces/_/activations/${record.activationId}`, { headers: HEADERS });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { response: { result: unknown } }).response.result).toEqual({ finished: true });
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
  }, 30_000);
});
