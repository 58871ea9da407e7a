/**
 * The bundle `npm start` runs (scripts/build.ts → dist/server/). Built from the same sources the
 * other suites test, it must run them the same way: the server on Node's snapshot, actions in
 * worker processes (whose entry the bundle has to find), and each part loaded on demand from its
 * own chunk — zip archives, cron patterns, the client verbs, in-process isolates.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_CLI, buildBundle, builtinsWithoutImports, startCommand, withoutBareImports, withoutUnusedRequire } from '../../scripts/build.ts';
import { announcedUrl } from '../../src/cli/listening.ts';
import { GUEST_KEY } from '../helpers/server.ts';
import { optimizations } from '../helpers/v8.ts';

const NODE = process.execPath;
const AUTH = `Basic ${Buffer.from(GUEST_KEY).toString('base64')}`;
const children = new Set<ChildProcess>();
const dirs: string[] = [];

/** The environment without NODE_OPTIONS and the like, as a shell would start `npm start`. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !/^(NODE_|VITEST|EDGEWHISK_)/.test(key)) env[key] = value;
  return { ...env, ...extra };
}

/** The server as `npm start` starts it (package.json), on port 0 and a fresh data directory; resolves once it listens. */
async function serve(...flags: string[]): Promise<{ url: string; child: ChildProcess; exit: Promise<number | null> }> {
  return serveWith([], flags);
}

/** The same with more node flags; `asUser`: node run by hand with just those (not npm start's command line). */
async function serveWith(nodeFlags: string[], flags: string[], asUser = false): Promise<{ url: string; child: ChildProcess; exit: Promise<number | null> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-bundle-'));
  dirs.push(dataDir);
  const start = asUser ? { env: {}, nodeFlags: [], args: ['serve'] } : startCommand();
  const argv = [...start.nodeFlags, ...nodeFlags, BUNDLE_CLI, ...start.args, '--port', '0', '--data-dir', dataDir, ...flags];
  const child = spawn(NODE, argv, { env: cleanEnv(start.env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await announcedUrl(child);
  return { url, child, exit };
}

async function api(url: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${url}/api/v1/namespaces/_${path}`, { method, headers: { authorization: AUTH, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

async function invoke(url: string, name: string, params: unknown = {}): Promise<unknown> {
  const res = await api(url, 'POST', `/actions/${name}?blocking=true&result=true`, params);
  expect(res.status, name).toBe(200);
  return res.json();
}

const commandLine = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

beforeAll(async () => {
  await buildBundle();
}, 60_000);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the bundle npm start runs', () => {
  it('serves on Node’s snapshot: actions in worker processes, fetch, zip actions, cron annotations, the client verbs; SIGTERM ends it', async () => {
    const server = await serve();
    expect(commandLine(server.child.pid!)).not.toContain('--no-node-snapshot');
    const put = await api(server.url, 'PUT', '/actions/hello', { exec: { kind: 'nodejs:default', code: 'function main(p) { return { hello: p.name } }' } });
    expect(put.status).toBe(200);
    expect(await invoke(server.url, 'hello', { name: 'bundle' })).toEqual({ hello: 'bundle' });

    const outside = createServer((_req, res) => res.end('pong'));
    await new Promise<void>((resolve) => outside.listen(0, '127.0.0.1', resolve));
    try {
      const target = `http://127.0.0.1:${(outside.address() as AddressInfo).port}/`;
      const fetcher = 'async function main(p) { const r = await fetch(p.url); return { status: r.status, body: await r.text() } }';
      expect((await api(server.url, 'PUT', '/actions/fetcher', { exec: { kind: 'nodejs:default', code: fetcher } })).status).toBe(200);
      expect(await invoke(server.url, 'fetcher', { url: target })).toEqual({ status: 200, body: 'pong' });
    } finally {
      outside.close();
    }

    const archive = Buffer.from(zipSync({ 'index.js': strToU8("exports.main = () => ({ zipped: require('./lib/two.js') })"), 'lib/two.js': strToU8('module.exports = 2') })).toString('base64');
    expect((await api(server.url, 'PUT', '/actions/zipped', { exec: { kind: 'nodejs:default', code: archive, binary: true } })).status).toBe(200);
    expect(await invoke(server.url, 'zipped')).toEqual({ zipped: 2 });
    expect((await api(server.url, 'PUT', '/actions/broken-zip', { exec: { kind: 'nodejs:default', code: Buffer.from('PK\u0003\u0004 not a zip').toString('base64'), binary: true } })).status).toBe(400);

    const cron = (value: string) => api(server.url, 'PUT', '/actions/nightly?overwrite=true', { exec: { kind: 'nodejs:default', code: 'function main() { return {} }' }, annotations: [{ key: 'cron', value }] });
    expect((await cron('not a cron pattern')).status).toBe(400);
    expect((await cron('0 3 * * *')).status).toBe(200);

    const { stdout } = await promisify(execFile)(NODE, [BUNDLE_CLI, 'action', 'list', '--apihost', server.url, '--auth', GUEST_KEY], { env: cleanEnv({ HOME: dirs[0]! }) });
    expect(stdout).toMatch(/\/guest\/hello\b/);

    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
  });

  it('--isolate-workers 0 restarts itself with --no-node-snapshot (same pid) and runs isolates in process', async () => {
    const server = await serve('--isolate-workers', '0');
    expect(commandLine(server.child.pid!)).toContain('--no-node-snapshot');
    expect((await api(server.url, 'PUT', '/actions/inproc', { exec: { kind: 'nodejs:default', code: 'function main() { return { inProcess: true } }' } })).status).toBe(200);
    expect(await invoke(server.url, 'inproc')).toEqual({ inProcess: true });
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
  });
});

