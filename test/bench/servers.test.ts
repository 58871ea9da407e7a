/**
 * The servers the benchmarks measure against (bench/servers): each started as the bench starts it,
 * confined to the server core, must stay there — the bench's own modules move whatever imports them
 * to the load core (the node:vm peer once did, and was measured beside its load) — and must answer
 * what the bench loads it with.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
});
