/**
 * Command line: `serve` (the default) and admin commands. The only place that exits the process.
 *
 *   edgewhisk [serve] [--port N] [--host H] [--data-dir DIR] …   start the server
 *   edgewhisk namespace create NAME [--data-dir DIR]            create a namespace, print its key
 *   edgewhisk namespace list [--data-dir DIR]                   list namespaces
 */
import { VERSION } from './api/info.ts';
import { systemClock } from './clock.ts';
import { ConfigError, DEFAULTS, loadConfig } from './config.ts';
import { startServer } from './main.ts';
import { isValidName } from './openwhisk/names.ts';
import { openDatabase } from './store/db.ts';
import { NamespaceStore } from './store/namespaces.ts';

const USAGE = `usage:
  edgewhisk [serve] [--host H] [--port N] [--data-dir DIR] [--api-host URL] [--allow-guest-key BOOL]
                    [--memory-budget MB] [--isolates-per-action N] [--retention-days N]
  edgewhisk namespace create NAME [--data-dir DIR]
  edgewhisk namespace list [--data-dir DIR]
  edgewhisk --version`;

/** Splits argv into positional words and `--flag value` / `--flag=value` pairs. */
function parseArgv(argv: string[]): { words: string[]; flags: Record<string, string> } {
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

async function serve(flags: Record<string, string>): Promise<void> {
  const config = loadConfig(flags);
  const server = await startServer(config);
  console.log(`edgewhisk ${VERSION} listening on ${server.url} (data in ${config.dataDir})`);
  if (config.allowWellKnownKeys) console.log('accepting the well-known guest and whisk.system keys');
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
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

function namespaceCommand(words: string[], flags: Record<string, string>): void {
  const dataDir = flags['data-dir'] ?? process.env.EDGEWHISK_DATA_DIR ?? DEFAULTS.dataDir;
  const db = openDatabase(dataDir);
  try {
    const store = new NamespaceStore(db);
    store.seedWellKnown(systemClock.now());
    const [verb, name] = words;
    if (verb === 'list') {
      for (const ns of store.names()) console.log(ns);
      return;
    }
    if (verb !== 'create' || name === undefined) throw new ConfigError(USAGE);
    if (!isValidName(name)) throw new ConfigError(`'${name}' is not a valid namespace name`);
    if (store.exists(name)) throw new ConfigError(`namespace '${name}' already exists`);
    console.log(store.create(name, systemClock.now()));
  } finally {
    db.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const { words, flags } = parseArgv(argv);
  if (flags.version !== undefined) {
    console.log(VERSION);
    return;
  }
  if (flags.help !== undefined) {
    console.log(USAGE);
    return;
  }
  const [command = 'serve', ...rest] = words;
  if (command === 'serve') return serve(flags);
  if (command === 'namespace') return namespaceCommand(rest, flags);
  throw new ConfigError(`unknown command '${command}'\n${USAGE}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `edgewhisk: ${error.message}` : error);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
