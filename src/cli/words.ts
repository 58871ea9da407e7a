/** Finding the command word in argv, past the global options (and the values some of them take). */
import { GLOBAL_OPTIONS } from './command.ts';

/** Global options that take a value: skipped when looking for the command word. */
const VALUED = new Set(GLOBAL_OPTIONS.filter((o) => o.type !== 'boolean').flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])]));
const GLOBAL_FLAGS = new Set(GLOBAL_OPTIONS.flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])]));

/** Index of the first positional word, skipping global options (and their values); -1 if none. */
export function firstWord(argv: string[], from = 0): number {
  for (let i = from; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-') return i;
    if (VALUED.has(arg)) i++;
  }
  return -1;
}

/** A leading option that is not a client option (`edgewhisk --port 8080`): the server's flags. */
export function isLegacyServe(argv: string[]): boolean {
  for (const arg of argv) {
    if (!arg.startsWith('-')) return false;
    const name = arg.split('=')[0]!;
    if (!GLOBAL_FLAGS.has(name) && !/^-[a-z]{2,}$/i.test(name)) return true;
  }
  return false;
}

/** Whether argv runs the server: no command, only server flags, or the `serve` command. */
export function isServe(argv: string[]): boolean {
  return argv.length === 0 || isLegacyServe(argv) || argv[firstWord(argv)] === 'serve';
}
