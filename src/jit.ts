/**
 * Start-up code runs once, yet V8's optimizing compilers (Maglev, TurboFan) still compile the
 * parts of it that run often — Node's module loader resolving the paths of the ~35 files a server
 * loads, its argument validators — and the first such compilation pages the compilers in for good:
 * 2.4 MB of an idle server's ~61 MB. So the entry point holds them off before it loads anything,
 * and the process lets them go once it is at work (WORKING_EVENT: as the server's first activation
 * starts, before its action runs); from then on hot code tiers up as usual. Released when the
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
 * Emitted on `process` when the process is at work (src/main.ts: the first activation). A type
 * too, so an emitter can name it with `import type`: importing this module for a value would put
 * it in a chunk of the bundle, which its entry would then load as a file before its first statement.
 */
export type WorkingEvent = 'edgewhisk:working';
export const WORKING_EVENT: WorkingEvent = 'edgewhisk:working';

const COMPILERS = ['maglev', 'turbofan'] as const;
const USER_FLAG = /^--(no-)?(maglev|turbofan|jitless|opt|max-opt)(=|$)/;

/** Whether the command line or NODE_OPTIONS sets one of the flags that choose V8's compilers. */
export function userChoseCompilers(execArgv: readonly string[], nodeOptions = ''): boolean {
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((arg) => USER_FLAG.test(arg.replaceAll('_', '-')));
}

/** The optimizing compilers off until WORKING_EVENT (unless the user chose compilers). */
export function holdOptimizingCompilersUntilWorking(): void {
  if (userChoseCompilers(process.execArgv, process.env.NODE_OPTIONS)) return;
  for (const compiler of COMPILERS) setFlagsFromString(`--no-${compiler}`);
  process.once(WORKING_EVENT, () => {
    for (const compiler of COMPILERS) setFlagsFromString(`--${compiler}`);
  });
}
