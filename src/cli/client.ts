/**
 * The client half of the command line: the wsk-style verbs, `deploy`, `property`, `namespace` and
 * their help. Loaded only for those (src/cli/run.ts), so `serve` does not load the verbs.
 */
import { homedir } from 'node:os';
import { VERSION } from '../api/info.ts';
import { actionGroup } from './action.ts';
import { activationGroup } from './activation.ts';
import { namespaceGroup } from './admin.ts';
import { Options, parseArgs, type OptionSpec } from './args.ts';
import { GLOBAL_OPTIONS, helpText, type Context, type Group } from './command.ts';
import { deployGroup } from './deploy.ts';
import { UsageError } from './errors.ts';
import { WhiskClient } from './http.ts';
import { Output } from './output.ts';
import { packageGroup } from './package.ts';
import { readPropsFile, propertyGroup } from './property.ts';
import { parseProps, propsPath, resolveClientConfig, type ClientConfig } from './props.ts';
import { ruleGroup } from './rule.ts';
import { triggerGroup } from './trigger.ts';
import { firstWord } from './words.ts';

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

/** `edgewhisk --help`, `edgewhisk help [COMMAND]`, or the error for no command at all (`at` < 0). */
export function help(argv: string[], at: number): void {
  const topic = at < 0 ? undefined : GROUPS.find((g) => g.name === argv[at + 1]);
  if (argv.some((a) => a === '-h' || a === '--help') || at >= 0) {
    console.log(topic ? helpText(topic) : USAGE);
    return;
  }
  throw new UsageError('a command is required (see edgewhisk --help)');
}

/** Runs client command `command` with the rest of argv (`rest`: argv without the command word). */
export async function runCommand(command: string, rest: string[]): Promise<void> {
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

