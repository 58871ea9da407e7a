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
 * The main connection checkpoints only past this many WAL pages (16 MB). The activation writer
 * thread (src/store/writer) checkpoints from about 1000 pages at a pause in its work, and at 2000
 * at the latest, so under an activation load this connection never does; it is the backstop for
 * loads of entity writes alone.
 */
const MAIN_AUTOCHECKPOINT_PAGES = 4000;

/**
 * WAL with synchronous=NORMAL: a committed transaction survives a crash of this process (it is in
 * the OS page cache); only power loss can take the last commits. This is the main thread's
 * connection (entities, namespaces, schedules, reads); activation records are written by the
 * writer thread's own connection (openWriterConnection).
 */
export function openDatabase(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'edgewhisk.db'));
  db.pragma('journal_mode = WAL');
  configure(db);
  db.pragma(`wal_autocheckpoint = ${MAIN_AUTOCHECKPOINT_PAGES}`);
  migrate(db);
  return db;
}

/**
 * The activation writer thread's connection to a database openDatabase has migrated. It never
 * checkpoints by itself: the thread does, after answering the commit (src/store/writer/thread.ts).
 * `nativeBinding`: the addon's exports, where the thread cannot resolve better-sqlite3's own
 * (the single binary).
 */
export function openWriterConnection(file: string, nativeBinding?: object): Db {
  // better-sqlite3 takes the addon's exports as nativeBinding too; its types only know a path.
  const db = new Database(file, { fileMustExist: true, ...(nativeBinding ? { nativeBinding: nativeBinding as unknown as string } : {}) });
  configure(db);
  db.pragma('wal_autocheckpoint = 0');
  return db;
}

/** Per-connection settings (journal_mode is the file's and stays WAL once set). */
function configure(db: Db): void {
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
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
