/**
 * The activation writer thread (src/store/writer): records are committed by a worker thread with
 * its own connection. Checked against the real database file, read through a connection of the
 * test's own: a blocking invoke's record is in the file when the answer comes; reads through the
 * API see every record answered before them, web ones included; close() commits everything queued
 * and leaves no WAL behind; and a writer thread that dies fails the writes it had not answered (no
 * caller hangs), leaves the database unlocked, and is replaced.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newActivationId } from '../../src/ids.ts';
import { activationRecord, activationResponse, type Activation } from '../../src/openwhisk/activation.ts';
import { ActivationStore } from '../../src/store/activations.ts';
import { openDatabase, type Db } from '../../src/store/db.ts';
import { EntityStore } from '../../src/store/entities.ts';
import { expectJson, poll, sleep, type Json } from '../helpers/api.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** A connection of the test's own: what is in the file, whatever the server's threads do. */
function storedIds(dataDir: string): Set<string> {
  const db = new Database(join(dataDir, 'edgewhisk.db'), { readonly: true });
  try {
    return new Set(db.prepare<[], { id: string }>('SELECT id FROM activations').all().map((r) => r.id));
  } finally {
    db.close();
  }
}

function integrity(dataDir: string): string {
  const db = new Database(join(dataDir, 'edgewhisk.db'));
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

describe('activation records through the writer thread (real server)', () => {
  let t: TestServer;
  const web = (n: number): Promise<Response> => fetch(`${t.url}/api/v1/web/guest/default/echo.json?n=${n}`);

  beforeAll(async () => {
    t = await startTestServer();
    const put = await t.request('PUT', '/api/v1/namespaces/_/actions/echo', {
      exec: { kind: 'nodejs:default', code: 'function main(p) { return { n: p.n } }' },
      annotations: [{ key: 'web-export', value: true }],
    });
    expect(put.status).toBe(200);
  });
  afterAll(async () => t.close());

  it('a blocking invoke answers once its record is in the database file', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, async (_, n) => {
        const record = await expectJson(await t.request('POST', '/api/v1/namespaces/_/actions/echo?blocking=true', { n }), 200);
        // Read at once, beside the server: committed by its writer thread before the answer left.
        expect(storedIds(t.dataDir).has(record.activationId as string), `record ${n}`).toBe(true);
        return record;
      }),
    );
    expect(new Set(answers.map((a) => a.activationId)).size).toBe(40);
  });

  it('reads see every record answered before them: web records (committed eventually) included', async () => {
    const before = (await expectJson(await t.request('GET', '/api/v1/namespaces/_/activations?count=true&name=echo'), 200)).activations as number;
    for (let round = 0; round < 3; round++) {
      const replies = await Promise.all(Array.from({ length: 25 }, (_, n) => web(round * 100 + n)));
      const ids = replies.map((r) => {
        expect(r.status).toBe(200);
        return r.headers.get('x-openwhisk-activation-id')!;
      });
      // Straight after the answers, well inside the 20 ms an eventual write may wait.
      const one = await expectJson(await t.request('GET', `/api/v1/namespaces/_/activations/${ids[24]}`), 200);
      // Query parameters of web calls are strings.
      expect(one.response.result).toEqual({ n: String(round * 100 + 24) });
      const count = (await expectJson(await t.request('GET', '/api/v1/namespaces/_/activations?count=true&name=echo'), 200)).activations as number;
      expect(count).toBe(before + (round + 1) * 25);
      const listed = (await expectJson<Json[]>(await t.request('GET', '/api/v1/namespaces/_/activations?name=echo&limit=200'), 200)).map((a) => a.activationId);
      for (const id of ids) expect(listed).toContain(id);
    }
  });
});