describe('built-ins in the bundle', () => {
  it('are taken with process.getBuiltinModule, not imported; other imports stay', () => {
    const code = [
      'import { readFileSync, statSync as statSync2 } from "node:fs";',
      'import {\n  createHash\n} from "node:crypto";',
      'import * as path from "node:path";',
      'import os from "os";',
      'import Database from "better-sqlite3";',
      'import { a } from "./chunk-X.js";',
    ].join('\n');
    expect(builtinsWithoutImports(code, 'sample.js').split('\n')).toEqual([
      'const { readFileSync, statSync: statSync2 } = process.getBuiltinModule("node:fs");',
      'const { createHash } = process.getBuiltinModule("node:crypto");',
      'const path = process.getBuiltinModule("node:path");',
      'const os = process.getBuiltinModule("os");',
      'import Database from "better-sqlite3";',
      'import { a } from "./chunk-X.js";',
    ]);
  });

  it('a form the build cannot rewrite fails it', () => {
    expect(() => builtinsWithoutImports('import fs, { readFileSync } from "node:fs";', 'sample.js')).toThrow(/cannot rewrite/);
    expect(() => builtinsWithoutImports('import { default as fs } from "node:fs";', 'sample.js')).toThrow(/default import/);
  });
});

/** Everything `child` prints to stdout from now on. */
function collect(child: ChildProcess): { text: () => string } {
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { text: () => text };
}

