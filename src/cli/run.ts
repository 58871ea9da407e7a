/**
 * The command line: `serve` (also the default with no command) and the wsk-style client verbs.
 * The only place that exits the process.
 *
 *   edgewhisk [serve] [--port N] [--host H] [--data-dir DIR] …   start the server
 *   edgewhisk action|activation|trigger|rule|package … VERB …  talk to any OpenWhisk over REST
 *   edgewhisk deploy [DIR]                                      deploy an OpenServerless-style project
 *   edgewhisk property set|get|unset                            ~/.wskprops
 *   edgewhisk namespace create NAME [--data-dir DIR]            administration on the data directory
 */
import type { WorkingEvent } from '../jit.ts';
import { serve, SERVE_USAGE } from './admin.ts';
import { CliError, EXIT, UsageError } from './errors.ts';
import { Output } from './output.ts';
import { firstWord, isLegacyServe } from './words.ts';

async function main(argv: string[]): Promise<void> {
  const first = argv[0];
  if (first === '--version' || first === 'version') {
    console.log((await import('../api/info.ts')).VERSION);
    return;
  }
  if (argv.length === 0 || isLegacyServe(argv)) return serve(argv);
  const at = firstWord(argv);
  if (at < 0 || argv[at] === 'help') return (await import('./client.ts')).help(argv, at);
  const command = argv[at]!;
  const rest = [...argv.slice(0, at), ...argv.slice(at + 1)];
  if (command === 'serve') {
    if (rest.includes('--help') || rest.includes('-h')) {
      console.log(SERVE_USAGE);
      return;
    }
    return serve(rest);
  }
  // A client command is at work from its start: V8's optimizing compilers, held off through
  // start-up (src/jit.ts), may run. Held, a 6 MB folder zipped for `action update` took 3.7-3.9 s
  // instead of 0.6-1.1.
  (process as NodeJS.EventEmitter).emit('edgewhisk:working' satisfies WorkingEvent);
  return (await import('./client.ts')).runCommand(command, rest);
}

function report(error: unknown, verbose: boolean): number {
  const out = new Output(false);
  const prefix = out.style('red', 'error:', 'err');
  if (error instanceof UsageError) {
    const hint = error.context ? ` (see 'edgewhisk ${error.context} --help')` : '';
    process.stderr.write(`${prefix} ${error.message}${hint}\n`);
    if (verbose) process.stderr.write(`${error.stack}\n`);
    return EXIT.usage;
  }
  if (error instanceof CliError) {
    process.stderr.write(`${prefix} ${error.message}\n`);
    if (verbose) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  if (verbose) process.stderr.write(`${prefix} ${(error as Error)?.stack ?? String(error)}\n`);
  else process.stderr.write(`${prefix} ${(error as Error)?.message ?? String(error)} (--verbose shows the stack trace)\n`);
  return EXIT.failure;
}

// A closed pipe (`edgewhisk activation list | head -1`) ends the run quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
});

const argv = process.argv.slice(2);
const serving = argv.length === 0 || argv[0] === 'serve' || isLegacyServe(argv);
main(argv).then(
  () => {
    // The server keeps running; every other command is done.
    if (!serving || argv.includes('--help') || argv.includes('-h')) process.exit(EXIT.ok);
  },
  (error: unknown) => process.exit(report(error, argv.some((a) => a === '-v' || a === '--verbose' || a === '-d' || a === '--debug'))),
);