describe('shutdown', () => {
  it('close() commits every queued record, web ones answered a moment ago included, and leaves no WAL', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-writer-close-'));
    try {
      const t = await startTestServer({ 'data-dir': dataDir });
      const put = await t.request('PUT', '/api/v1/namespaces/_/actions/echo', {
        exec: { kind: 'nodejs:default', code: 'function main(p) { return { n: p.n } }' },
        annotations: [{ key: 'web-export', value: true }],
      });
      expect(put.status).toBe(200);
      const replies = await Promise.all(Array.from({ length: 50 }, (_, n) => fetch(`${t.url}/api/v1/web/guest/default/echo.json?n=${n}`)));
      const ids = replies.map((r) => r.headers.get('x-openwhisk-activation-id')!);
      expect(ids.every((id) => /^[0-9a-f]{32}$/.test(id))).toBe(true);
      await t.close();
      const stored = storedIds(dataDir);
      for (const id of ids) expect(stored.has(id), id).toBe(true);
      const wal = join(dataDir, 'edgewhisk.db-wal');
      expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
      expect(integrity(dataDir)).toBe('ok');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the writer thread (store level)', () => {
  let dataDir: string;
  let db: Db;
  let store: ActivationStore;

  const record = (start = Date.now(), result: Json = { ok: true }): Activation =>
    activationRecord(
      { activationId: newActivationId(), namespace: 'guest', subject: 'guest', name: 'a', version: '0.0.1' },
      { start, end: start, response: activationResponse(0, result), logs: [], annotations: [] },
    );

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-writer-death-'));
    db = openDatabase(dataDir);
    store = new ActivationStore(db);
  });
  afterAll(async () => {
    await store.close();
    db.close();
    expect(integrity(dataDir)).toBe('ok');
    rmSync(dataDir, { recursive: true, force: true });
  });
  let blocker: Database.Database | undefined;
  afterEach(() => {
    if (blocker?.inTransaction) blocker.exec('ROLLBACK');
    blocker?.close();
    blocker = undefined;
  });

  /** Writes one record until the replacement thread takes it (a death right after a start waits a second). */
  async function writeOnceReplaced(): Promise<Activation> {
    return poll(async () => {
      const r = record();
      try {
        await store.write(r, 'a');
        return r;
      } catch {
        return undefined;
      }
    }, 5000, 50);
  }

  it('a batch of many records (inserted many rows to a statement) stores each one whole, a repeated id as its last version', async () => {
    // 100 records in one message: three statements of 32 rows, then 4 rows one at a time.
    const records = Array.from({ length: 100 }, (_, i) => record(1_000_000 + i, { i }));
    // An id written twice in one batch (first in the many-row part, again in the rest) keeps the later record.
    const replaced = { ...records[5]!, start: 2_000_000, response: activationResponse(0, { replaced: true }) } as Activation;
    for (const r of records) store.append(r, `path-${r.start}`);
    store.append(replaced, 'path-replaced');
    for (const [i, r] of records.entries()) {
      const stored = await store.get('guest', r.activationId);
      if (i === 5) {
        expect(stored).toMatchObject({ activationId: r.activationId, start: 2_000_000, response: { result: { replaced: true } } });
        continue;
      }
      expect(stored, `record ${i}`).toMatchObject({ activationId: r.activationId, namespace: 'guest', name: 'a', start: 1_000_000 + i, response: { result: { i } } });
    }
    const paths = new Database(join(dataDir, 'edgewhisk.db'), { readonly: true });
    try {
      const rows = paths.prepare<[], { id: string; path: string }>('SELECT id, path FROM activations WHERE start >= 1000000 AND start < 3000000').all();
      expect(rows).toHaveLength(100);
      for (const row of rows) {
        const start = records.find((r) => r.activationId === row.id)!.start;
        expect(row.path).toBe(row.id === replaced.activationId ? 'path-replaced' : `path-${start}`);
      }
    } finally {
      paths.close();
    }
  });

  it('retention deletes in the thread, and says how many', async () => {
    const old = [record(5000), record(6000)];
    const fresh = record();
    for (const r of [...old, fresh]) store.append(r, 'a');
    expect(await store.deleteOlderThan(10_000)).toBe(0);
    // Queued records are committed by the time a read answers; only then are they there to delete.
    expect(await store.get('guest', old[0]!.activationId)).toBeDefined();
    expect(await store.deleteOlderThan(10_000)).toBe(2);
    for (const r of old) expect(await store.get('guest', r.activationId)).toBeUndefined();
    expect(await store.get('guest', fresh.activationId)).toBeDefined();
  });

  it('checkpoints the WAL itself: it stays a few MB under a long stream of records', async () => {
    const result = { text: 'x'.repeat(1000) };
    let last: Promise<void> = Promise.resolve();
    for (let i = 0; i < 30_000; i++) {
      if (i % 1000 === 999) last = store.write(record(Date.now(), result), 'a');
      else store.append(record(Date.now(), result), 'a');
      if (i % 1000 === 999) await last;
    }
    await last;
    // 30 MB of records went through; without checkpoints the WAL would hold all of them.
    const wal = statSync(join(dataDir, 'edgewhisk.db-wal')).size;
    expect(wal).toBeLessThan(12 * 1_048_576);
    expect(await store.count({ namespace: 'guest', skip: 0, limit: 0 })).toBeGreaterThanOrEqual(30_000);
  }, 60_000);

  /**
   * Frames in the WAL and frames already copied into the database, read from the wal-index (the
   * -shm file: mxFrame in the header, nBackfill after its two copies) without a connection, so
   * nothing here checkpoints or waits for a lock.
   */
  function walFrames(): { frames: number; backfilled: number } {
    const shm = readFileSync(join(dataDir, 'edgewhisk.db-shm'));
    return { frames: shm.readUInt32LE(16), backfilled: shm.readUInt32LE(96) };
  }

  it('a due checkpoint runs at the first pause in the writes, without a write to trigger it', async () => {
    // A store of its own: the thread's WAL estimate starts at 0. It counts 8 pages a commit plus
    // twice the row's bytes in pages (thread.ts): 11 for each of these records, so the 91st write
    // makes the checkpoint due (1001 pages) and the 90th did not (990).
    const dir = mkdtempSync(join(tmpdir(), 'edgewhisk-writer-pause-'));
    const ownDb = openDatabase(dir);
    const own = new ActivationStore(ownDb);
    try {
      const result = { text: 'x'.repeat(4000) };
      for (let i = 0; i < 91; i++) await own.write(record(Date.now(), result), 'a');
      // Nothing is written from here on: the thread checkpoints once the writes pause.
      await poll(async () => {
        const shm = readFileSync(join(dir, 'edgewhisk.db-shm'));
        // The wal-index: mxFrame (frames in the WAL) in its header, nBackfill (frames copied into
        // the database) after the header's two copies; read without a connection, so nothing here
        // checkpoints.
        const frames = shm.readUInt32LE(16);
        const backfilled = shm.readUInt32LE(96);
        return frames > 0 && backfilled === frames ? true : undefined;
      }, 5000, 20);
    } finally {
      await own.close();
      ownDb.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('eventual writes wait for their commit while the thread is far behind (32 MB unanswered)', async () => {
    const big = { text: 'x'.repeat(1_048_576) };
    // The thread cannot commit while another connection holds the write lock.
    blocker = new Database(join(dataDir, 'edgewhisk.db'));
    blocker.exec('BEGIN IMMEDIATE');
    const queued: Activation[] = [];
    for (let i = 0; i < 32; i++) {
      const r = record(Date.now(), big);
      queued.push(r);
      expect(store.append(r, 'a'), `append ${i}`).toBeUndefined();
    }
    const late = record(Date.now(), big);
    const waiting = store.append(late, 'a');
    expect(waiting).toBeInstanceOf(Promise);
    let settled = false;
    void waiting!.then(() => (settled = true));
    await sleep(300);
    expect(settled).toBe(false);
    blocker.exec('ROLLBACK');
    await waiting;
    const stored = storedIds(dataDir);
    for (const r of [...queued, late]) expect(stored.has(r.activationId)).toBe(true);
    // Caught up: back to answering at once.
    expect(store.append(record(), 'a')).toBeUndefined();
  }, 20_000);

  it('writes it had not committed reject (no caller hangs); the next thread takes new writes; nothing stays locked', async () => {
    const first = record();
    await store.write(first, 'a');
    // Another connection holds the write lock: the thread cannot commit what comes next.
    blocker = new Database(join(dataDir, 'edgewhisk.db'));
    blocker.exec('BEGIN IMMEDIATE');
    const stuck = [record(), record(), record()];
    const pending = stuck.map((r) => store.write(r, 'a').then(() => 'committed', (error: Error) => error.message));
    const eventual = record();
    store.append(eventual, 'a');
    store.flush();
    await sleep(200);
    const dying = store.writer.terminate();
    const outcomes = await Promise.all(pending);
    for (const outcome of outcomes) expect(outcome).toMatch(/writer thread stopped|not committed/);
    await dying;
    blocker.exec('ROLLBACK');

    const after = await writeOnceReplaced();
    expect(await store.get('guest', after.activationId)).toMatchObject({ activationId: after.activationId, response: { result: { ok: true } } });
    expect(await store.get('guest', first.activationId)).toMatchObject({ activationId: first.activationId });
    for (const r of [...stuck, eventual]) expect(await store.get('guest', r.activationId)).toBeUndefined();
    // The dead thread's connection is closed with it: the main connection writes at once.
    const entities = new EntityStore(db);
    const started = Date.now();
    const doc = { name: 'after-death', updated: Date.now() };
    entities.put('guest', 'actions', 'after-death', doc);
    expect(Date.now() - started).toBeLessThan(1000);
  }, 20_000);

  it('a death in the middle of a stream of writes: every write settles, and every one that resolved is stored', async () => {
    const written: { record: Activation; outcome: Promise<boolean> }[] = [];
    for (let turn = 0; turn < 40; turn++) {
      for (let i = 0; i < 10; i++) {
        const r = record();
        written.push({ record: r, outcome: store.write(r, 'a').then(() => true, () => false) });
      }
      if (turn === 20) {
        // Some committed first, then the thread dies with the rest in flight or still to come.
        await written[0]!.outcome;
        void store.writer.terminate();
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const outcomes = await Promise.all(written.map((w) => w.outcome));
    expect(outcomes.filter(Boolean).length).toBeGreaterThan(0);
    await writeOnceReplaced();
    for (const [i, w] of written.entries()) {
      if (outcomes[i]) expect(await store.get('guest', w.record.activationId), `resolved write ${i}`).toBeDefined();
    }
  }, 20_000);
});
