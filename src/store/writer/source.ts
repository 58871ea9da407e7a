/**
 * How to start the writer thread. Here: thread.ts as a module file, loaded like the rest of the
 * sources. The single binary cannot load files from the source tree, so its build replaces this
 * module by one that hands over the thread bundled into a string asset (run with `eval`) and the
 * path of the better-sqlite3 addon it extracted (scripts/build-binary.ts).
 */
export interface ThreadSource {
  entry: URL | string;
  eval: boolean;
  addonPath?: string;
}

export function writerThreadSource(): ThreadSource {
  return { entry: new URL('./thread.ts', import.meta.url), eval: false };
}
