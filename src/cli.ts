/**
 * The `edgewhisk` command (bin/edgewhisk runs this file on the Node.js 24 installed beside it).
 * Turns on Node's compile cache first (each CLI call is a new process; the cache saves about a
 * third of the start-up), then runs the command line: src/cli/run.ts.
 */
import { enableCompileCache } from 'node:module';

enableCompileCache();
await import('./cli/run.ts');
