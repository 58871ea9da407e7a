/**
 * `edgewhisk deploy DIR` against a real server: an OpenServerless-style project made here (a
 * package with a .js action configured by header comments, a folder action with package.json and
 * index.js, package options in an .args file), then re-deploys that report unchanged or updated.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectJson, kv, type Json } from '../helpers/api.ts';
import { GUEST_KEY, startTestServer, type TestServer } from '../helpers/server.ts';
import { oneLine, Sandbox } from './helpers.ts';

let t: TestServer;
let sb: Sandbox;
let project: string;

const HELLO = `//--web true
//--param GREETING $GREETING
//--param LIMIT 5
//--annotation description "says hello"
//--timeout 5000
function main(args) {
  return { body: \`\${args.GREETING}, \${args.name ?? 'world'} (\${args.LIMIT}, \${args.STORE})\` };
}
`;

function write(path: string, text: string): void {
  mkdirSync(join(project, path, '..'), { recursive: true });
  writeFileSync(join(project, path), text);
}

async function action(path: string): Promise<Json> {
  return expectJson(await t.request('GET', `/api/v1/namespaces/_/actions/${path}`), 200);
}

/** The status of each entity: {'package shop': 'created', 'action shop/hello': 'unchanged', …}. */
function statuses(report: { outcomes: { type: string; name: string; status: string }[] }): Record<string, string> {
  return Object.fromEntries(report.outcomes.map((o) => [`${o.type} ${o.name}`, o.status]));
}

beforeAll(async () => {
  t = await startTestServer();
  sb = new Sandbox({ APIHOST: t.url, AUTH: GUEST_KEY });
  project = mkdtempSync(join(tmpdir(), 'edgewhisk-project-'));
  write('packages/shop/hello.js', HELLO);
  write('packages/shop/cart/package.json', JSON.stringify({ name: 'cart', version: '1.0.0', main: 'index.js' }));
  write('packages/shop/cart/index.js', "//--param CURRENCY EUR\n//--kind nodejs:20\nconst { total } = require('./lib/total.js');\nexports.main = (args) => ({ total: total(args.items ?? []), currency: args.CURRENCY });\n");
  write('packages/shop/cart/lib/total.js', 'exports.total = (items) => items.reduce((a, b) => a + b, 0);\n');
  write('packages/shop/README.md', 'not an action\n');
  write('packages/shop.args', '#--param STORE main\n');
  write('.env', 'GREETING=Hello\n');
});

afterAll(async () => {
  await t.close();
  sb.remove();
  rmSync(project, { recursive: true, force: true });
});

