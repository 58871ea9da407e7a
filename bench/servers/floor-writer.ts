/**
 * The floor's record writer (a worker thread of bench/servers/floor.ts): each message's rows in one
 * transaction, one prepared INSERT a row, into a database with edgewhisk's schema and settings (WAL,
 * synchronous=NORMAL); answers each message once committed. No checkpoint tuning and no multi-row
 * statements, which edgewhisk's writer has: on that part edgewhisk may spend less than the floor.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../../src/store/db.ts';

/** id, namespace, path, start, doc — a row after another. */
export type FloorRows = (string | number)[];

const db = openDatabase(workerData as string);
const insert = db.prepare<[string, string, string, number, string]>('INSERT INTO activations (id, namespace, path, start, doc) VALUES (?, ?, ?, ?, ?)');
const insertAll = db.transaction((rows: FloorRows) => {
  for (let i = 0; i < rows.length; i += 5) insert.run(rows[i] as string, rows[i + 1] as string, rows[i + 2] as string, rows[i + 3] as number, rows[i + 4] as string);
});

parentPort!.on('message', (rows: FloorRows) => {
  insertAll(rows);
  parentPort!.postMessage(0);
});
