/**
 * The `edgewhisk` command (bin/edgewhisk runs this file on the Node.js 24 installed beside it).
 * A server with isolates in its own process needs --no-node-snapshot (src/cli/snapshot.ts): then
 * this process replaces itself (same pid) by one started with it (and with one malloc arena, as
 * isolate processes are: src/cli/snapshot.ts isolateProcessEnv). Before all that, V8's optimizing
 * compilers are held off until the process is at work (src/jit.ts). Then Node's compile cache (each CLI
 * call is a new process; the cache saves about a third of the start-up), and the command line:
 * src/cli/run.ts.
 */
import { holdOptimizingCompilersUntilWorking } from './jit.ts';

// First, and the only static import besides built-ins (src/jit.ts says why).
holdOptimizingCompilersUntilWorking();
const { enableCompileCache } = process.getBuiltinModule('node:module');
const { isolateProcessEnv, needsNoSnapshot, NO_SNAPSHOT, startedWithoutSnapshot } = await import('./cli/snapshot.ts');

// Also when started with the flag but without the arena setting: glibc reads it only at start.
const snapshotOff = startedWithoutSnapshot(process.execArgv, process.env);
if (needsNoSnapshot(process.argv.slice(2), process.env) && (!snapshotOff || process.env.MALLOC_ARENA_MAX === undefined)) {
  const flags = snapshotOff ? process.execArgv : [NO_SNAPSHOT, ...process.execArgv];
  process.execve!(process.execPath, [process.execPath, ...flags, ...process.argv.slice(1)], isolateProcessEnv(process.env));
}
enableCompileCache();
await import('./cli/run.ts');