describe('edgewhisk deploy', () => {
  it('creates the package and both actions, as the header comments say', async () => {
    const out = await sb.ok(['deploy', project]);
    expect(out).toMatch(/^package +shop +created +packages\/shop\.args$/m);
    expect(out).toMatch(/^action +shop\/cart +created +packages\/shop\/cart\/$/m);
    expect(out).toMatch(/^action +shop\/hello +created +packages\/shop\/hello\.js$/m);
    expect(out.trim().split('\n').at(-1)).toBe('3 created, 0 updated, 0 unchanged');

    const hello = await action('shop/hello');
    expect(hello.exec.kind).toBe('nodejs:24');
    expect(hello.limits.timeout).toBe(5000);
    expect([kv(hello.annotations, 'web-export'), kv(hello.annotations, 'final'), kv(hello.annotations, 'description')]).toEqual([true, true, 'says hello']);
    // GREETING from .env, LIMIT parsed as JSON; reading through the package adds its STORE.
    expect(hello.parameters).toEqual(expect.arrayContaining([{ key: 'GREETING', value: 'Hello' }, { key: 'LIMIT', value: 5 }, { key: 'STORE', value: 'main' }]));
    const cart = await action('shop/cart');
    expect([cart.exec.kind, cart.exec.binary]).toEqual(['nodejs:20', true]);
    expect(kv(cart.parameters, 'CURRENCY')).toBe('EUR');

    const [total, web] = await Promise.all([
      sb.json(['action', 'invoke', 'shop/cart', '-r', '-p', 'items', '[1,2,3]']),
      fetch(`${t.url}/api/v1/web/guest/shop/hello?name=web`).then((r) => r.text()),
    ]);
    expect(total).toEqual({ total: 6, currency: 'EUR' });
    expect(web).toBe('Hello, web (5, main)');
  });

  it('a re-deploy of the same project reports everything unchanged and writes nothing', async () => {
    const before = (await action('shop/hello')).version;
    const report = await sb.json(['deploy', project]);
    expect(statuses(report)).toEqual({ 'package shop': 'unchanged', 'action shop/cart': 'unchanged', 'action shop/hello': 'unchanged' });
    expect((await action('shop/hello')).version).toBe(before);
    expect((await sb.ok(['deploy'], {}, project)).trim().split('\n').at(-1)).toBe('0 created, 0 updated, 3 unchanged');
  });

  it('a change of code, of an environment variable or of a header is an update of just that action', async () => {
    write('packages/shop/cart/lib/total.js', 'exports.total = (items) => items.length;\n');
    const codeChange = await sb.json(['deploy', project]);
    expect(statuses(codeChange)).toEqual({ 'package shop': 'unchanged', 'action shop/cart': 'updated', 'action shop/hello': 'unchanged' });
    expect(codeChange.outcomes.find((o: Json) => o.name === 'shop/cart').changes).toEqual(['code']);
    expect(await sb.json(['action', 'invoke', 'shop/cart', '-r', '-p', 'items', '[1,2,3]'])).toEqual({ total: 3, currency: 'EUR' });

    // The environment wins over .env.
    const dryRun = await sb.ok(['deploy', project, '--dry-run'], { GREETING: 'Ciao' });
    expect(dryRun).toMatch(/^action +shop\/hello +would be updated \(parameters\)/m);
    expect(dryRun.trim().split('\n').at(-1)).toBe('dry run: 0 created, 1 updated, 2 unchanged');
    expect(kv((await action('shop/hello')).parameters, 'GREETING')).toBe('Hello');
    const envChange = await sb.ok(['deploy', project], { GREETING: 'Ciao' });
    expect(envChange).toMatch(/^action +shop\/hello +updated \(parameters\)/m);
    expect(kv((await action('shop/hello')).parameters, 'GREETING')).toBe('Ciao');

    write('packages/shop/hello.js', HELLO.replace('//--web true\n', '').replace('$GREETING', 'Hi'));
    write('packages/shop.args', '#--param STORE outlet\n');
    const headerChange = await sb.json(['deploy', project]);
    expect(statuses(headerChange)).toEqual({ 'package shop': 'updated', 'action shop/cart': 'unchanged', 'action shop/hello': 'updated' });
    expect(headerChange.outcomes.find((o: Json) => o.name === 'shop/hello').changes).toEqual(['code', 'parameters', 'annotations']); // the header is part of the code
    expect(kv((await action('shop/hello')).annotations, 'web-export')).toBeUndefined();
  });

  it('a new action in a new package is created; the others stay unchanged', async () => {
    write('packages/admin/ping.js', "//--param PONG true\nfunction main(a) { return { pong: a.PONG } }\n");
    const report = await sb.json(['deploy', project]);
    expect(statuses(report)).toEqual({
      'package admin': 'created',
      'package shop': 'unchanged',
      'action admin/ping': 'created',
      'action shop/cart': 'unchanged',
      'action shop/hello': 'unchanged',
    });
    expect(await sb.json(['action', 'invoke', 'admin/ping', '-r'])).toEqual({ pong: true });
  });

  it('errors: no packages folder, a bad header option, two sources for one action', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'edgewhisk-empty-'));
    try {
      write('packages/broken/bad.js', '//--frobnicate yes\nfunction main() { return {} }\n');
      const [noPackages, badHeader] = await Promise.all([sb.run(['deploy', empty]), sb.run(['deploy', project])]);
      expect(noPackages.code).toBe(2);
      expect(oneLine(noPackages.stderr)).toContain('has no packages/ folder');
      expect(badHeader.code).toBe(2);
      expect(oneLine(badHeader.stderr)).toContain('packages/broken/bad.js: unknown option --frobnicate');
      rmSync(join(project, 'packages/broken'), { recursive: true });
      write('packages/shop/cart.js', 'function main() { return {} }\n');
      const clash = await sb.run(['deploy', project]);
      expect(clash.code).toBe(2);
      expect(oneLine(clash.stderr)).toContain('would both be action shop/cart');
    } finally {
      rmSync(empty, { recursive: true, force: true });
      rmSync(join(project, 'packages/shop/cart.js'), { force: true });
    }
  });
});
