/**
 * What the main thread and the activation writer thread (thread.ts) say to each other. Messages
 * are numbered (`seq`) in the order they are posted; the thread handles them in that order and
 * answers each run of them it handled together — one transaction — with one `settled`.
 */

/**
 * Rows travel as one flat array, ROW_FIELDS values a row: id, namespace, path, start, doc (the
 * record without the three fields that have columns). A flat array of strings is the cheapest
 * thing for postMessage to clone: on the main thread, JSON.stringify plus the clone of the strings
 * cost 2.2 µs a record at 16 records a message and 1.4 µs at 300, the clone of the record objects
 * 3.4 and 2.0 µs (and the thread would still have to stringify them).
 */
export const ROW_FIELDS = 5;
export type Rows = (string | number)[];

export type ToWriter =
  | { op: 'rows'; seq: number; rows: Rows }
  /** Retention: delete records that started before `cutoff`; `changes` says how many. */
  | { op: 'retain'; seq: number; cutoff: number }
  /** Commit what came before, checkpoint the whole WAL into the database, close and stop. */
  | { op: 'close' };

/** Messages from..to are done: committed, or `error` when their transaction failed. */
export interface FromWriter {
  op: 'settled';
  from: number;
  to: number;
  error?: string;
  /** Rows a retention deleted. */
  changes?: number;
}

export interface WriterData {
  /** The database file, already created and migrated by the main thread. */
  file: string;
  /** better-sqlite3's addon file, where the thread cannot resolve it itself (the single binary). */
  addonPath?: string;
}
