/**
 * Activation records. The main thread only queues them (the row values and the record as JSON);
 * the writer thread (src/store/writer) inserts them with its own connection and checkpoints the
 * WAL, so neither costs the main thread. A durable write (`write`) is posted at the end of the
 * event-loop turn with everything queued by then, and its promise settles once the thread has
 * committed it, so a blocking invoke answers only once its record is durable. An eventual write
 * (`append`, web activations: upstream answers those before storing the record) waits up to
 * EVENTUAL_MS for company: fewer, larger transactions cost the thread far less per record (a
 * commit rewrites the last page of the table and of each index), and fewer messages cost the main
 * thread less. Reads first wait until everything queued before them is committed, so this process
 * always reads its own writes; they run on the main connection.
 */
import type { ActivationRecord } from '../openwhisk/activation.ts';
import type { Db } from './db.ts';
import { ROW_FIELDS, type Rows } from './writer/protocol.ts';
import { WriterThread } from './writer/writer.ts';

export interface ActivationQuery {
  namespace: string;
  path?: string | undefined;
  since?: number | undefined;
  upto?: number | undefined;
  skip: number;
  limit: number;
}

/** The longest an eventual write waits before its commit. */
const EVENTUAL_MS = 20;
/** A queue this long is posted at once, whatever waits. */
const MAX_BATCH = 1024;
/**
 * Record bytes queued or posted and not yet answered past which eventual writes wait for their
 * commit too. The thread normally has well under a MB on its hands (20 ms of records); this only
 * happens when it cannot keep up (a disk stalling the checkpoints' fsyncs), and then web calls
 * slow down to what it writes instead of the queue growing without bound.
 */
const MAX_BACKLOG_BYTES = 32 * 1_048_576;

/** The promise the durable writes of one batch share, and its settlers. */
interface Batch {
  done: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

const ignore = (): void => {};

function newBatch(): Batch {
  const batch = {} as Batch;
  batch.done = new Promise<void>((resolve, reject) => {
    batch.resolve = resolve;
    batch.reject = reject;
  });
  return batch;
}

interface Row {
  id: string;
  namespace: string;
  start: number;
  doc: string;
}

/**
 * The record without the fields that have columns of their own. Every byte stored costs on the
 * hot path (a row is written to the WAL, then again to the database), and these are a sixth of a
 * small record.
 */
function storedDoc(record: ActivationRecord): string {
  // JSON.stringify leaves out undefined members: blanking the three for the call is much cheaper
  // than copying the record without them, and nothing can observe the record meanwhile.
  const blanked = record as unknown as Record<'activationId' | 'namespace' | 'start', unknown>;
  const { activationId, namespace, start } = record;
  blanked.activationId = blanked.namespace = blanked.start = undefined;
  try {
    return JSON.stringify(record);
  } finally {
    record.activationId = activationId;
    record.namespace = namespace;
    record.start = start;
  }
}

/** A stored record, whole again (rows written before the columns were left out parse the same). */
function fromRow(row: Row): ActivationRecord {
  const doc = JSON.parse(row.doc) as Omit<ActivationRecord, 'activationId' | 'namespace' | 'start'>;
  return { activationId: row.id, namespace: row.namespace, ...doc, start: row.start } as ActivationRecord;
}

export class ActivationStore {
  private readonly db: Db;
  private readonly getStmt;
  /** The thread that commits the records; exposed for the tests of its death. */
  readonly writer: WriterThread;
  /** Queued records as rows (protocol.ts): what the next message carries. */
  private rows: Rows = [];
  /** Set when the queue holds a durable write: settles with the queue's commit. */
  private batch: Batch | undefined;
  /** A post at the end of this event-loop turn is scheduled (for a durable write). */
  private immediate = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly flushNow = (): void => this.flush();
  /** Doc bytes in `rows`, and in the queue plus the batches posted and not yet answered. */
  private queuedBytes = 0;
  private backlogBytes = 0;

  /** `db`: the main connection, migrated; the writer thread opens the same file. */
  constructor(db: Db) {
    this.db = db;
    this.getStmt = db.prepare<[string, string], Row>('SELECT id, namespace, start, doc FROM activations WHERE id = ? AND namespace = ?');
    this.writer = new WriterThread(db.name);
  }

