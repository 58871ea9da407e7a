/**
 * `npm run build` (and before every `npm start`): dist/server/, the server and CLI bundled by esbuild
 * into ES modules that Node runs without stripping types or resolving ~100 files. The same sources
 * as src/cli.ts, run the same way (`node dist/server/cli.js serve …`); test/bundle checks the bundle.
 *
 * - cli.js (src/cli.ts), worker.js (the isolate worker process, src/runners/workers/entry.ts) and
 *   writer.js (the activation writer thread, src/store/writer/thread.ts);
 *   what they import lazily (the client verbs, the in-process isolate pool, undici, fflate) is in
 *   chunks beside them, loaded only when needed, as from source.
 * - The native addons stay in node_modules, loaded from there at run time.
 * - CommonJS dependencies call require(), which an ES module does not have: each file that says
 *   `require` gets one.
 * - Node's built-ins are taken with process.getBuiltinModule, not imported (builtinsWithoutImports).
 *
 * Files are replaced only when their content changes, each by an atomic rename, so a server
 * starting meanwhile never reads half a file; files of an earlier build are removed.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { ADDON_PACKAGES, ROOT, sourcePatches } from './bundling.ts';

export const BUNDLE_DIR = join(ROOT, 'dist', 'server');
/** What `npm start` runs. */
export const BUNDLE_CLI = join(BUNDLE_DIR, 'cli.js');

/** `npm start`'s command line (package.json): its environment, node's flags, BUNDLE_CLI's arguments. */
export interface StartCommand {
  env: Record<string, string>;
  nodeFlags: string[];
  args: string[];
}

/**
 * Reads `npm start` from package.json, so what runs the server "as npm start does" (the process
 * suite, test/bundle) follows it: `[NAME=value …] node [flags …] dist/server/cli.js [args …]`.
 */
export function startCommand(): StartCommand {
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const words = scripts.start!.trim().split(/\s+/);
  const env: Record<string, string> = {};
  let at = 0;
  for (; /^[A-Z_][A-Z0-9_]*=/.test(words[at] ?? ''); at++) {
    const assignment = words[at]!;
    const equals = assignment.indexOf('=');
    env[assignment.slice(0, equals)] = assignment.slice(equals + 1);
  }
  const script = words.indexOf('dist/server/cli.js', at);
  if (words[at] !== 'node' || script < 0) throw new Error(`package.json's start script is not "[NAME=value …] node [flags …] dist/server/cli.js …": ${scripts.start}`);
  return { env, nodeFlags: words.slice(at + 1, script), args: words.slice(script + 1) };
}

const REQUIRE_BANNER = "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);";

const STATIC_IMPORT = /^import (?:\{([^}]*)\}|\* as ([\w$]+)|([\w$]+)) from "([^"]+)";/gm;

/**
 * An ES module import of a built-in evaluates every export of it for the import's bindings, and
 * some exports are getters that load more: node:fs's `promises` brings fs/promises, streams and
 * readline, node:util much of itself; about 2 MB and some milliseconds at every start. The same
 * module object from process.getBuiltinModule touches none of them. esbuild writes built-in
 * imports at the top of a file in these three forms; any other form fails the build.
 */
export function builtinsWithoutImports(code: string, file: string): string {
  const rewritten = code.replace(STATIC_IMPORT, (all: string, names: string | undefined, namespace: string | undefined, defaultName: string | undefined, id: string) => {
    if (!isBuiltin(id)) return all;
    if (names === undefined) return `const ${namespace ?? defaultName} = process.getBuiltinModule("${id}");`;
    const bindings = names.split(',').map((name) => name.trim()).filter((name) => name !== '');
    if (bindings.some((name) => /^default\b/.test(name))) throw new Error(`build: ${file}: a default import of ${id} in braces`);
    return `const { ${bindings.map((name) => name.replace(/\s+as\s+/, ': ')).join(', ')} } = process.getBuiltinModule("${id}");`;
  });
  for (const [statement, id] of rewritten.matchAll(/^import\b[^;]*?["']([^"']+)["'];/gm)) {
    if (isBuiltin(id!)) throw new Error(`build: ${file}: an import of a built-in this build cannot rewrite: ${statement}`);
  }
  return rewritten;
}

