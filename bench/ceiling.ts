/** Suite "ceiling": the bare uWebSockets.js hello-world on the server core, the baseline for every ratio. */
import { loadServer, SECONDS, type LoadResult } from './lib.ts';

export async function ceiling(): Promise<LoadResult[]> {
  return loadServer('bench/servers/bare-uws.ts');
}

if (import.meta.main) {
  console.log(`ceiling (${SECONDS}s per run):`, await ceiling());
}
