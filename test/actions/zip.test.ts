/**
 * Multi-file Node.js actions, created and invoked as users do: a zip built with fflate, sent by the
 * official openwhisk client (which base64-encodes a Buffer), run in an isolate.
 */
import { strToU8, zipSync, type Zippable } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientError } from '../helpers/api.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

function zip(files: Record<string, string>): Buffer {
  const tree: Zippable = {};
  for (const [name, text] of Object.entries(files)) tree[name] = strToU8(text);
  return Buffer.from(zipSync(tree));
}

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

const invoke = (name: string, params: Record<string, unknown> = {}) => t.ow.actions.invoke({ name, params, blocking: true, result: true });

describe('zip actions (CommonJS)', () => {
  const app = {
    'package.json': JSON.stringify({ name: 'app', main: 'src/index.js', dependencies: { 'pad-it': '1.0.0', '@acme/strings': '2.0.0' } }),
    'src/index.js': `
      const greet = require('./lib/greet');
      const config = require('../config/settings.json');
      const { shout } = require('@acme/strings');
      let loads = 0;
      exports.main = async function main(params) {
        const again = require('./lib/greet');
        return { text: greet(params.name || config.fallback), shout: shout('hey'), same: again === greet, loads: require('./lib/counter').loads, dirname: __dirname };
      };`,
    'src/lib/greet.js': `
      const pad = require('pad-it');
      const { format } = require('../util/format.js');
      module.exports = (name) => format(pad(name, 8));`,
    'src/lib/counter.js': 'exports.loads = (globalThis.__loads = (globalThis.__loads || 0) + 1);',
    'src/util/format.js': "exports.format = (s) => `[${s}]`;",
    'config/settings.json': '{ "fallback": "world" }',
    'node_modules/pad-it/package.json': JSON.stringify({ name: 'pad-it', version: '1.0.0', main: './lib/pad' }),
    'node_modules/pad-it/lib/pad.js': "module.exports = (s, n) => s + '.'.repeat(Math.max(0, n - s.length));",
    'node_modules/@acme/strings/package.json': JSON.stringify({ name: '@acme/strings', exports: { '.': { import: './esm/index.mjs', require: './cjs/index.js' } } }),
    'node_modules/@acme/strings/cjs/index.js': "exports.shout = (s) => s.toUpperCase() + '!';",
    'node_modules/@acme/strings/esm/index.mjs': "export const shout = (s) => 'wrong condition';",
  };

  it('runs a zip with nested relative requires, JSON and pure-JS packages from node_modules', async () => {
    await t.ow.actions.create({ name: 'zipped', action: zip(app) });
    const result = await invoke('zipped', { name: 'ann' });
    expect(result).toEqual({ text: '[ann.....]', shout: 'HEY!', same: true, loads: 1, dirname: '/action/src' });
    // Warm: modules were compiled once for this isolate, not per call.
    expect(await invoke('zipped')).toMatchObject({ text: '[world...]', loads: 1 });
    const action = await t.ow.actions.get({ name: 'zipped' });
    expect(action.exec).toMatchObject({ kind: 'nodejs:24', binary: true });
  });

  it('takes main as "file.function" and as an export name of index.js', async () => {
    const files = { 'index.js': 'exports.main = () => ({ from: "index" }); exports.other = () => ({ from: "other" });', 'lib/handlers.js': 'exports.hello = (p) => ({ from: "handlers", p })' };
    await t.ow.actions.create({ name: 'by-file', action: zip(files), exec: { main: 'lib/handlers.hello' } } as never);
    expect(await invoke('by-file', { x: 1 })).toEqual({ from: 'handlers', p: { x: 1 } });
    await t.ow.actions.create({ name: 'by-export', action: zip(files), exec: { main: 'other' } } as never);
    expect(await invoke('by-export')).toEqual({ from: 'other' });
  });

  it('refuses an unreadable archive with 400 when it is created', async () => {
    const notZip = await clientError(t.ow.actions.create({ name: 'broken', action: Buffer.from('these bytes are not an archive') }));
    expect(notZip.statusCode).toBe(400);
    expect(notZip.error.error).toMatch(/There was an error uncompressing the action archive/);
    const truncated = zip(app).subarray(0, 200);
    expect((await clientError(t.ow.actions.create({ name: 'broken', action: truncated }))).statusCode).toBe(400);
  });

  it("refuses an archive without an entry point, with upstream's message", async () => {
    const nested = await clientError(t.ow.actions.create({ name: 'nested', action: zip({ 'myaction/index.js': 'exports.main = () => ({})' }) }));
    expect(nested.statusCode).toBe(400);
    expect(nested.error.error).toBe('Zipped actions must contain either package.json or index.js at the root.');
  });

  it('reports a failing require at init as a developer error with the module named', async () => {
    await t.ow.actions.create({ name: 'missing-dep', action: zip({ 'index.js': "const x = require('not-installed'); exports.main = () => ({})" }) });
    const failure = await clientError(invoke('missing-dep'));
    expect(failure.statusCode).toBe(502);
    expect(failure.error.response.result.error).toMatch(/Cannot find module 'not-installed'/);
  });
});

describe('zip actions (ES modules)', () => {
  it('runs an .mjs entry importing relative modules, CommonJS packages and built-ins, with top-level await', async () => {
    const files = {
      'package.json': JSON.stringify({ main: 'index.mjs' }),
      'index.mjs': `
        import { double } from './lib/math.mjs';
        import legacy, { twice } from 'legacy-cjs';
        import { createHash } from 'node:crypto';
        import openwhisk from 'openwhisk';
        const boot = await Promise.resolve('ready');
        export async function main({ n }) {
          return { double: double(n), twice: twice(n), legacy: typeof legacy, boot, sha: createHash('sha1').update(String(n)).digest('hex').slice(0, 8), ow: typeof openwhisk };
        }`,
      'lib/math.mjs': 'export const double = (n) => n * 2;',
      'node_modules/legacy-cjs/index.js': 'exports.twice = (n) => n + n;',
    };
    await t.ow.actions.create({ name: 'esm-zip', action: zip(files) });
    expect(await invoke('esm-zip', { n: 21 })).toEqual({ double: 42, twice: 42, legacy: 'object', boot: 'ready', sha: '472b07b9', ow: 'function' });
  });

  it('treats .js files of a "type": "module" package as ES modules', async () => {
    const files = {
      'package.json': JSON.stringify({ type: 'module' }),
      'index.js': "import { name } from './name.js'; export default function main() { return { hello: name } }",
      'name.js': "export const name = 'module';",
    };
    await t.ow.actions.create({ name: 'esm-type', action: zip(files) });
    expect(await invoke('esm-type')).toEqual({ hello: 'module' });
  });
});

describe('plain-source ES module actions', () => {
  it('runs `export function main` and `export default` sources', async () => {
    await t.ow.actions.create({ name: 'esm-plain', action: 'export function main(p) { return { got: p.v } }' });
    expect(await invoke('esm-plain', { v: 3 })).toEqual({ got: 3 });
    await t.ow.actions.create({ name: 'esm-default', action: 'export default async (p) => ({ doubled: p.v * 2 })' });
    expect(await invoke('esm-default', { v: 3 })).toEqual({ doubled: 6 });
  });
});
