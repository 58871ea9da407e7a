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
import { homedir } from 'node:os';
import { VERSION } from '../api/info.ts';
import { actionGroup } from './action.ts';
import { activationGroup } from './activation.ts';
import { namespaceGroup, serve, SERVE_USAGE } from './admin.ts';
import { Options, parseArgs, type OptionSpec } from './args.ts';
import { GLOBAL_OPTIONS, helpText, type Context, type Group } from './command.ts';
import { deployGroup } from './deploy.ts';
import { CliError, EXIT, UsageError } from './errors.ts';
import { WhiskClient } from './http.ts';
import { Output } from './output.ts';
import { packageGroup } from './package.ts';
import { readPropsFile, propertyGroup } from './property.ts';
import { parseProps, propsPath, resolveClientConfig, type ClientConfig } from './props.ts';
import { ruleGroup } from './rule.ts';
import { triggerGroup } from './trigger.ts';

const GROUPS: Group[] = [actionGroup, activationGroup, triggerGroup, ruleGroup, packageGroup, namespaceGroup, propertyGroup, deployGroup];

const USAGE = `usage: edgewhisk COMMAND [VERB] [ARGS] [options]

server:
  serve [--port N] [--data-dir DIR] …      run the server (the default with no command; 'serve --help')
  namespace create NAME [--data-dir DIR]   create a namespace and print its key

client (wsk-compatible; works against any OpenWhisk):
${GROUPS.filter((g) => g.name !== 'deploy').map((g) => `  ${g.name.padEnd(39)}  ${g.summary}`).join('\n')}
  deploy [DIR]                             deploy a project folder, reporting created / updated / unchanged

global options:
  --apihost HOST, -u/--auth KEY, --namespace NS, -i/--insecure, --json, -v/--verbose, -h/--help
  Settings come from ~/.wskprops (or WSK_CONFIG_FILE), under __OW_API_HOST / __OW_API_KEY /
  __OW_NAMESPACE, under the flags. With nothing set: http://127.0.0.1:3233 and the guest key.

'edgewhisk COMMAND --help' lists a command's verbs; 'edgewhisk COMMAND VERB --help' its options.`;

/** Global options that take a value: skipped when looking for the command word. */
const VALUED = new Set(GLOBAL_OPTIONS.filter((o) => o.type !== 'boolean').flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])]));
const GLOBAL_FLAGS = new Set(GLOBAL_OPTIONS.flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])]));

/** Index of the first positional word, skipping global options (and their values); -1 if none. */
function firstWord(argv: string[], from = 0): number {
  for (let i = from; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-') return i;
    if (VALUED.has(arg)) i++;
  }
  return -1;
}

/** A leading option that is not a client option (`edgewhisk --port 8080`): the server's flags. */
function isLegacyServe(argv: string[]): boolean {
  for (const arg of argv) {
    if (!arg.startsWith('-')) return false;
    const name = arg.split('=')[0]!;
    if (!GLOBAL_FLAGS.has(name) && !/^-[a-z]{2,}$/i.test(name)) return true;
  }
  return false;
}

function mergeSpecs(globals: OptionSpec[], local: OptionSpec[]): OptionSpec[] {
  const names = new Set(local.map((o) => o.name));
  const shorts = new Set(local.flatMap((o) => (o.short ? [o.short] : [])));
  const withoutShort = ({ short: _short, ...rest }: OptionSpec): OptionSpec => rest;
  const kept = globals.filter((o) => !names.has(o.name)).map((o) => (o.short !== undefined && shorts.has(o.short) ? withoutShort(o) : o));
  return [...local, ...kept];
}

let interruptedPromise: Promise<void> | undefined;
/** Installs SIGINT/SIGTERM handlers only for verbs that wait on it (activation poll). */
function interrupted(): Promise<void> {
  interruptedPromise ??= new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  return interruptedPromise;
}

async function main(argv: string[]): Promise<void> {
  const first = argv[0];
  if (first === '--version' || first === 'version') {
    console.log(VERSION);
    return;
  }
  if (argv.length === 0 || isLegacyServe(argv)) return serve(argv);
  const at = firstWord(argv);
  if (at < 0 || argv[at] === 'help') {
    const topic = at < 0 ? undefined : GROUPS.find((g) => g.name === argv[at + 1]);
    if (argv.some((a) => a === '-h' || a === '--help') || at >= 0) {
      console.log(topic ? helpText(topic) : USAGE);
      return;
    }
    throw new UsageError('a command is required (see edgewhisk --help)');
  }
  const command = argv[at]!;
  const rest = [...argv.slice(0, at), ...argv.slice(at + 1)];
  if (command === 'serve') {
    if (rest.includes('--help') || rest.includes('-h')) {
      console.log(SERVE_USAGE);
      return;
    }
    return serve(rest);
  }
  const group = GROUPS.find((g) => g.name === command);
  if (!group) throw new UsageError(`unknown command '${command}' (see edgewhisk --help)`);
  let verb = group.verbs.length === 1 && group.verbs[0]!.name === '' ? group.verbs[0] : undefined;
  let remaining = rest;
  if (!verb) {
    const v = firstWord(rest);
    if (v < 0) {
      // `edgewhisk action`: its verbs, as wsk shows them.
      console.log(helpText(group));
      return;
    }
    verb = group.verbs.find((x) => x.name === rest[v]);
    if (!verb) throw new UsageError(`unknown verb '${rest[v]}' for ${group.name}: use ${group.verbs.map((x) => x.name).join(', ')}`, group.name);
    remaining = [...rest.slice(0, v), ...rest.slice(v + 1)];
  }
  const context = verb.name === '' ? group.name : `${group.name} ${verb.name}`;
  const parsed = parseArgs(remaining, mergeSpecs(GLOBAL_OPTIONS, verb.options), context);
  const opts = new Options(parsed);
  if (opts.flag('help')) {
    console.log(helpText(group, verb));
    return;
  }
  const [min, max] = verb.args;
  if (parsed.words.length < min) throw new UsageError(`${context} needs ${verb.usage}`, context);
  if (parsed.words.length > max) throw new UsageError(`${context} takes ${max === 0 ? 'no arguments' : `at most ${max} argument${max === 1 ? '' : 's'}`}, got '${parsed.words[max]}'`, context);

  const env = process.env;
  const verbose = opts.flag('verbose') || opts.flag('debug');
  const out = new Output(opts.flag('json'));
  let config: ClientConfig | undefined;
  let client: WhiskClient | undefined;
  const ctx: Context = {
    out,
    opts,
    words: parsed.words,
    env,
    verbose,
    config() {
      if (!config) {
        const path = propsPath(env, homedir());
        const flags: Parameters<typeof resolveClientConfig>[0]['flags'] = { insecure: opts.flag('insecure') };
        for (const name of ['apihost', 'auth', 'namespace'] as const) {
          const value = opts.string(name);
          if (value !== undefined) flags[name] = value;
        }
        config = resolveClientConfig({ flags, env, props: parseProps(readPropsFile(path)), propsPath: path });
      }
      return config;
    },
    client() {
      client ??= new WhiskClient(ctx.config(), `edgewhisk-cli/${VERSION}`, verbose ? (line) => process.stderr.write(`${out.style('dim', line, 'err')}\n`) : undefined);
      return client;
    },
    now: () => Date.now(),
    get interrupted() {
      return interrupted();
    },
  };
  await verb.run(ctx);
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
