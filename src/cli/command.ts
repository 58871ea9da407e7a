/** The shape of a CLI verb, the context it runs in, options shared between verbs, and help text. */
import type { OptionSpec, Options } from './args.ts';
import type { WhiskClient } from './http.ts';
import type { Output } from './output.ts';
import type { ClientConfig } from './props.ts';

export interface Context {
  out: Output;
  opts: Options;
  /** Positional words after the group and verb. */
  words: string[];
  env: Record<string, string | undefined>;
  verbose: boolean;
  /** The resolved client configuration (file < env < flags); resolving may throw a UsageError. */
  config(): ClientConfig;
  client(): WhiskClient;
  now(): number;
  /** Resolves when the user interrupts (SIGINT/SIGTERM): long-running verbs stop on it. */
  interrupted: Promise<void>;
}

export interface Verb {
  name: string;
  /** Positional arguments as help shows them: `NAME ARTIFACT`, `[NAME]`. */
  usage: string;
  summary: string;
  options: OptionSpec[];
  /** How many positional words it takes. */
  args: [min: number, max: number];
  run(ctx: Context): Promise<void>;
}

export interface Group {
  name: string;
  summary: string;
  verbs: Verb[];
}

export const GLOBAL_OPTIONS: OptionSpec[] = [
  { name: 'apihost', type: 'string', value: 'HOST', help: 'API host (APIHOST in ~/.wskprops, __OW_API_HOST)' },
  { name: 'auth', short: 'u', type: 'string', value: 'KEY', help: 'authorization key UUID:KEY (AUTH, __OW_API_KEY)' },
  { name: 'namespace', type: 'string', value: 'NS', help: 'namespace (NAMESPACE, __OW_NAMESPACE); default _' },
  { name: 'insecure', short: 'i', type: 'boolean', help: 'accept any TLS certificate' },
  { name: 'json', type: 'boolean', help: 'print the raw API JSON' },
  { name: 'verbose', short: 'v', type: 'boolean', help: 'show HTTP requests and stack traces' },
  { name: 'debug', short: 'd', type: 'boolean', help: 'same as --verbose' },
  { name: 'help', short: 'h', type: 'boolean', help: 'show help' },
];

export const PARAM: OptionSpec = { name: 'param', short: 'p', type: 'pair', value: 'KEY VALUE', help: 'parameter (VALUE parsed as JSON when valid, else a string)' };
export const PARAM_FILE: OptionSpec = { name: 'param-file', short: 'P', type: 'string', value: 'FILE', help: 'parameters from a JSON object file' };
export const ANNOTATION: OptionSpec = { name: 'annotation', short: 'a', type: 'pair', value: 'KEY VALUE', help: 'annotation (VALUE parsed as JSON when valid)' };
export const ANNOTATION_FILE: OptionSpec = { name: 'annotation-file', short: 'A', type: 'string', value: 'FILE', help: 'annotations from a JSON object file' };
export const LIMIT: OptionSpec = { name: 'limit', short: 'l', type: 'string', value: 'N', help: 'list at most N entities (default 30, max 200)' };
export const SKIP: OptionSpec = { name: 'skip', short: 's', type: 'string', value: 'N', help: 'skip the first N entities' };

export function helpText(group: Group, verb?: Verb): string {
  if (!verb) {
    const width = Math.max(...group.verbs.map((v) => v.name.length));
    return [
      `usage: edgewhisk ${group.name} VERB [options]`,
      '',
      group.summary,
      '',
      'verbs:',
      ...group.verbs.map((v) => `  ${v.name.padEnd(width)}  ${v.summary}`),
      '',
      `'edgewhisk ${group.name} VERB --help' shows a verb's options.`,
    ].join('\n');
  }
  return [
    `usage: ${['edgewhisk', group.name, verb.name, verb.usage].filter((w) => w !== '').join(' ')} [options]`,
    '',
    verb.summary,
    ...(verb.options.length > 0 ? ['', 'options:', ...optionLines(verb.options)] : []),
    '',
    'global options:',
    ...optionLines(GLOBAL_OPTIONS),
  ].join('\n');
}

function optionLines(options: OptionSpec[]): string[] {
  const left = options.map((o) => `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.value ? ` ${o.value}` : ''}`);
  const width = Math.max(...left.map((l) => l.length));
  return options.map((o, i) => `  ${left[i]!.padEnd(width)}  ${o.help}`);
}