/**
 * The chunks that hold only esbuild's runtime helpers (`__require`, `__commonJS`, …: every export
 * named `__…`, and nothing but `var` declarations of them besides the banner).
 */
function runtimeHelperChunks(files: esbuild.OutputFile[]): Set<string> {
  const chunks = new Set<string>();
  for (const file of files) {
    const exported = /^export \{([^}]*)\};\s*$/m.exec(file.text)?.[1]?.split(',').map((name) => name.trim()).filter((name) => name !== '');
    if (exported === undefined || exported.length === 0 || !exported.every((name) => name.startsWith('__'))) continue;
    chunks.add(`./${file.path.slice(file.path.lastIndexOf('/') + 1)}`);
  }
  return chunks;
}

/**
 * esbuild adds a bare `import "./chunk-….js";` of its runtime-helpers chunk to every entry point,
 * used or not (evanw/esbuild#1892). A bare import binds nothing and the helpers have no effects, so
 * it is dropped: each file the entry loads is one more path for Node to resolve before the entry's
 * first statement, and cli.js must run its first statement before that work gets hot (src/jit.ts).
 */
export function withoutBareImports(code: string, helperChunks: ReadonlySet<string>): string {
  return code.replace(/^import "(\.\/chunk-[\w-]+\.js)";\n/gm, (statement, chunk: string) => (helperChunks.has(chunk) ? '' : statement));
}

/** The `require` banner, where nothing after it says `require` (the same reason as withoutBareImports). */
export function withoutUnusedRequire(code: string): string {
  const rest = code.startsWith(`${REQUIRE_BANNER}\n`) ? code.slice(REQUIRE_BANNER.length + 1) : undefined;
  return rest !== undefined && !/\brequire\b/.test(rest) ? rest : code;
}

/** An output file's text as written: built-ins taken without imports, no import or banner it does not use. */
function bundled(file: esbuild.OutputFile, helperChunks: ReadonlySet<string>): string {
  return withoutUnusedRequire(withoutBareImports(builtinsWithoutImports(file.text, file.path), helperChunks));
}

/** Builds dist/server; returns how many files changed. */
export async function buildBundle(): Promise<number> {
  const result = await esbuild.build({
    entryPoints: {
      cli: join(ROOT, 'src', 'cli.ts'),
      worker: join(ROOT, 'src', 'runners', 'workers', 'entry.ts'),
      writer: join(ROOT, 'src', 'store', 'writer', 'thread.ts'),
    },
    outdir: BUNDLE_DIR,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    external: ADDON_PACKAGES,
    banner: { js: REQUIRE_BANNER },
    legalComments: 'none',
    logLevel: 'warning',
    write: false,
    // Chunks sit beside worker.js and writer.js, so the supervisor and the store find them next to themselves.
    plugins: [sourcePatches("fileURLToPath(new URL('./worker.js', import.meta.url))", "new URL('./writer.js', import.meta.url)")],
  });
  mkdirSync(BUNDLE_DIR, { recursive: true });
  const fresh = new Set<string>();
  let changed = 0;
  const helperChunks = runtimeHelperChunks(result.outputFiles);
  for (const file of result.outputFiles) {
    fresh.add(file.path);
    if (/^export default require_\w+\(\);$/m.test(file.text)) {
      // What esbuild makes of import('a-commonjs-package'): only `default`, no named exports.
      throw new Error(`build: ${file.path}: a CommonJS package is import()ed; import it through an ES module of ours (as src/egress/undici.ts does)`);
    }
    const contents = file.path.endsWith('.js') ? Buffer.from(bundled(file, helperChunks)) : Buffer.from(file.contents);
    let current: Buffer | undefined;
    try {
      current = readFileSync(file.path);
    } catch {
      current = undefined;
    }
    if (current !== undefined && current.equals(contents)) continue;
    const temp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temp, contents);
    renameSync(temp, file.path);
    changed++;
  }
  for (const name of readdirSync(BUNDLE_DIR)) {
    const path = join(BUNDLE_DIR, name);
    if (!fresh.has(path)) rmSync(path, { recursive: true, force: true });
  }
  return changed;
}

if (import.meta.main) {
  const started = performance.now();
  const changed = await buildBundle();
  if (!process.argv.includes('--quiet')) console.log(`build: dist/server (${changed} file${changed === 1 ? '' : 's'} changed, ${Math.round(performance.now() - started)} ms)`);
}
