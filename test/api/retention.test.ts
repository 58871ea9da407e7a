/**
 * Activation retention (--retention-days) through the server: records older than the retention are
 * deleted by the writer thread, which starts with the first record written — a server that has
 * recorded nothing holds no writer thread (it is about 15 MB of an idle server's memory).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { poll } from '../helpers/api.ts';
import { startTestServer } from '../helpers/server.ts';

const DAY = 86_400_000;

/** Threads of this process named like the writer (vitest runs each test file in a process of its own). */
function writerThreads(): number {
  let count = 0;
  for (const task of readdirSync('/proc/self/task')) {
    try {
      if (readFileSync(`/proc/self/task/${task}/comm`, 'utf8').trim().startsWith('activation-writ')) count++;
    } catch {
      // the thread ended meanwhile
    }
  }
  return count;
}

function databaseFile(dataDir: string): string {
  const file = readdirSync(dataDir).find((name) => name.endsWith('.db'));
  if (file === undefined) throw new Error(`no database in ${dataDir}`);
  return join(dataDir, file);
}

describe('retention', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-retention-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('deletes records older than the retention once the server writes, and starts no writer thread before', async () => {
    // A database with a record of 8 days ago and one of yesterday, as an earlier run left them.
    const first = await startTestServer({ 'data-dir': dataDir });
    await first.close();
    const old = `${(Date.now() - 8 * DAY).toString(16).padStart(12, '0')}${'a'.repeat(20)}`;
    const recent = `${(Date.now() - DAY).toString(16).padStart(12, '0')}${'b'.repeat(20)}`;
    const db = new Database(databaseFile(dataDir));
    const insert = db.prepare('INSERT INTO activations (id, namespace, path, start, doc) VALUES (?, ?, ?, ?, ?)');
    const doc = (name: string): string => JSON.stringify({ name, version: '0.0.1', subject: 'guest', publish: false, end: 0, duration: 0, response: { status: 'success', statusCode: 0, success: true, result: {} }, logs: [], annotations: [] });
    insert.run(old, 'guest', 'old', Date.now() - 8 * DAY, doc('old'));
    insert.run(recent, 'guest', 'recent', Date.now() - DAY, doc('recent'));
    db.close();

    expect(writerThreads()).toBe(0);
    const t = await startTestServer({ 'data-dir': dataDir, 'retention-days': '7' });
    try {
      // Reading needs no writer thread, and nothing has been deleted yet.
      expect((await t.request('GET', `/api/v1/namespaces/_/activations/${old}`)).status).toBe(200);
      expect(writerThreads()).toBe(0);

      await t.ow.actions.create({ name: 'hello', action: 'function main() { return { ok: true } }' });
      const record = await t.ow.actions.invoke({ name: 'hello', blocking: true });
      expect(record.response?.result).toEqual({ ok: true });
      expect(writerThreads()).toBe(1);
      await poll(async () => ((await t.request('GET', `/api/v1/namespaces/_/activations/${old}`)).status === 404 ? true : undefined));
      expect((await t.request('GET', `/api/v1/namespaces/_/activations/${recent}`)).status).toBe(200);
      expect((await t.request('GET', `/api/v1/namespaces/_/activations/${record.activationId}`)).status).toBe(200);
    } finally {
      await t.close();
    }
    expect(writerThreads()).toBe(0);
  });
});
