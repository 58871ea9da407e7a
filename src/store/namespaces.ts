/** Namespaces and their API keys. Keys are stored as SHA-256 hashes: they are random, high-entropy secrets. */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from './db.ts';

/** OpenWhisk's published development keys (uuid:key), seeded so existing tools work out of the box. */
export const WELL_KNOWN_KEYS = {
  guest: '23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP',
  'whisk.system': '789c46b1-71f6-4ed5-8c54-816aa4f8c502:abczO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP',
} as const;

export interface NamespaceRecord {
  name: string;
  uuid: string;
  keyHash: Buffer;
  wellKnown: boolean;
}

export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export class NamespaceStore {
  private readonly db: Db;
  private readonly byUuidStmt;
  private readonly insertStmt;
  private readonly listStmt;
  private readonly byNameStmt;
  /** Credentials are checked on every request; records never change once created. */
  private readonly byUuidCache = new Map<string, NamespaceRecord>();
  private readonly known = new Set<string>();

  constructor(db: Db) {
    this.db = db;
    this.byUuidStmt = db.prepare<[string], { name: string; uuid: string; key_hash: string; well_known: number }>(
      'SELECT name, uuid, key_hash, well_known FROM namespaces WHERE uuid = ?',
    );
    this.byNameStmt = db.prepare<[string], { name: string }>('SELECT name FROM namespaces WHERE name = ?');
    this.insertStmt = db.prepare<[string, string, string, number, number]>(
      'INSERT INTO namespaces (name, uuid, key_hash, well_known, created) VALUES (?, ?, ?, ?, ?)',
    );
    this.listStmt = db.prepare<[], { name: string }>('SELECT name FROM namespaces ORDER BY name');
  }

  /** Seeds guest and whisk.system with OpenWhisk's well-known keys if they are missing. */
  seedWellKnown(now: number): void {
    this.db.transaction(() => {
      for (const [name, auth] of Object.entries(WELL_KNOWN_KEYS)) {
        if (this.exists(name)) continue;
        const [uuid, key] = auth.split(':') as [string, string];
        this.insertStmt.run(name, uuid, hashKey(key).toString('hex'), 1, now);
      }
    })();
  }

  byUuid(uuid: string): NamespaceRecord | undefined {
    const cached = this.byUuidCache.get(uuid);
    if (cached) return cached;
    const row = this.byUuidStmt.get(uuid);
    if (!row) return undefined;
    const record = { name: row.name, uuid: row.uuid, keyHash: Buffer.from(row.key_hash, 'hex'), wellKnown: row.well_known === 1 };
    // Unknown uuids are not cached, so garbage credentials cannot grow this map.
    this.byUuidCache.set(uuid, record);
    return record;
  }

  /** Namespaces are never deleted, so a positive answer can be remembered (web calls ask on every request). */
  exists(name: string): boolean {
    if (this.known.has(name)) return true;
    const found = this.byNameStmt.get(name) !== undefined;
    if (found) this.known.add(name);
    return found;
  }

  /** Creates a namespace with a fresh random key and returns its `uuid:key` credential (shown once). */
  create(name: string, now: number): string {
    const uuid = randomUUID();
    const key = randomBytes(48).toString('base64url').slice(0, 64);
    this.insertStmt.run(name, uuid, hashKey(key).toString('hex'), 0, now);
    return `${uuid}:${key}`;
  }

  names(): string[] {
    return this.listStmt.all().map((r) => r.name);
  }
}
