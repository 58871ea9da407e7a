import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionBody, expectApiError, expectJson } from './helpers/api.ts';
import { GUEST_KEY, startTestServer } from './helpers/server.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE = join(ROOT, 'node_modules/.bin/node');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(NODE, ['--no-node-snapshot', 'src/cli.ts', ...args], { cwd: ROOT }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
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
});
