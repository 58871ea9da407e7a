/**
 * The activation writer thread (a worker_threads worker, started by writer.ts). It has its own
 * better-sqlite3 connection to the server's database and does the two costly things of storing
 * activation records, which the main thread used to do between requests: the inserts (about 10 µs
 * a row across the table and its three indexes) and the WAL checkpoints (a few MB copied and two
 * fsyncs every ~1000 pages). Everything that arrived by the time it gets to work is committed in
 * one transaction, then answered, then — only then, so no caller waits for it — checkpointed when
 * the WAL has grown enough and the messages pause.
 *
 * Same library as the main thread, on purpose: two SQLite copies in one process (node:sqlite
 * beside better-sqlite3) would each keep their own POSIX lock bookkeeping for the file, and
 * closing one connection would drop the other's locks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openWriterConnection } from '../db.ts';
import { ROW_FIELDS, type FromWriter, type Rows, type ToWriter, type WriterData } from './protocol.ts';

/**
 * A transaction takes consecutive messages up to about this many rows (a few ms of inserts): the
 * main connection's entity writes wait for the write lock meanwhile, on the main thread.
 */
const MAX_TRANSACTION_ROWS = 2048;
/**
 * A PASSIVE checkpoint is due once the WAL has grown by about this many pages (SQLite's default),
 * and runs once no message has arrived for CHECKPOINT_QUIET_MS. A checkpoint is mostly fsyncs
 * (7–16 ms seen here, of which the copy is under 1 ms), and every commit that arrives meanwhile —
 * a blocking invoke waiting for its answer — waits for it: run right after a commit, it stalled
 * the next one or two. Under a load that never pauses, it runs at once past
 * CHECKPOINT_FORCE_PAGES: below the main connection's own threshold (4000 pages, db.ts), which
 * would run it on the main thread. Fewer, larger checkpoints cost less in all (one set of fsyncs
 * each); the WAL file grows to about 8 MB instead of 4.
 */
const CHECKPOINT_PAGES = 1000;
const CHECKPOINT_QUIET_MS = 20;
const CHECKPOINT_FORCE_PAGES = 2000;
/**
 * The WAL growth of a commit, estimated (measured with this schema: ~8 pages a commit for the
 * last leaf and interior pages of the table and its three indexes, plus about twice the row bytes
 * in pages): within ±50% from one-row commits to thousand-row ones, which is plenty for a trigger.
 */
const PAGES_PER_COMMIT = 8;
const PAGES_PER_ROW_PAGE = 2;
/** Column values and index entries of a row, beside its doc. */
const ROW_OVERHEAD_BYTES = 100;

const port = parentPort!;
const { file, addonPath } = workerData as WriterData;

function loadAddon(path: string): object {
  const module = { exports: {} };
  process.dlopen(module, path);
  return module.exports;
}

const db = openWriterConnection(file, addonPath === undefined ? undefined : loadAddon(addonPath));
const INSERT = 'INSERT OR REPLACE INTO activations (id, namespace, path, start, doc) VALUES ';
const insert = db.prepare<[string, string, string, number, string]>(`${INSERT}(?, ?, ?, ?, ?)`);
/**
 * Rows inserted by one statement where a batch has that many: each statement run costs its own
 * setup and binding calls, a fifth of a row's cost one at a time (scratch benchmark of this table:
 * 8.1 µs a row one by one, 5.7-6.3 in statements of 64; 32 keeps the statement's 160 parameters
 * small).
 */
const ROWS_PER_STATEMENT = 32;
const insertMany = db.prepare<unknown[]>(INSERT + Array.from({ length: ROWS_PER_STATEMENT }, () => '(?, ?, ?, ?, ?)').join(', '));
const deleteOlder = db.prepare<[number]>('DELETE FROM activations WHERE start < ?');
const pageSize = db.pragma('page_size', { simple: true }) as number;
/** Estimated WAL pages written since the last checkpoint. */
let walPages = 0;
/** A due checkpoint waiting for a pause in the messages. */
let quietTimer: NodeJS.Timeout | undefined;

