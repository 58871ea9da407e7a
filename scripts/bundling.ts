/**
 * What both bundles of edgewhisk need from esbuild beyond bundling: scripts/build.ts (the ESM
 * bundle `npm start` runs) and scripts/build-binary.ts (the single binary). Two places in src find
 * files next to themselves through import.meta.url, which a bundle moves:
 *
 * - blank.ts reads the isolate runtime (prelude.js, lib/*.js) at run time: inlined here;
 * - the isolate supervisor starts its worker processes by the path of their entry module, and the
 *   activation store its writer thread by the path of the thread's module: each bundle says what
 *   those paths are in it (the binary replaces the writer's source module altogether).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as esbuild from 'esbuild';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Packages with native addons: loaded at run time, never bundled. */
export const ADDON_PACKAGES = ['isolated-vm', 'better-sqlite3', 'uWebSockets.js'];

/** The isolate runtime blank.ts composes, relative to it. */
const RUNTIME_FILES = ['prelude.js', ...['encoding', 'url', 'web', 'fetch', 'node', 'openwhisk'].map((name) => `lib/${name}.js`)];

/** Replaces `from` (which must occur exactly once) in a source file: a changed source fails the build loudly. */
export function patch(file: string, source: string, from: string, to: string): string {
  const at = source.indexOf(from);
  if (at < 0 || source.indexOf(from, at + 1) >= 0) throw new Error(`bundle: ${relative(ROOT, file)} no longer contains exactly one "${from}"; update scripts/bundling.ts`);
  return source.slice(0, at) + to + source.slice(at + from.length);
}

/**
 * Plugin for both bundles: the isolate runtime inlined into blank.ts, the supervisor's worker entry
 * replaced by `workerEntry`, and (when given) the writer thread's module by `writerEntry`:
 * TypeScript expressions for them in this bundle.
 */
export function sourcePatches(workerEntry: string, writerEntry?: string): esbuild.Plugin {
  return {
    name: 'edgewhisk-source-patches',
    setup(build) {
      build.onLoad({ filter: /src[\\/]runners[\\/]isolate[\\/]blank\.ts$/ }, (args) => {
        const files: Record<string, string> = {};
        for (const name of RUNTIME_FILES) files[`./${name}`] = readFileSync(join(dirname(args.path), name), 'utf8');
        let source = readFileSync(args.path, 'utf8');
        source = patch(args.path, source, "readFileSync(new URL(name, import.meta.url), 'utf8')", '__edgewhiskRuntimeFile(name)');
        source += `\nfunction __edgewhiskRuntimeFile(name: string): string {\n  const text = (${JSON.stringify(files)} as Record<string, string>)[name];\n  if (text === undefined) throw new Error('edgewhisk bundle: runtime file ' + name + ' is not bundled');\n  return text;\n}\n`;
        return { contents: source, loader: 'ts' };
      });
      build.onLoad({ filter: /src[\\/]runners[\\/]workers[\\/]supervisor\.ts$/ }, (args) => {
        const source = patch(args.path, readFileSync(args.path, 'utf8'), "fileURLToPath(new URL('./entry.ts', import.meta.url))", workerEntry);
        return { contents: source, loader: 'ts' };
      });
      if (writerEntry !== undefined) {
        build.onLoad({ filter: /src[\\/]store[\\/]writer[\\/]source\.ts$/ }, (args) => {
          const source = patch(args.path, readFileSync(args.path, 'utf8'), "new URL('./thread.ts', import.meta.url)", writerEntry);
          return { contents: source, loader: 'ts' };
        });
      }
    },
  };
}
