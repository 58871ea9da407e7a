/** Test namespaces beyond the seeded guest and whisk.system (whose catalog packages are not empty). */
import { openDatabase } from '../../src/store/db.ts';
import { NamespaceStore } from '../../src/store/namespaces.ts';

/** Creates a namespace in a running server's data dir and returns its `uuid:key`. */
export function createNamespace(dataDir: string, name: string): string {
  const db = openDatabase(dataDir);
  try {
    return new NamespaceStore(db).create(name, Date.now());
  } finally {
    db.close();
  }
}