/** Inserts every row of `batches` (one transaction); returns the bytes written, for the estimate. */
const insertAll = db.transaction((batches: Rows[]): number => {
  let bytes = 0;
  const statementFields = ROWS_PER_STATEMENT * ROW_FIELDS;
  for (const rows of batches) {
    let i = 0;
    for (; i + statementFields <= rows.length; i += statementFields) insertMany.run(...rows.slice(i, i + statementFields));
    for (; i < rows.length; i += ROW_FIELDS) insert.run(rows[i] as string, rows[i + 1] as string, rows[i + 2] as string, rows[i + 3] as number, rows[i + 4] as string);
    for (let doc = 4; doc < rows.length; doc += ROW_FIELDS) bytes += (rows[doc] as string).length + ROW_OVERHEAD_BYTES;
  }
  return bytes;
});

function send(message: FromWriter): void {
  port.postMessage(message);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Commits a run of consecutive `rows` messages together. */
function commit(run: Extract<ToWriter, { op: 'rows' }>[]): void {
  const from = run[0]!.seq;
  const to = run[run.length - 1]!.seq;
  try {
    // IMMEDIATE: wait for the write lock (busy_timeout) at BEGIN rather than fail mid-transaction.
    const bytes = insertAll.immediate(run.map((m) => m.rows));
    walPages += PAGES_PER_COMMIT + Math.ceil((PAGES_PER_ROW_PAGE * bytes) / pageSize);
    send({ op: 'settled', from, to });
  } catch (error) {
    send({ op: 'settled', from, to, error: errorText(error) });
  }
}

function retain(seq: number, cutoff: number): void {
  try {
    const { changes } = deleteOlder.run(cutoff);
    walPages += PAGES_PER_COMMIT + changes;
    send({ op: 'settled', from: seq, to: seq, changes });
  } catch (error) {
    send({ op: 'settled', from: seq, to: seq, error: errorText(error) });
  }
}

/**
 * PASSIVE: copies what it can without waiting for readers or writers (the main thread's
 * connection keeps working meanwhile). The main connection checkpoints only as a backstop
 * (src/store/db.ts), so this is where it normally happens.
 */
function checkpoint(): void {
  quietTimer = undefined;
  walPages = 0;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    console.error('activation writer: checkpoint failed:', error);
  }
}

/** After a round of work: a due checkpoint runs at the next pause, or now if the WAL is far behind. */
function checkpointWhenQuiet(): void {
  if (walPages < CHECKPOINT_PAGES) return;
  if (walPages >= CHECKPOINT_FORCE_PAGES) return checkpoint();
  quietTimer = setTimeout(checkpoint, CHECKPOINT_QUIET_MS);
  quietTimer.unref();
}

/** TRUNCATE: the whole WAL into the database and the file emptied, as a clean shutdown leaves it. */
function close(): void {
  clearTimeout(quietTimer);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (error) {
    console.error('activation writer: final checkpoint failed:', error);
  }
  db.close();
  // Nothing else keeps the thread alive: it ends once the port is closed.
  port.close();
}

let queue: ToWriter[] = [];
let scheduled = false;

/** Everything that arrived meanwhile, in order: consecutive rows messages share a transaction (up to MAX_TRANSACTION_ROWS). */
function work(): void {
  scheduled = false;
  const messages = queue;
  queue = [];
  for (let i = 0; i < messages.length; ) {
    const message = messages[i]!;
    if (message.op === 'rows') {
      let end = i + 1;
      let rows = message.rows.length / ROW_FIELDS;
      while (end < messages.length && rows < MAX_TRANSACTION_ROWS) {
        const next = messages[end]!;
        if (next.op !== 'rows') break;
        rows += next.rows.length / ROW_FIELDS;
        end++;
      }
      commit(messages.slice(i, end) as Extract<ToWriter, { op: 'rows' }>[]);
      i = end;
      continue;
    }
    if (message.op === 'retain') retain(message.seq, message.cutoff);
    else return close();
    i++;
  }
  checkpointWhenQuiet();
}

// Messages that arrive together are delivered in one go: the work waits for the last of them.
port.on('message', (message: ToWriter) => {
  // Not a pause: a waiting checkpoint waits on (the work re-arms it).
  clearTimeout(quietTimer);
  quietTimer = undefined;
  queue.push(message);
  if (!scheduled) {
    scheduled = true;
    setImmediate(work);
  }
});
