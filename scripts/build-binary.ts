/**
 * `npm run build:binary`: dist/edgewhisk, the whole server and CLI as one linux-x64 executable
 * (a Node.js single executable application, https://nodejs.org/api/single-executable-applications.html).
 *
 * 1. esbuild bundles src/sea/main.ts into one CommonJS file. A plugin maps 'isolated-vm' and
 *    'uWebSockets.js' to lazy loaders of the extracted addon (src/sea/addons.ts), better-sqlite3's
 *    ./binding to the same; scripts/bundling.ts inlines the isolate runtime (prelude.js, lib/*.js)
 *    that blank.ts reads at run time and points the isolate supervisor's worker entry at the
 *    binary itself.
 * 2. The three .node files become SEA assets with a manifest of their SHA-256.
 * 3. `node --experimental-sea-config` makes the blob (no execArgv: --no-node-snapshot, which
 *    isolated-vm needs, goes through NODE_OPTIONS where isolates run; see src/sea/main.ts),
 *    postject injects it into a copy of node_modules/.bin/node (the Node.js 24 the addons are built
 *    for), stripped of its debug information when `strip` is available.
 *
 * Options: --no-code-cache (leave V8's code cache out of the blob), --no-strip, --out PATH.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { sourcePatches } from './bundling.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
// V8's code cache of the bundle: accepted in processes with Node's snapshot (the server, the CLI),
// rejected in those without (isolate workers; see src/sea/main.ts).
const useCodeCache = !args.includes('--no-code-cache');
const strip = !args.includes('--no-strip');
const outIndex = args.indexOf('--out');
const output = outIndex >= 0 ? args[outIndex + 1]! : join(root, 'dist', 'edgewhisk');
const work = join(root, 'dist', 'sea');
const started = Date.now();
const step = (what: string): void => console.log(`build-binary: ${what} (${Date.now() - started} ms)`);

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const nodeBinary = realpathSync(join(root, 'node_modules', '.bin', 'node'));
const nodeVersion = execFileSync(nodeBinary, ['--version'], { encoding: 'utf8' }).trim();
if (!nodeVersion.startsWith('v24.')) throw new Error(`node_modules/.bin/node is ${nodeVersion}, expected Node.js 24`);
const abi = execFileSync(nodeBinary, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).trim();

const ADDONS = {
  'isolated-vm': join(root, 'node_modules', 'isolated-vm', 'prebuilds', 'linux-x64', `isolated-vm.abi${abi}.glibc.node`),
  'better-sqlite3': join(root, 'node_modules', 'better-sqlite3', 'prebuilds', 'linux-x64.node'),
  'uWebSockets.js': join(root, 'node_modules', 'uWebSockets.js', `uws_linux_x64_${abi}.node`),
} as const;
const addonsModule = join(root, 'src', 'sea', 'addons.ts');
const workerArg = (await import('../src/sea/worker-arg.ts')).WORKER_ARG;
const WRITER_ASSET = 'writer-thread.cjs';

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
mkdirSync(dirname(output), { recursive: true });

const seaPlugin: esbuild.Plugin = {
  name: 'edgewhisk-sea',
  setup(build) {
    build.onResolve({ filter: /^(isolated-vm|uWebSockets\.js)$/ }, (a) => ({ path: a.path, namespace: 'edgewhisk-addon' }));
    build.onLoad({ filter: /.*/, namespace: 'edgewhisk-addon' }, (a) => ({
      contents: `module.exports = require(${JSON.stringify(addonsModule)}).lazyAddon(${JSON.stringify(a.path)});`,
      resolveDir: root,
      loader: 'js',
    }));
    // better-sqlite3's JS wrapper asks ./binding for its addon when the first Database opens.
    build.onResolve({ filter: /^\.\/binding$/ }, (a) =>
      a.importer.includes(`${join('node_modules', 'better-sqlite3', 'lib')}`) ? { path: 'better-sqlite3', namespace: 'edgewhisk-sqlite-binding' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'edgewhisk-sqlite-binding' }, () => ({
      contents: `exports.getBinding = (given) => (given !== null && typeof given === 'object' ? given : require(${JSON.stringify(addonsModule)}).loadAddon('better-sqlite3'));`,
      resolveDir: root,
      loader: 'js',
    }));
    // The activation writer thread cannot load its module file here: it runs its bundle (below),
    // which the main bundle reads from the SEA asset, with the path of the extracted addon.
    build.onLoad({ filter: /src[\\/]store[\\/]writer[\\/]source\.ts$/ }, () => ({
      contents: [
        `import { getAsset } from 'node:sea';`,
        `import { addonPath } from ${JSON.stringify(addonsModule)};`,
        `export function writerThreadSource() {`,
        `  return { entry: getAsset(${JSON.stringify(WRITER_ASSET)}, 'utf8'), eval: true, addonPath: addonPath('better-sqlite3') };`,
        `}`,
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    }));
  },
};

