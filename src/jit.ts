/**
 * Start-up code runs once, yet V8's optimizing compilers (Maglev, TurboFan) still compile the
 * parts of it that run often — Node's module loader resolving the paths of the ~35 files a server
 * loads, its argument validators — and the first such compilation pages the compilers in for good:
 * 2.4 MB of an idle server's ~61 MB. So they are held off from the start — by the launcher (see
 * LAUNCH_FLAGS), else by the entry point before it loads anything — and the process lets them go
 * once it is at work (WORKING_EVENT: as the server's first activation starts, before its action
 * runs; as a client command starts); from then on hot code tiers up as usual. Released when the
 * server listens instead, they compiled start-up functions at the next few calls of them, an idle
 * server's housekeeping, and the saving was gone. V8 reads both flags each time it considers a
 * function for optimization, so setting them at run time takes effect at once. (V8's code caches
 * carry the flags they were made under: see src/runners/isolate/blank.ts.)
 *
 * "Before it loads anything" is literal: code that runs before the entry's first statement (the
 * files of its static imports resolved and loaded, a `require` made for it) was enough to make
 * Node's path functions hot. So this module imports only built-ins, its importer imports nothing
 * else statically, and the bundle keeps that so (scripts/build.ts).
 *
 * A user who set any of these flags (command line or NODE_OPTIONS) keeps them as set.
 */
import { setFlagsFromString } from 'node:v8';

/**
 * Emitted on `process` when the process is at work (src/main.ts: the server's first activation;
 * src/cli/run.ts: a client command, at its start). A type too, so an emitter can name it with
 * `import type`: importing this module for a value would put it in a chunk of the bundle, which
 * its entry would then load as a file before its first statement.
 */
export type WorkingEvent = 'edgewhisk:working';
export const WORKING_EVENT: WorkingEvent = 'edgewhisk:working';

const COMPILERS = ['maglev', 'turbofan'] as const;
const USER_FLAG = /^--(no-)?(maglev|turbofan|jitless|opt|max-opt)(=|$)/;

/**
 * How a launcher holds the compilers from the very start: these flags on node's command line, and
 * LAUNCHER_HELD=1 in the environment to say they are to be released at work, not the user's choice.
 * Held from the entry's first statement instead, the compilers can already have run: Node resolves
 * the entry's path before any of its code, and past about 25 characters of install path that work
 * made `isPosixPathSeparator` hot enough to be optimized (a copy of dist/ at /tmp/a: none; at
 * /home/alice/projects/edgewhisk: one, and an idle server of 59.4–59.6k kB instead of 57.5–57.8k).
 * `npm start` and bin/edgewhisk launch so; a plain `node dist/server/cli.js` still gets the hold
 * from the first statement.
 */
export const LAUNCH_FLAGS = COMPILERS.map((compiler) => `--no-${compiler}`);
export const LAUNCHER_HELD = 'EDGEWHISK_COMPILERS_HELD';

/** Whether the command line or NODE_OPTIONS sets one of the flags that choose V8's compilers. */
export function userChoseCompilers(execArgv: readonly string[], nodeOptions = ''): boolean {
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((arg) => USER_FLAG.test(arg.replaceAll('_', '-')));
}

/** The optimizing compilers off until WORKING_EVENT (unless the user chose compilers). */
export function holdOptimizingCompilersUntilWorking(): void {
  const launched = process.env[LAUNCHER_HELD] === '1';
  // The launcher's flags are not the user's; any other compiler flag is.
  const execArgv = launched ? process.execArgv.filter((arg) => !LAUNCH_FLAGS.includes(arg)) : process.execArgv;
  if (userChoseCompilers(execArgv, process.env.NODE_OPTIONS)) return;
  if (!launched) for (const flag of LAUNCH_FLAGS) setFlagsFromString(flag);
  process.once(WORKING_EVENT, () => {
    for (const compiler of COMPILERS) setFlagsFromString(`--${compiler}`);
  });
}
