/**
 * An isolate worker process runs as many V8 background threads as it has cores to spare
 * (src/runners/workers/supervisor.ts backgroundThreadsFlag): on a server confined to one core, one.
 * A real server started under `taskset -c 0`, its worker found among its children, its threads
 * read from /proc. Its timer slack and malloc arenas too (src/runners/isolate/timer-slack.ts,
 * src/cli/snapshot.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { announcedUrl } from '../../src/cli/listening.ts';
import { poll } from '../helpers/api.ts';
import { GUEST_KEY } from '../helpers/server.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const AUTH = `Basic ${Buffer.from(GUEST_KEY).toString('base64')}`;
const skipped =
  process.platform !== 'linux' ? 'not Linux: no /proc to read threads from'
  : spawnSync('taskset', ['-c', '0', 'true']).status !== 0 ? 'no taskset here to confine the server to one core'
  : undefined;
if (skipped) console.log(`skipped: ${skipped}`);

/** Names of the threads of process `pid` (their `comm`). */
function threadNames(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim());
}

/** The processes whose parent is `pid`. */
function children(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
    readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );
}

describe.skipIf(skipped !== undefined)('V8 background threads of an isolate worker', () => {

  it('a server confined to one core starts its workers with one V8 background thread, not four', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-threads-'));
    const child = spawn('taskset', ['-c', '0', process.execPath, '--no-node-snapshot', 'src/cli.ts', 'serve', '--port', '0', '--data-dir', dataDir], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const url = await announcedUrl(child);
      const headers = { authorization: AUTH, 'content-type': 'application/json' };
      const code = 'function main() { return { ok: true } }';
      expect((await fetch(`${url}/api/v1/namespaces/_/actions/hi`, { method: 'PUT', headers, body: JSON.stringify({ exec: { kind: 'nodejs:default', code } }) })).status).toBe(200);
      const res = await fetch(`${url}/api/v1/namespaces/_/actions/hi?blocking=true&result=true`, { method: 'POST', headers, body: '{}' });
      expect(await res.json()).toEqual({ ok: true });

      // taskset execs node: the server is the child itself.
      const workers = children(child.pid!).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('workers/entry'));
      expect(workers.length).toBeGreaterThanOrEqual(1);
      for (const pid of workers) {
        expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('--v8-pool-size=1');
        // A worker just spawned (the spare) may not have its threads yet: Node makes them all at once.
        const pool = await poll(async () => {
          const v8 = threadNames(pid).filter((name) => name === 'V8Worker');
          return v8.length > 0 ? v8 : undefined;
        });
        expect(pool).toHaveLength(1);
      }
      // The server itself is started by its launcher, not by us: Node's default pool of four.
      expect(threadNames(child.pid!).filter((name) => name === 'V8Worker')).toHaveLength(4);

      // The worker that ran the call lets its calls' timeout timers wake together (1 ms of timer
      // slack, src/runners/isolate/timer-slack.ts); the server, which runs no isolate, keeps the
      // slack it was started with.
      const slack = (pid: number | 'self'): number => Number(readFileSync(`/proc/${pid}/timerslack_ns`, 'utf8'));
      expect(workers.map(slack)).toContain(1_000_000);
      expect(slack(child.pid!)).toBe(slack('self'));

      // And one malloc arena, unless the user chose (src/cli/snapshot.ts isolateProcessEnv).
      for (const pid of workers) {
        expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain(`MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? '1'}`);
      }
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
