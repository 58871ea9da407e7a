/** Namespaces and their API keys. Keys are stored as SHA-256 hashes: they are random, high-entropy secrets. */
import { nodeCrypto, sha256 } from '../crypto.ts';
import type { Db } from './db.ts';

/** OpenWhisk's published development keys (uuid:key), seeded so existing tools work out of the box. */
export const WELL_KNOWN_KEYS = {
  guest: '23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP',
  'whisk.system': '789c46b1-71f6-4ed5-8c54-816aa4f8c502:abczO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP',
} as const;

/**
 * SHA-256 of those keys (hashKey), written out so that seeding a new database does not load
 * node:crypto (src/crypto.ts); test/store/namespaces.test.ts checks them against hashKey.
 */
export const WELL_KNOWN_KEY_HASHES: Record<keyof typeof WELL_KNOWN_KEYS, string> = {
  guest: '67431a47497f99a49b5c9e99f5433230b4f09ac09662ba8ee2b3a46ad3c71937',
  'whisk.system': 'f5fdf89c699e58be24c522d9187f04b751199c02e1d9f60fdbf0d65799b95fd6',
};

export interface NamespaceRecord {
  name: string;
  uuid: string;
  keyHash: Buffer;
  wellKnown: boolean;
}

export function hashKey(key: string): Buffer {
  return sha256(key);
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
      for (const name of Object.keys(WELL_KNOWN_KEYS) as (keyof typeof WELL_KNOWN_KEYS)[]) {
        if (this.exists(name)) continue;
        const uuid = WELL_KNOWN_KEYS[name].split(':')[0]!;
        this.insertStmt.run(name, uuid, WELL_KNOWN_KEY_HASHES[name], 1, now);
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
    const uuid = nodeCrypto().randomUUID();
    const key = nodeCrypto().randomBytes(48).toString('base64url').slice(0, 64);
    this.insertStmt.run(name, uuid, hashKey(key).toString('hex'), 0, now);
    return `${uuid}:${key}`;
  }

  names(): string[] {
    return this.listStmt.all().map((r) => r.name);
  }
}
