/**
 * The worker process's entry: Node's compile cache first (a worker starts on every crash and
 * recycle, and the cache takes about a third off its start-up), then worker.ts.
 */
import { enableCompileCache } from 'node:module';

enableCompileCache();
await import('./worker.ts');
