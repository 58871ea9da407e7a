/** Schedules (alarm feeds, `cron` annotations): JSON documents plus the next fire time, read whole at start. */
import type { Db } from './db.ts';

export interface StoredSchedule {
  id: string;
  namespace: string;
  doc: string;
  nextFire: number | null;
}

export class ScheduleStore {
  private readonly allStmt;
  private readonly putStmt;
  private readonly nextStmt;
  private readonly deleteStmt;

  constructor(db: Db) {
    this.allStmt = db.prepare<[], { id: string; namespace: string; doc: string; next_fire: number | null }>(
      'SELECT id, namespace, doc, next_fire FROM schedules',
    );
    this.putStmt = db.prepare<[string, string, string, number | null]>(
      'INSERT OR REPLACE INTO schedules (id, namespace, doc, next_fire) VALUES (?, ?, ?, ?)',
    );
    this.nextStmt = db.prepare<[number | null, string]>('UPDATE schedules SET next_fire = ? WHERE id = ?');
    this.deleteStmt = db.prepare<[string]>('DELETE FROM schedules WHERE id = ?');
  }

  all(): StoredSchedule[] {
    return this.allStmt.all().map((row) => ({ id: row.id, namespace: row.namespace, doc: row.doc, nextFire: row.next_fire }));
  }

  put(schedule: StoredSchedule): void {
    this.putStmt.run(schedule.id, schedule.namespace, schedule.doc, schedule.nextFire);
  }

  /** The one write a fire makes: where the schedule goes next. */
  setNextFire(id: string, nextFire: number | null): void {
    this.nextStmt.run(nextFire, id);
  }

  delete(id: string): boolean {
    return this.deleteStmt.run(id).changes > 0;
  }
}
