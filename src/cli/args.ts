/**
 * Argument parsing the way wsk users type it: options anywhere among the words, `--name value`,
 * `--name=value`, `-x value`, clustered boolean shorts (`-br`), key-value pairs (`-p key value`,
 * values taken as given even when they start with '-'), and `--` to end options. Pure.
 */
import { UsageError } from './errors.ts';

export type OptionType = 'boolean' | 'string' | 'pair';

export interface OptionSpec {
  name: string;
  short?: string;
  type: OptionType;
  /** Shown in help: the value's placeholder (`KIND`, `KEY VALUE`). */
  value?: string;
  help: string;
}

export interface ParsedArgs {
  words: string[];
  /** Booleans and strings by option name; a string option given twice keeps the last. */
  values: Map<string, boolean | string>;
  /** Key-value options by option name, in the order given. */
  pairs: Map<string, [string, string][]>;
  /** Options given, in order (for "was --web given at all"). */
  given: Set<string>;
}

const BOOLEAN = /^(true|false|yes|no|1|0)$/i;

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], context: string): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short !== undefined).map((s) => [s.short!, s]));
  const parsed: ParsedArgs = { words: [], values: new Map(), pairs: new Map(), given: new Set() };
  let i = 0;
  const take = (spec: OptionSpec, flag: string): string => {
    if (i >= argv.length) throw new UsageError(`${flag} needs ${spec.value ?? 'a value'}`, context);
    return argv[i++]!;
  };
  const apply = (spec: OptionSpec, flag: string, inline: string | undefined): void => {
    parsed.given.add(spec.name);
    if (spec.type === 'boolean') {
      if (inline !== undefined && !BOOLEAN.test(inline)) throw new UsageError(`${flag} takes true or false, not '${inline}'`, context);
      parsed.values.set(spec.name, inline === undefined || /^(true|yes|1)$/i.test(inline));
    } else if (spec.type === 'string') {
      parsed.values.set(spec.name, inline ?? take(spec, flag));
    } else {
      const key = inline ?? take(spec, flag);
      const value = take(spec, flag);
      const list = parsed.pairs.get(spec.name) ?? [];
      list.push([key, value]);
      parsed.pairs.set(spec.name, list);
    }
  };
  while (i < argv.length) {
    const arg = argv[i++]!;
    if (arg === '--') {
      parsed.words.push(...argv.slice(i));
      break;
    }
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
      const spec = byName.get(name);
      if (!spec) throw new UsageError(`unknown option --${name}`, context);
      apply(spec, `--${name}`, eq > 0 ? arg.slice(eq + 1) : undefined);
    } else if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) {
      // -x, -x=value, or a cluster of boolean shorts (-br).
      const eq = arg.indexOf('=');
      const letters = eq > 0 ? arg.slice(1, eq) : arg.slice(1);
      for (let j = 0; j < letters.length; j++) {
        const spec = byShort.get(letters[j]!);
        if (!spec) throw new UsageError(`unknown option -${letters[j]}`, context);
        const last = j === letters.length - 1;
        if (!last && spec.type !== 'boolean') throw new UsageError(`-${letters[j]} needs ${spec.value ?? 'a value'} and cannot be grouped`, context);
        apply(spec, `-${letters[j]}`, last && eq > 0 ? arg.slice(eq + 1) : undefined);
      }
    } else {
      parsed.words.push(arg);
    }
  }
  return parsed;
}

/** Typed accessors over ParsedArgs. */
export class Options {
  readonly parsed: ParsedArgs;
  constructor(parsed: ParsedArgs) {
    this.parsed = parsed;
  }
  has(name: string): boolean {
    return this.parsed.given.has(name);
  }
  flag(name: string): boolean {
    return this.parsed.values.get(name) === true;
  }
  string(name: string): string | undefined {
    const value = this.parsed.values.get(name);
    return typeof value === 'string' ? value : undefined;
  }
  pairs(name: string): [string, string][] {
    return this.parsed.pairs.get(name) ?? [];
  }
  /** An integer option within bounds, or undefined when not given. */
  integer(name: string, min: number, max: number, context: string): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not '${raw}'`, context);
    return n;
  }
}
