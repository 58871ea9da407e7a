/**
 * The single-file binary (issue #10): built once (scripts/build-binary.ts, a few seconds), copied
 * alone into an empty folder and run with an empty environment (no PATH, no HOME, so no Node.js
 * and the addon cache in <tmpdir>/edgewhisk-<uid>); it must serve the API, run a JS action, answer
 * the CLI and stop cleanly on SIGTERM, its activation records committed by the writer thread (which
 * the binary runs from a bundle of its own). Also: an unusable cache directory is one clear line and a
 * non-zero exit; two binaries starting at once on a fresh cache both serve; a damaged cached addon
 * is replaced.
 */
import Database from 'better-sqlite3';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announcedUrl } from '../../src/cli/listening.ts';
import { GUEST_KEY } from '../helpers/server.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const run = promisify(execFile);

let folder: string;
let binary: string;
const children = new Set<ChildProcess>();

beforeAll(() => {
  execFileSync(NODE, [join(ROOT, 'scripts', 'build-binary.ts')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  folder = mkdtempSync(join(tmpdir(), 'edgewhisk-binary-'));
  binary = join(folder, 'edgewhisk');
  copyFileSync(join(ROOT, 'dist', 'edgewhisk'), binary);
  chmodSync(binary, 0o755);
}, 120_000);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(folder, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `./edgewhisk serve` in the folder; resolves once it says where it listens. */
function serve(env: Record<string, string>, dataDir: string): Promise<Running> {
  const child = spawn('./edgewhisk', ['serve', '--port', '0', '--data-dir', dataDir], { cwd: folder, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return announcedUrl(child).then((url) => ({ child, url, stderr: () => stderr, exit }));
}

function api(url: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${url}/api/v1${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(GUEST_KEY).toString('base64')}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function createAndInvoke(url: string, name: string): Promise<unknown> {
  const code = 'function main(params) { return { greeting: `hello ${params.name}`, sum: [1, 2, 3].reduce((a, b) => a + b) }; }';
  const put = await api(url, 'PUT', `/namespaces/_/actions/${name}?overwrite=true`, { exec: { kind: 'nodejs:default', code } });
  expect(put.status).toBe(200);
  const invoke = await api(url, 'POST', `/namespaces/_/actions/${name}?blocking=true&result=true`, { name: 'binary' });
  expect(invoke.status).toBe(200);
  return invoke.json();
}

/** The results of the activation records in a data directory, oldest first (read with the tests' own SQLite). */
function storedResults(dataDir: string): unknown[] {
  const db = new Database(join(dataDir, 'edgewhisk.db'), { readonly: true });
  try {
    const rows = db.prepare<[], { doc: string }>('SELECT doc FROM activations ORDER BY start').all();
    return rows.map((row) => (JSON.parse(row.doc) as { response: { result: unknown } }).response.result);
  } finally {
    db.close();
  }
}

function scratch(name: string): string {
  const dir = join(folder, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('the single-file binary', () => {
  it('runs alone in an empty folder with an empty environment: API, actions, CLI, SIGTERM', async () => {
    expect(readdirSync(folder)).toEqual(['edgewhisk']);
    const version = await run(binary, ['--version'], { cwd: folder, env: {} });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);

    const dataDir = scratch('data-empty-env');
    const server = await serve({}, dataDir);
    expect(await createAndInvoke(server.url, 'hello')).toEqual({ greeting: 'hello binary', sum: 6 });

    // A CLI verb from the same file, against the running server.
    const list = await run(binary, ['action', 'list', '--apihost', server.url, '--auth', GUEST_KEY], { cwd: folder, env: {} });
    expect(list.stdout).toContain('hello');
    const invoked = await run(binary, ['action', 'invoke', 'hello', '--result', '--param', 'name', 'cli', '--apihost', server.url, '--auth', GUEST_KEY], { cwd: folder, env: {} });
    expect(JSON.parse(invoked.stdout)).toEqual({ greeting: 'hello cli', sum: 6 });

    server.child.kill('SIGTERM');
    expect(await server.exit).toEqual({ code: 0, signal: null });
    // The records were written by the activation writer thread, which runs from its own bundle here.
    expect(storedResults(dataDir)).toEqual([{ greeting: 'hello binary', sum: 6 }, { greeting: 'hello cli', sum: 6 }]);
  }, 60_000);

  it('says in one line that an unusable cache directory cannot be used', async () => {
    // root writes into a 0555 directory anyway, so as root the cache path goes through a file.
    let cache: string;
    if (process.getuid?.() === 0) {
      writeFileSync(join(scratch('cache-blocked'), 'file'), '');
      cache = join(folder, 'cache-blocked', 'file', 'cache');
    } else {
      cache = scratch('cache-readonly');
      chmodSync(cache, 0o555);
    }
    const failed = await run(binary, ['serve', '--port', '0', '--data-dir', scratch('data-readonly')], { cwd: folder, env: { EDGEWHISK_CACHE_DIR: cache } }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed).toBeDefined();
    expect(failed!.code).not.toBe(0);
    const lines = failed!.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^edgewhisk: cannot use the addon cache directory .*cache.*EDGEWHISK_CACHE_DIR/);
  }, 30_000);

  it('starts two binaries at once on a fresh cache; both serve', async () => {
    const env = { EDGEWHISK_CACHE_DIR: join(folder, 'cache-race') };
    const [a, b] = await Promise.all([serve(env, scratch('data-race-a')), serve(env, scratch('data-race-b'))]);
    expect(await createAndInvoke(a.url, 'a')).toEqual({ greeting: 'hello binary', sum: 6 });
    expect(await createAndInvoke(b.url, 'b')).toEqual({ greeting: 'hello binary', sum: 6 });
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await a.exit).toEqual({ code: 0, signal: null });
    expect(await b.exit).toEqual({ code: 0, signal: null });
    const [versioned] = readdirSync(env.EDGEWHISK_CACHE_DIR);
    // Only the three addons: no temporary file left behind.
    expect(readdirSync(join(env.EDGEWHISK_CACHE_DIR, versioned!)).sort()).toEqual(['better-sqlite3.node', 'isolated-vm.node', 'uWebSockets-js.node']);
  }, 60_000);

  it('runs isolates in its own process with --isolate-workers 0 (re-executed with --no-node-snapshot)', async () => {
    const server = await serve({ EDGEWHISK_ISOLATE_WORKERS: '0' }, scratch('data-in-process'));
    expect(await createAndInvoke(server.url, 'inproc')).toEqual({ greeting: 'hello binary', sum: 6 });
    server.child.kill('SIGTERM');
    expect(await server.exit).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('replaces a damaged addon in the cache', async () => {
    const env = { EDGEWHISK_CACHE_DIR: join(folder, 'cache-race') };
    const [versioned] = readdirSync(env.EDGEWHISK_CACHE_DIR);
    const file = join(env.EDGEWHISK_CACHE_DIR, versioned!, 'isolated-vm.node');
    const good = readFileSync(file);
    chmodSync(file, 0o600);
    writeFileSync(file, 'not an addon');
    const server = await serve(env, scratch('data-damaged'));
    expect(await createAndInvoke(server.url, 'c')).toEqual({ greeting: 'hello binary', sum: 6 });
    expect(readFileSync(file).equals(good)).toBe(true);
    server.child.kill('SIGTERM');
    expect(await server.exit).toEqual({ code: 0, signal: null });
  }, 60_000);
});
