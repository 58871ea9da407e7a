/**
 * The server side of the CLI: `serve`, and the namespace commands that work on a data directory
 * directly. Server modules are loaded only here, so client commands start quickly.
 */
import type { Context, Group } from './command.ts';
import { CliError, doing, EXIT, UsageError } from './errors.ts';

/** Splits serve's argv into positional words and `--flag value` / `--flag=value` pairs. */
export function parseServeArgv(argv: string[]): { words: string[]; flags: Record<string, string> } {
  const words: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      words.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0) {
      flags[arg.slice(2, eq)] = arg.slice(eq + 1);
    } else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) {
      flags[arg.slice(2)] = argv[++i]!;
    } else {
      flags[arg.slice(2)] = 'true';
    }
  }
  return { words, flags };
}

export const SERVE_USAGE = `usage: edgewhisk serve [--host H] [--port N] [--data-dir DIR] [--api-host URL] [--allow-guest-key BOOL] …

Starts the server. It takes every flag of the configuration table in README.md (--memory-budget,
--isolates-per-action, --retention-days, --blocking-wait, …), each also an EDGEWHISK_* environment
variable; flags win. 'edgewhisk' with no command, or with only server flags, is 'edgewhisk serve'.`;

/** Runs the server until SIGTERM/SIGINT; the returned promise settles once it listens. */
export async function serve(argv: string[]): Promise<void> {
  const { words, flags } = parseServeArgv(argv);
  if (words.length > 0) throw new UsageError(`serve takes no arguments, got '${words[0]}'`);
  const [{ VERSION }, { ConfigError, loadConfig }, { startServer }, { listeningLine }] = await Promise.all([
    import('../api/info.ts'),
    import('../config.ts'),
    import('../main.ts'),
    import('./listening.ts'),
  ]);
  let config;
  try {
    config = loadConfig(flags);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  const server = await startServer(config);
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: shutting down`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('error while shutting down:', error);
        process.exit(1);
      },
    );
  };
  // Before the line that announces the server: whoever waits for it may stop the server at once,
  // and a signal that came before its handler would end the process without a clean shutdown
  // (seen in a test that sent SIGTERM as soon as it read the line: exit by the signal, not 0).
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  console.log(listeningLine(VERSION, server.url, config.dataDir));
  if (config.allowWellKnownKeys) console.log('accepting the well-known guest and whisk.system keys');
}

/** The data directory: --data-dir, else EDGEWHISK_DATA_DIR, else the server's default. */
async function withStore<T>(ctx: Context, work: (store: import('../store/namespaces.ts').NamespaceStore, now: number) => T): Promise<T> {
  const [{ DEFAULTS }, { openDatabase }, { NamespaceStore }, { systemClock }] = await Promise.all([
    import('../config.ts'),
    import('../store/db.ts'),
    import('../store/namespaces.ts'),
    import('../clock.ts'),
  ]);
  const dataDir = ctx.opts.string('data-dir') ?? ctx.env.EDGEWHISK_DATA_DIR ?? DEFAULTS.dataDir;
  const db = openDatabase(dataDir);
  try {
    const store = new NamespaceStore(db);
    store.seedWellKnown(systemClock.now());
    return work(store, systemClock.now());
  } finally {
    db.close();
  }
}

async function create(ctx: Context): Promise<void> {
  const name = ctx.words[0]!;
  const { isValidName } = await import('../openwhisk/names.ts');
  if (!isValidName(name)) throw new UsageError(`'${name}' is not a valid namespace name`);
  const key = await withStore(ctx, (store, now) => {
    if (store.exists(name)) throw new CliError(`namespace '${name}' already exists`, EXIT.failure);
    return store.create(name, now);
  });
  if (ctx.out.json) ctx.out.data({ namespace: name, auth: key });
  else ctx.out.line(key);
}

/** With --data-dir: every namespace in that data directory. Without: the key's namespaces, from the server. */
async function list(ctx: Context): Promise<void> {
  if (ctx.opts.has('data-dir')) {
    const names = await withStore(ctx, (store) => store.names());
    if (ctx.out.json) ctx.out.data(names);
    else for (const ns of names) ctx.out.line(ns);
    return;
  }
  const client = ctx.client();
  const names = await doing('Unable to list namespaces', () => client.call<string[]>('GET', '/namespaces'));
  if (ctx.out.json) ctx.out.data(names);
  else for (const ns of names) ctx.out.line(ns);
}

const DATA_DIR = { name: 'data-dir', type: 'string', value: 'DIR', help: "the server's data directory (EDGEWHISK_DATA_DIR; default ./.edgewhisk)" } as const;

export const namespaceGroup: Group = {
  name: 'namespace',
  summary: 'list namespaces; create one (administration, on the data directory)',
  verbs: [
    { name: 'list', usage: '', summary: "the key's namespaces (from the server), or with --data-dir every namespace there", options: [DATA_DIR], args: [0, 0], run: list },
    { name: 'create', usage: 'NAME', summary: 'create a namespace in a data directory and print its new key UUID:KEY', options: [DATA_DIR], args: [1, 1], run: create },
  ],
};