/** Bundles one entry with the plugin above into a CommonJS file. */
async function bundleEntry(entry: string, outfile: string): Promise<void> {
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
    // The binary re-executes itself as a worker (src/sea/main.ts).
    plugins: [seaPlugin, sourcePatches(JSON.stringify(workerArg))],
    metafile: true,
  });
  // Nothing may still use import.meta (it is empty in a CommonJS bundle).
  const leftovers = result.warnings.filter((w) => /import\.meta/.test(w.text));
  if (leftovers.length > 0) throw new Error(`build-binary: import.meta left in ${relative(root, outfile)}: ${leftovers.map((w) => w.location?.file).join(', ')}`);
}

const bundle = join(work, 'edgewhisk.cjs');
await bundleEntry(join(root, 'src', 'sea', 'main.ts'), bundle);
step(`bundled ${(statSync(bundle).size / 1024).toFixed(0)} KiB`);

const addons: Record<string, { asset: string; file: string; sha256: string }> = {};
const assets: Record<string, string> = {};
for (const [name, path] of Object.entries(ADDONS)) {
  const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
  const file = `${name.replace(/[^a-z0-9-]/gi, '-')}.node`;
  addons[name] = { asset: `addon/${file}`, file, sha256 };
  assets[`addon/${file}`] = path;
}
const key = createHash('sha256').update(Object.values(addons).map((a) => a.sha256).join('\n')).digest('hex').slice(0, 12);
// The activation writer thread (src/store/writer/thread.ts), run from this asset (see the plugin).
const writerBundle = join(work, WRITER_ASSET);
await bundleEntry(join(root, 'src', 'store', 'writer', 'thread.ts'), writerBundle);
assets[WRITER_ASSET] = writerBundle;
step(`bundled the activation writer thread ${(statSync(writerBundle).size / 1024).toFixed(0)} KiB`);
const manifestPath = join(work, 'manifest.json');
writeFileSync(manifestPath, JSON.stringify({ version: pkg.version, key, addons }, null, 2));
assets['manifest.json'] = manifestPath;

const blob = join(work, 'sea-prep.blob');
const seaConfig = join(work, 'sea-config.json');
writeFileSync(
  seaConfig,
  JSON.stringify(
    { main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache, useSnapshot: false, execArgvExtension: 'env', assets },
    null,
    2,
  ),
);
execFileSync(nodeBinary, ['--experimental-sea-config', seaConfig], { stdio: 'inherit' });
step(`blob ${(statSync(blob).size / 1024 / 1024).toFixed(1)} MiB (useCodeCache: ${useCodeCache})`);

const temp = `${output}.tmp-${process.pid}`;
copyFileSync(nodeBinary, temp);
chmodSync(temp, 0o755);
if (strip) {
  try {
    execFileSync('strip', ['--strip-debug', temp], { stdio: 'ignore' });
    step('stripped debug information');
  } catch {
    step('strip not available: keeping the debug information');
  }
}
const { inject } = require('postject') as {
  inject: (file: string, name: string, data: Buffer, options: { sentinelFuse: string; machoSegmentName?: string }) => Promise<void>;
};
await inject(temp, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2' });
const { renameSync } = await import('node:fs');
renameSync(temp, output);
step(`${relative(process.cwd(), output) || output}: ${(statSync(output).size / 1024 / 1024).toFixed(1)} MiB`);