  /** Queues the record; the promise settles once its transaction has committed. */
  write(record: ActivationRecord, path: string): Promise<void> {
    this.queue(record, path);
    this.batch ??= newBatch();
    if (!this.immediate) {
      this.immediate = true;
      setImmediate(this.flushNow);
    }
    return this.batch.done;
  }

  /**
   * Queues the record for a commit within EVENTUAL_MS; a failed commit is logged. Returns
   * undefined, unless the writer thread is far behind (MAX_BACKLOG_BYTES): then a promise that
   * settles (it never rejects) once the record is committed, for the caller to wait on.
   */
  append(record: ActivationRecord, path: string): Promise<void> | undefined {
    if (this.backlogBytes > MAX_BACKLOG_BYTES) return this.write(record, path).catch(ignore);
    this.queue(record, path);
    if (this.rows.length >= MAX_BATCH * ROW_FIELDS) this.flush();
    else this.timer ??= setTimeout(this.flushNow, EVENTUAL_MS);
    return undefined;
  }

  /** Posts everything queued to the writer thread now. */
  flush(): void {
    this.immediate = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    const { rows, batch, queuedBytes } = this;
    if (rows.length === 0) return;
    this.rows = [];
    this.batch = undefined;
    this.queuedBytes = 0;
    this.writer.commit(rows).then(
      () => {
        this.backlogBytes -= queuedBytes;
        batch?.resolve();
      },
      (error: Error) => {
        this.backlogBytes -= queuedBytes;
        const ids = rows.filter((_, i) => i % ROW_FIELDS === 0);
        console.error(`${ids.length} activation record(s) not recorded (${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ', …' : ''}):`, error.message);
        batch?.reject(error);
      },
    );
  }

  /** Commits everything queued, then stops the writer thread (its connection checkpoints the WAL away). */
  async close(): Promise<void> {
    this.flush();
    await this.writer.close();
  }

  private queue(record: ActivationRecord, path: string): void {
    const doc = storedDoc(record);
    this.rows.push(record.activationId, record.namespace, path, record.start, doc);
    this.queuedBytes += doc.length;
    this.backlogBytes += doc.length;
  }

  /** Everything queued so far is committed (or failed): what a read must wait for. */
  private committed(): Promise<void> {
    this.flush();
    return this.writer.settled();
  }

  async get(namespace: string, id: string): Promise<ActivationRecord | undefined> {
    await this.committed();
    const row = this.getStmt.get(id, namespace);
    return row ? fromRow(row) : undefined;
  }

  async list(query: ActivationQuery): Promise<ActivationRecord[]> {
    await this.committed();
    const { sql, params } = this.where(query);
    return this.db
      .prepare<unknown[], Row>(`SELECT id, namespace, start, doc FROM activations WHERE ${sql} ORDER BY start DESC LIMIT ? OFFSET ?`)
      .all(...params, query.limit, query.skip)
      .map(fromRow);
  }

  async count(query: ActivationQuery): Promise<number> {
    await this.committed();
    const { sql, params } = this.where(query);
    return this.db.prepare<unknown[], { n: number }>(`SELECT count(*) AS n FROM activations WHERE ${sql}`).get(...params)!.n;
  }

  /** Retention, in the writer thread: removes records that started before `cutoff` (epoch ms); resolves with how many. */
  deleteOlderThan(cutoff: number): Promise<number> {
    return this.writer.retain(cutoff);
  }

  private where(query: ActivationQuery): { sql: string; params: unknown[] } {
    const clauses = ['namespace = ?'];
    const params: unknown[] = [query.namespace];
    if (query.path !== undefined) {
      clauses.push('path = ?');
      params.push(query.path);
    }
    if (query.since !== undefined) {
      clauses.push('start >= ?');
      params.push(query.since);
    }
    if (query.upto !== undefined) {
      clauses.push('start <= ?');
      params.push(query.upto);
    }
    return { sql: clauses.join(' AND '), params };
  }
}
