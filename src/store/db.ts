/** Opens the SQLite database: pragmas for durability and speed, then ordered migrations. */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

/** Each migration runs once, in order; user_version records how many have run. */
const MIGRATIONS: string[] = [
  `CREATE TABLE namespaces (
     name TEXT PRIMARY KEY,
     uuid TEXT NOT NULL UNIQUE,
     key_hash TEXT NOT NULL,
     well_known INTEGER NOT NULL DEFAULT 0,
     created INTEGER NOT NULL
   ) STRICT;
   CREATE TABLE entities (
     namespace TEXT NOT NULL,
     collection TEXT NOT NULL,
     path TEXT NOT NULL,
     doc TEXT NOT NULL,
     updated INTEGER NOT NULL,
     PRIMARY KEY (namespace, collection, path)
   ) STRICT, WITHOUT ROWID;
   CREATE TABLE activations (
     id TEXT PRIMARY KEY,
     namespace TEXT NOT NULL,
     path TEXT NOT NULL,
     start INTEGER NOT NULL,
     doc TEXT NOT NULL
   ) STRICT;
   CREATE INDEX activations_by_start ON activations (namespace, start DESC);
   CREATE INDEX activations_by_path ON activations (namespace, path, start DESC);`,
  // Alarms and `cron`-annotated actions. next_fire is NULL once a schedule has ended.
  `CREATE TABLE schedules (
     id TEXT PRIMARY KEY,
     namespace TEXT NOT NULL,
     doc TEXT NOT NULL,
     next_fire INTEGER
   ) STRICT, WITHOUT ROWID;`,
];

/**
 * WAL with synchronous=NORMAL: a committed transaction survives a crash of this process (it is in
 * the OS page cache); only power loss can take the last commits. Writers batch per event-loop turn.
 */
export function openDatabase(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'edgewhisk.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let i = current; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i]!);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
}
