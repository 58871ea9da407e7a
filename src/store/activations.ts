/**
 * Activation records. Writes are group-committed: every record queued during one event-loop turn
 * is inserted in one transaction, and each writer's promise settles after that commit, so a
 * blocking invoke answers only once its record is durable, at a fraction of a commit per record.
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
  resolve: () => void;
  reject: (error: Error) => void;
}

export class ActivationStore {
  private readonly db: Db;
  private readonly insertStmt;
  private readonly getStmt;
  private readonly deleteOlderStmt;
  private queue: Pending[] = [];
  private flushScheduled = false;

  constructor(db: Db) {
    this.db = db;
    this.insertStmt = db.prepare<[string, string, string, number, string]>(
      'INSERT OR REPLACE INTO activations (id, namespace, path, start, doc) VALUES (?, ?, ?, ?, ?)',
    );
    this.getStmt = db.prepare<[string, string], { doc: string }>('SELECT doc FROM activations WHERE id = ? AND namespace = ?');
    this.deleteOlderStmt = db.prepare<[number]>('DELETE FROM activations WHERE start < ?');
  }

  /** Queues the record; the promise settles once its transaction has committed. */
  write(record: ActivationRecord, path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ record, path, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits everything queued now; also called on shutdown. */
  flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    try {
      this.db.transaction(() => {
        for (const { record, path } of batch) {
          this.insertStmt.run(record.activationId, record.namespace, path, record.start, JSON.stringify(record));
        }
      })();
    } catch (error) {
      for (const p of batch) p.reject(error as Error);
      return;
    }
    for (const p of batch) p.resolve();
  }

  get(namespace: string, id: string): ActivationRecord | undefined {
    const row = this.getStmt.get(id, namespace);
    return row ? (JSON.parse(row.doc) as ActivationRecord) : undefined;
  }

  list(query: ActivationQuery): ActivationRecord[] {
    const { sql, params } = this.where(query);
    return this.db
      .prepare<unknown[], { doc: string }>(`SELECT doc FROM activations WHERE ${sql} ORDER BY start DESC LIMIT ? OFFSET ?`)
      .all(...params, query.limit, query.skip)
      .map((row) => JSON.parse(row.doc) as ActivationRecord);
  }

  count(query: ActivationQuery): number {
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