describe('V8’s optimizing compilers in the bundle’s server (src/jit.ts)', () => {
  const UNTHROTTLED = ['--invocations-per-minute', '0'];
  const webAction = { exec: { kind: 'nodejs:default', code: 'function main(p) { return { n: p.n } }' }, annotations: [{ key: 'web-export', value: true }] };
  const load = async (url: string, requests: number): Promise<void> => {
    for (let i = 0; i < requests; i++) expect((await fetch(`${url}/api/v1/web/guest/default/hot.json?n=${i}`)).status).toBe(200);
  };

  // V8 prints to stdout, a pipe here, through the C library's buffer: what it printed is all
  // there once the process has exited, not necessarily before.
  it('compile nothing through start-up and API calls: no activation yet', async () => {
    const server = await serveWith(['--trace-opt'], UNTHROTTLED);
    const output = collect(server.child);
    expect((await api(server.url, 'PUT', '/actions/hot', webAction)).status).toBe(200);
    for (let i = 0; i < 200; i++) expect((await fetch(`${server.url}/api/v1`)).status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
    expect(output.text()).toMatch(/SIGTERM: shutting down/);
    expect(optimizations(output.text())).toEqual([]);
  }, 60_000);

  it('optimize once activations run: the web path under load', async () => {
    const server = await serveWith(['--trace-opt'], UNTHROTTLED);
    const output = collect(server.child);
    expect((await api(server.url, 'PUT', '/actions/hot', webAction)).status).toBe(200);
    await load(server.url, 2000);
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
    expect(optimizations(output.text()).length).toBeGreaterThan(5);
  }, 60_000);

  it('come on as a client command starts: zipping a folder for `action update` optimizes', async () => {
    const server = await serveWith([], UNTHROTTLED);
    const folder = mkdtempSync(join(tmpdir(), 'edgewhisk-zip-'));
    dirs.push(folder);
    writeFileSync(join(folder, 'index.js'), 'exports.main = () => ({ ok: true })');
    // About 0.5 MB of source, so that the zip's loops run hot.
    for (let i = 0; i < 8; i++) writeFileSync(join(folder, `lib${i}.js`), Array.from({ length: 2000 }, (_, j) => `exports.v${j} = (a) => a * ${j} + ${i};`).join('\n'));
    // Launched as bin/edgewhisk launches it: the compilers held from node's start.
    const start = startCommand();
    const argv = [...start.nodeFlags, '--trace-opt', BUNDLE_CLI, 'action', 'update', 'zipped', folder, '--apihost', server.url, '--auth', GUEST_KEY];
    const { stdout } = await promisify(execFile)(NODE, argv, { env: cleanEnv({ ...start.env, HOME: folder }) });
    expect(stdout).toMatch(/ok: updated action zipped/);
    expect(optimizations(stdout).length).toBeGreaterThan(0);
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
  }, 60_000);

  it('stay as the user set them: --no-maglev --no-turbofan never come back on', async () => {
    const server = await serveWith(['--trace-opt', '--no-maglev', '--no-turbofan'], UNTHROTTLED, true);
    const output = collect(server.child);
    expect((await api(server.url, 'PUT', '/actions/hot', webAction)).status).toBe(200);
    await load(server.url, 2000);
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
    expect(optimizations(output.text())).toEqual([]);
  }, 60_000);
});

describe('what the build leaves out of each file', () => {
  it('cli.js loads no file and makes no require before its first statement', () => {
    const cli = readFileSync(BUNDLE_CLI, 'utf8');
    expect(cli).not.toMatch(/^import /m);
    expect(cli).not.toContain('createRequire');
    expect(cli).toMatch(/^holdOptimizingCompilersUntilWorking\(\);$/m);
  });

  it('a bare import of the runtime-helpers chunk is dropped, any other stays', () => {
    const code = 'import "./chunk-HELP.js";\nimport "./chunk-OTHER.js";\nimport { a } from "./chunk-HELP.js";\nrun();\n';
    expect(withoutBareImports(code, new Set(['./chunk-HELP.js']))).toBe('import "./chunk-OTHER.js";\nimport { a } from "./chunk-HELP.js";\nrun();\n');
  });

  it('the require banner stays only where the code says require', () => {
    const banner = "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);";
    expect(withoutUnusedRequire(`${banner}\nconst x = __require2(1);\n`)).toBe('const x = __require2(1);\n');
    expect(withoutUnusedRequire(`${banner}\nconst x = require("./a.cjs");\n`)).toBe(`${banner}\nconst x = require("./a.cjs");\n`);
    expect(withoutUnusedRequire('const x = 1;\n')).toBe('const x = 1;\n');
  });
});
