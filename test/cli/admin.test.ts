import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectApiError, expectJson } from '../helpers/api.ts';
import { GUEST_KEY, startTestServer } from '../helpers/server.ts';
import { announcedUrl } from '../../src/cli/listening.ts';
import { BIN, run, Sandbox, type CliResult } from './helpers.ts';
import { spawn } from 'node:child_process';

const ROOT = new URL('../..', import.meta.url).pathname;

/** bin/edgewhisk, as a user runs it. */
function cli(...args: string[]): Promise<CliResult> {
  return run(args);
}

describe('edgewhisk namespace create', () => {
  let dataDir: string;
  let credential: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-cli-'));
    const result = await cli('namespace', 'create', 'team', '--data-dir', dataDir);
    expect(result.code, result.stderr).toBe(0);
    credential = result.stdout.trim();
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints uuid:key', () => {
    expect(credential).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:\S{32,}$/);
  });

  it('a server on that data dir accepts the key for namespace team', async () => {
    const t = await startTestServer({ 'data-dir': dataDir });
    try {
      expect(await expectJson(await t.request('GET', '/api/v1/namespaces', undefined, { auth: credential }), 200)).toEqual(['team']);
      const team = t.client(credential);
      expect(await team.namespaces.list()).toEqual(['team']);
      const created = await team.actions.create({ name: 'hi', action: 'function main() { return { ns: process.env.__OW_NAMESPACE } }' });
      expect(created.namespace).toBe('team');
      expect(await team.actions.invoke({ name: 'hi', blocking: true, result: true })).toEqual({ ns: 'team' });
      // Namespaces stay apart: team cannot reach guest, guest does not see team's action.
      await expectApiError(await t.request('GET', '/api/v1/namespaces/guest/actions', undefined, { auth: credential }), 403);
      await expectApiError(await t.request('GET', '/api/v1/namespaces/team/actions', undefined, { auth: GUEST_KEY }), 403);
      await expectApiError(await t.request('GET', '/api/v1/namespaces/_/actions/hi', undefined, { auth: GUEST_KEY }), 404);
      // A wrong key for team's uuid is refused.
      const uuid = credential.split(':')[0]!;
      await expectApiError(await t.request('GET', '/api/v1/namespaces', undefined, { auth: `${uuid}:wrong` }), 401);
    } finally {
      await t.close();
    }
  });

  it('the key is accepted even where the well-known keys are not', async () => {
    const t = await startTestServer({ 'data-dir': dataDir, 'allow-guest-key': 'false' });
    try {
      expect(await expectJson(await t.request('GET', '/api/v1/namespaces', undefined, { auth: credential }), 200)).toEqual(['team']);
      await expectApiError(await t.request('GET', '/api/v1/namespaces'), 401);
    } finally {
      await t.close();
    }
  });

  it('stores the key hashed, never in plain text', () => {
    const key = credential.slice(credential.indexOf(':') + 1);
    const db = new Database(join(dataDir, 'edgewhisk.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM namespaces').all() as Record<string, unknown>[];
      expect(rows.map((r) => r.name).sort()).toEqual(['guest', 'team', 'whisk.system']);
      for (const row of rows) {
        for (const value of Object.values(row)) expect(String(value)).not.toContain(key);
      }
    } finally {
      db.close();
    }
    // Not in any file of the data dir either (the database, its WAL, anything else).
    for (const file of readdirSync(dataDir)) {
      expect(readFileSync(join(dataDir, file)).includes(Buffer.from(key)), file).toBe(false);
    }
  });

  it('refuses to create an existing namespace again', async () => {
    const again = await cli('namespace', 'create', 'team', '--data-dir', dataDir);
    expect(again.code).not.toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/already exists/);
  });

  it('refuses an invalid namespace name', async () => {
    const bad = await cli('namespace', 'create', 'bad$name', '--data-dir', dataDir);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toBe('');
  });

  it('namespace list shows every namespace', async () => {
    const listed = await cli('namespace', 'list', '--data-dir', dataDir);
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split('\n')).toEqual(['guest', 'team', 'whisk.system']);
  });

  it('--json: the namespace and its key', async () => {
    const created = await cli('namespace', 'create', 'other', '--data-dir', dataDir, '--json');
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toEqual({ namespace: 'other', auth: expect.stringMatching(/^[0-9a-f-]{36}:\S{32,}$/) });
  });
});

