/** Entities (actions now; packages, triggers, rules later) as JSON documents keyed by namespace/collection/path. */
import type { Db } from './db.ts';

interface Scope {
  namespace: string;
  collection: string;
  prefix: string | null;
}

export type Collection = 'actions' | 'packages' | 'triggers' | 'rules';

export interface ListOptions {
  prefix?: string | undefined;
  skip: number;
  limit: number;
}

/** Documents kept in memory: the invoke path reads its action on every call. */
const CACHE_ENTRIES = 10_000;

/**
 * This process is the only writer of entities, so a read-through cache invalidated on every put
 * and delete stays exact. Cached documents are shared: callers must treat them as immutable.
 */
export class EntityStore {
  private readonly cache = new Map<string, unknown>();
  private readonly getStmt;
  private readonly putStmt;
  private readonly deleteStmt;
  private readonly listStmt;
  private readonly countStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare<[string, string, string], { doc: string }>(
      'SELECT doc FROM entities WHERE namespace = ? AND collection = ? AND path = ?',
    );
    this.putStmt = db.prepare<[string, string, string, string, number]>(
      'INSERT OR REPLACE INTO entities (namespace, collection, path, doc, updated) VALUES (?, ?, ?, ?, ?)',
    );
    this.deleteStmt = db.prepare<[string, string, string]>(
      'DELETE FROM entities WHERE namespace = ? AND collection = ? AND path = ?',
    );
    // Packaged entities' paths are 'pkg/name': a prefix 'pkg/' selects one package, none selects all.
    const scope = `namespace = @namespace AND collection = @collection
      AND (@prefix IS NULL OR substr(path, 1, length(@prefix)) = @prefix)`;
    this.listStmt = db.prepare<[Scope & { limit: number; skip: number }], { doc: string }>(
      `SELECT doc FROM entities WHERE ${scope} ORDER BY updated DESC LIMIT @limit OFFSET @skip`,
    );
    this.countStmt = db.prepare<[Scope], { n: number }>(`SELECT count(*) AS n FROM entities WHERE ${scope}`);
  }

  get<T>(namespace: string, collection: Collection, path: string): T | undefined {
    const key = `${namespace}\0${collection}\0${path}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached as T;
    const row = this.getStmt.get(namespace, collection, path);
    if (!row) return undefined;
    const doc = JSON.parse(row.doc) as T;
    if (this.cache.size >= CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, doc);
    return doc;
  }

  put(namespace: string, collection: Collection, path: string, doc: { updated: number }): void {
    this.cache.delete(`${namespace}\0${collection}\0${path}`);
    this.putStmt.run(namespace, collection, path, JSON.stringify(doc), doc.updated);
  }

  delete(namespace: string, collection: Collection, path: string): boolean {
    this.cache.delete(`${namespace}\0${collection}\0${path}`);
    return this.deleteStmt.run(namespace, collection, path).changes > 0;
  }

  list<T>(namespace: string, collection: Collection, options: ListOptions): T[] {
    const params = { namespace, collection, prefix: options.prefix ?? null, limit: options.limit, skip: options.skip };
    return this.listStmt.all(params).map((row) => JSON.parse(row.doc) as T);
  }

  count(namespace: string, collection: Collection, prefix?: string): number {
    return this.countStmt.get({ namespace, collection, prefix: prefix ?? null })!.n;
  }
}
