/**
 * Decoded action archives, kept per action version so that each version's zip is inflated once,
 * not on every cold start of its isolates. Bounded by the total size of the kept module text;
 * the least recently used go first. A version whose archive cannot be read is remembered too.
 */
import { ArchiveError, readArchive, type Archive } from '../../openwhisk/archive.ts';
import type { RunnableAction } from '../runner.ts';

type Entry = { archive: Archive } | { error: string };

export class ArchiveCache {
  private readonly maxBytes: number;
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** The archive of a binary action; throws ArchiveError when it is not a readable archive. */
  get(action: RunnableAction): Archive {
    let entry = this.entries.get(action.key);
    if (entry) {
      this.entries.delete(action.key);
      this.entries.set(action.key, entry);
    } else {
      try {
        entry = { archive: readArchive(action.code) };
      } catch (error) {
        if (!(error instanceof ArchiveError)) throw error;
        entry = { error: error.message };
      }
      this.entries.set(action.key, entry);
      if ('archive' in entry) this.bytes += entry.archive.bytes;
      this.trim(action.key);
    }
    if ('error' in entry) throw new ArchiveError(entry.error);
    return entry.archive;
  }

  forget(prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.drop(key);
  }

  private trim(keep: string): void {
    for (const key of this.entries.keys()) {
      if (this.bytes <= this.maxBytes) return;
      if (key !== keep) this.drop(key);
    }
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (entry && 'archive' in entry) this.bytes -= entry.archive.bytes;
    this.entries.delete(key);
  }
}
