/**
 * isolated-vm needs V8 started with --no-node-snapshot in every process that creates isolates,
 * and the flag costs each start about 50 ms (Node's bootstrap runs from source instead of its
 * snapshot) and some memory. With isolate worker processes, the default, the server creates no
 * isolate itself: only the workers need the flag (the supervisor starts them with it). Only a
 * server running isolates in its own process (--isolate-workers 0) does.
 */
import { isServe } from './words.ts';

export const NO_SNAPSHOT = '--no-node-snapshot';

/** The value --isolate-workers will have (flag over environment, as src/config.ts reads them), as given. */
function isolateWorkers(argv: string[], env: NodeJS.ProcessEnv): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--isolate-workers') return argv[i + 1];
    if (argv[i]!.startsWith('--isolate-workers=')) return argv[i]!.slice('--isolate-workers='.length);
  }
  return env.EDGEWHISK_ISOLATE_WORKERS;
}

/** Whether this command line runs a server with isolates in its own process. */
export function needsNoSnapshot(argv: string[], env: NodeJS.ProcessEnv): boolean {
  const workers = isolateWorkers(argv, env);
  return workers !== undefined && Number(workers) === 0 && isServe(argv);
}

/** Whether this process was started with --no-node-snapshot, as an argument or in NODE_OPTIONS. */
export function startedWithoutSnapshot(execArgv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return execArgv.includes(NO_SNAPSHOT) || (env.NODE_OPTIONS ?? '').split(/\s+/).includes(NO_SNAPSHOT);
}