/** Starts bin/edgewhisk with `args`, resolves with the URL it prints and a stop that sends SIGTERM. */
async function startCli(args: string[]): Promise<{ url: string; pid: number; stop(): Promise<number | null> }> {
  const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await announcedUrl(child, 20_000);
  return {
    url,
    pid: child.pid!,
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('edgewhisk serve', () => {
  it('serve (and no command with server flags, as before) runs the server until SIGTERM', async () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'edgewhisk-serve-')), mkdtempSync(join(tmpdir(), 'edgewhisk-serve-'))];
    const sb = new Sandbox();
    try {
      const [serve, legacy] = await Promise.all([
        startCli(['serve', '--port', '0', '--data-dir', dirs[0]!]),
        startCli(['--port', '0', '--data-dir', dirs[1]!]),
      ]);
      const [listed, listedLegacy] = await Promise.all([
        sb.ok(['namespace', 'list', '--apihost', serve.url]),
        sb.ok(['namespace', 'list', '--apihost', legacy.url]),
      ]);
      expect([listed, listedLegacy]).toEqual(['guest\n', 'guest\n']);
      expect(await Promise.all([serve.stop(), legacy.stop()])).toEqual([0, 0]);
    } finally {
      sb.remove();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs on Node's snapshot; --isolate-workers 0 restarts itself with --no-node-snapshot (same pid, one malloc arena) and runs actions in process", async () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'edgewhisk-serve-')), mkdtempSync(join(tmpdir(), 'edgewhisk-serve-'))];
    const commandLine = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const invoke = async (url: string): Promise<unknown> => {
      const headers = { authorization: `Basic ${Buffer.from(GUEST_KEY).toString('base64')}`, 'content-type': 'application/json' };
      const action = `${url}/api/v1/namespaces/_/actions/sum`;
      const put = await fetch(action, { method: 'PUT', headers, body: JSON.stringify({ exec: { kind: 'nodejs:default', code: 'function main(p) { return { sum: p.a + p.b } }' } }) });
      expect(put.status).toBe(200);
      return (await fetch(`${action}?blocking=true&result=true`, { method: 'POST', headers, body: JSON.stringify({ a: 1, b: 2 }) })).json();
    };
    try {
      const [workers, inProcess] = await Promise.all([
        startCli(['serve', '--port', '0', '--data-dir', dirs[0]!]),
        startCli(['serve', '--port', '0', '--data-dir', dirs[1]!, '--isolate-workers', '0']),
      ]);
      expect(commandLine(workers.pid)).not.toContain('--no-node-snapshot');
      expect(commandLine(inProcess.pid)).toContain('--no-node-snapshot');
      // It makes isolates: one malloc arena, unless the user chose (src/cli/snapshot.ts isolateProcessEnv).
      const environment = (pid: number): string[] => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      expect(environment(inProcess.pid)).toContain(`MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? '1'}`);
      expect(await Promise.all([invoke(workers.url), invoke(inProcess.url)])).toEqual([{ sum: 3 }, { sum: 3 }]);
      expect(await Promise.all([workers.stop(), inProcess.stop()])).toEqual([0, 0]);
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--isolate-workers 0 started with --no-node-snapshot already still restarts once for its malloc arena (same pid)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgewhisk-serve-'));
    const env = { ...process.env };
    delete env.MALLOC_ARENA_MAX;
    const child = spawn(process.execPath, ['--no-node-snapshot', 'src/cli.ts', 'serve', '--port', '0', '--data-dir', dir, '--isolate-workers', '0'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await announcedUrl(child, 20_000);
      expect(readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0')).toContain('MALLOC_ARENA_MAX=1');
      expect(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg === '--no-node-snapshot')).toHaveLength(1);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a bad server flag: one line, exit 2', async () => {
    const [unknown, badPort] = await Promise.all([cli('serve', '--bogus', 'x'), cli('--port', 'abc')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe('error: unknown option --bogus');
    expect(badPort.code).toBe(2);
    expect(badPort.stderr.trim()).toMatch(/^error: --port \(EDGEWHISK_PORT\): 'abc' is not an integer/);
  });
});
