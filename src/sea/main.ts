/**
 * The entry of the single-file binary (dist/edgewhisk, built by scripts/build-binary.ts): the
 * same command line as src/cli.ts, plus one hidden role. The isolate supervisor starts its worker
 * processes as `process.execPath --no-node-snapshot <worker entry>`; in the bundle the entry path
 * is WORKER_ARG (the build rewrites it), so the binary re-executes itself and comes here, which
 * runs the worker instead of the CLI.
 *
 * --no-node-snapshot: isolated-vm needs it wherever isolates run, but it costs every start about
 * 50 ms of Node's bootstrap and makes V8 reject the code cache in the binary (another ~50 ms).
 * In the binary every argument belongs to the program, so the flag travels in NODE_OPTIONS
 * instead: the server sets it for its worker processes (its only children), runs itself with the
 * snapshot and the code cache, and only with in-process isolates (--isolate-workers 0) replaces
 * itself (process.execve, same pid) by a copy running with the flag. A worker started without
 * the flag does the same. Those processes reject the code cache, so their warnings about that are
 * turned off (--disable-warning=Warning also hides other untyped warnings in them).
 *
 * The server loads all three addons before anything else, so an unusable cache directory is one
 * clear line and exit code 1, not a failure half-way through start-up.
 */
import { addonPath, CacheError, type AddonName } from './addons.ts';
import { needsNoSnapshot, NO_SNAPSHOT, startedWithoutSnapshot } from '../cli/snapshot.ts';
import { holdOptimizingCompilersUntilWorking } from '../jit.ts';
import { WORKER_ARG } from './worker-arg.ts';

const argv = process.argv.slice(2);
const worker = argv.includes(WORKER_ARG) && process.env.EDGEWHISK_WORKER !== undefined;
const first = argv[0];
// Client commands and --version/--help never need the addons (they are loaded lazily anyway).
const serving = !worker && (first === undefined || first === 'serve' || (first.startsWith('-') && !/^(-h|--help|--version|-V)$/.test(first)));

function prepare(names: AddonName[]): boolean {
  try {
    for (const name of names) addonPath(name);
    return true;
  } catch (error) {
    const message = error instanceof CacheError ? error.message : `cannot load the native addons: ${(error as Error).message}`;
    process.stderr.write(`edgewhisk: ${message}\n`);
    process.exitCode = 1;
    return false;
  }
}

const FLAGS = `${NO_SNAPSHOT} --disable-warning=Warning`;
const flagged = startedWithoutSnapshot(process.execArgv, process.env);

function withFlags(): NodeJS.ProcessEnv {
  return { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${FLAGS}`.trim() };
}

if ((worker || (serving && needsNoSnapshot(argv, process.env))) && !flagged) {
  process.execve!(process.execPath, process.argv.slice(1), withFlags());
} else if (serving && !flagged) {
  process.env.NODE_OPTIONS = withFlags().NODE_OPTIONS;
}

if (worker) {
  process.argv.splice(2);
  if (prepare(['isolated-vm'])) void import('../runners/workers/worker.ts');
} else {
  // Until the server is at work (src/jit.ts).
  holdOptimizingCompilersUntilWorking();
  if (!serving || prepare(['better-sqlite3', 'uWebSockets.js', 'isolated-vm'])) void import('../cli/run.ts');
}
