/**
 * Megabytes as every suite reports memory: MB = 10^6 bytes, the reading a user's tools give and
 * the larger figure (a MiB is 2^20 bytes; 60 MiB is 62.9 MB). The server's own memory options
 * (--memory-budget, --worker-memory) and the isolate pool's heapMb count MiB: BYTES_PER_MIB
 * converts them. (A module of its own: bench/lib.ts pins the process that imports it to a core.)
 */
export const BYTES_PER_MB = 1e6;
export const BYTES_PER_MIB = 1_048_576;
