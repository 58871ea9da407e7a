/**
 * Activation records. Writes are group-committed. A durable write (`write`) is committed at the end
 * of the event-loop turn with everything queued by then, and its promise settles after that commit,
 * so a blocking invoke answers only once its record is durable, at a fraction of a commit per record.
 * An eventual write (`append`, web activations: upstream answers those before storing the record)
 * waits up to EVENTUAL_MS for company: a commit rewrites the last page of the table and of each
 * index, so a few large transactions cost far less per record than many small ones. Reads commit
 * what is queued first, so this process always reads its own writes.
 */
import type { ActivationRecord } from '../openwhisk/activation.ts';
import type { Db } from './db.ts';

export interface ActivationQuery {
  namespace: string;
  path?: string | undefined;
  since?: number | undefined;
  upto?: number | undefined;
  skip: number;
  limit: number;
}

interface Pending {
  record: ActivationRecord;
  path: string;
  /** Only for durable writes: settles after the commit. */
  resolve?: () => void;
  reject?: (error: Error) => void;
}

/** The longest an eventual write waits before its commit. */
const EVENTUAL_MS = 20;
/** A queue this long is committed at once, whatever waits. */
const MAX_BATCH = 1024;

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
  private readonly insertStmt;
  private readonly getStmt;
  private readonly deleteOlderStmt;
  private queue: Pending[] = [];
  /** A commit at the end of this event-loop turn is scheduled (for a durable write). */
  private immediate = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(db: Db) {
    this.db = db;
    this.insertStmt = db.prepare<[string, string, string, number, string]>(
      'INSERT OR REPLACE INTO activations (id, namespace, path, start, doc) VALUES (?, ?, ?, ?, ?)',
    );
    this.getStmt = db.prepare<[string, string], Row>('SELECT id, namespace, start, doc FROM activations WHERE id = ? AND namespace = ?');
    this.deleteOlderStmt = db.prepare<[number]>('DELETE FROM activations WHERE start < ?');
  }

  /** Queues the record; the promise settles once its transaction has committed. */
  write(record: ActivationRecord, path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ record, path, resolve, reject });
      if (!this.immediate) {
        this.immediate = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Queues the record for a commit within EVENTUAL_MS; a failed commit is logged. */
  append(record: ActivationRecord, path: string): void {
    this.queue.push({ record, path });
    if (this.queue.length >= MAX_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), EVENTUAL_MS);
  }

  /** Commits everything queued now; also called on shutdown and before every read. */
  flush(): void {
    this.immediate = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    try {
      this.db.transaction(() => {
        for (const { record, path } of batch) {
          this.insertStmt.run(record.activationId, record.namespace, path, record.start, storedDoc(record));
        }
      })();
    } catch (error) {
      for (const p of batch) {
        if (p.reject) p.reject(error as Error);
        else console.error(`activation ${p.record.activationId} not recorded:`, error);
      }
      return;
    }
    for (const p of batch) p.resolve?.();
  }

  get(namespace: string, id: string): ActivationRecord | undefined {
    this.flush();
    const row = this.getStmt.get(id, namespace);
    return row ? fromRow(row) : undefined;
  }

  list(query: ActivationQuery): ActivationRecord[] {
    this.flush();
    const { sql, params } = this.where(query);
    return this.db
      .prepare<unknown[], Row>(`SELECT id, namespace, start, doc FROM activations WHERE ${sql} ORDER BY start DESC LIMIT ? OFFSET ?`)
      .all(...params, query.limit, query.skip)
      .map(fromRow);
  }

  count(query: ActivationQuery): number {
    this.flush();
    const { sql, params } = this.where(query);
    return this.db.prepare<unknown[], { n: number }>(`SELECT count(*) AS n FROM activations WHERE ${sql}`).get(...params)!.n;
  }

  /** Retention: removes records that started before `cutoff` (epoch ms); returns how many. */
  deleteOlderThan(cutoff: number): number {
    return this.deleteOlderStmt.run(cutoff).changes;
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
