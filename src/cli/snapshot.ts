/**
 * isolated-vm needs V8 started with --no-node-snapshot in every process that creates isolates,
 * and the flag costs each start about 50 ms (Node's bootstrap runs from source instead of its
 * snapshot) and some memory. With isolate worker processes, the default, the server creates no
 * isolate itself: only the workers need the flag (the supervisor starts them with it). Only a
 * server running isolates in its own process (--isolate-workers 0) does.
 */
import { isServe } from './words.ts';

export const NO_SNAPSHOT = '--no-node-snapshot';

/**
 * The environment of a process that creates isolates: one malloc arena (unless the user chose a
 * number). Blank isolates are made on isolated-vm's threads (src/runners/isolate/blank.ts), and
 * glibc gives each thread that allocates at the same time as another an arena of its own, which
 * keeps what is freed in it: the worker processes then went past --memory-budget in 6 of 8 runs of
 * test/reliability/memory-budget.test.ts (by 0.6–3.8 MB of 200), and in 0 of 8 with one arena
 * (peaks 189–192 MB). A warm web action's requests/s did not move with it (3 alternated pairs).
 */
export function isolateProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { MALLOC_ARENA_MAX: '1', ...env };
}

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
