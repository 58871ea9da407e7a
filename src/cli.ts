/**
 * The `edgewhisk` command (bin/edgewhisk runs this file on the Node.js 24 installed beside it).
 * A server with isolates in its own process needs --no-node-snapshot (src/cli/snapshot.ts): then
 * this process replaces itself (same pid) by one started with it. Then Node's compile cache (each
 * CLI call is a new process; the cache saves about a third of the start-up), and the command
 * line: src/cli/run.ts.
 */
import { enableCompileCache } from 'node:module';
import { needsNoSnapshot, NO_SNAPSHOT, startedWithoutSnapshot } from './cli/snapshot.ts';

if (needsNoSnapshot(process.argv.slice(2), process.env) && !startedWithoutSnapshot(process.execArgv, process.env)) {
  process.execve!(process.execPath, [process.execPath, NO_SNAPSHOT, ...process.execArgv, ...process.argv.slice(1)]);
}
enableCompileCache();
await import('./cli/run.ts');
