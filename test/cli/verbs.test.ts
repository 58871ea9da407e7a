/**
 * bin/edgewhisk as a subprocess against a real server: every verb group, .wskprops precedence,
 * human and --json output, errors. CLI calls that do not depend on each other run concurrently.
 */
import { execFile } from 'node:child_process';
import { createServer as createHttpsServer } from 'node:https';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectJson, kv, LOG_LINE, poll, type Json } from '../helpers/api.ts';
import { GUEST_KEY, startTestServer, type TestServer } from '../helpers/server.ts';
import { BIN, closedPort, oneLine, Sandbox } from './helpers.ts';

const ID = /[0-9a-f]{32}/;
const ANSI = /\u001b\[/;

let t: TestServer;
let sb: Sandbox;
let files: string;

beforeAll(async () => {
  t = await startTestServer();
  sb = new Sandbox({ APIHOST: t.url, AUTH: GUEST_KEY });
  files = mkdtempSync(join(tmpdir(), 'edgewhisk-cli-files-'));
  writeFileSync(join(files, 'hello.js'), "function main(p) { console.log('hi', p.name); return { greeting: `hello ${p.name}`, p } }\n");
  writeFileSync(join(files, 'custom.js'), 'function run(p) { return { ran: true, n: p.n } }\n');
  writeFileSync(join(files, 'fail.js'), "function main() { return { error: 'boom' } }\n");
  writeFileSync(join(files, 'params.json'), JSON.stringify({ fromFile: 'yes', name: 'file' }));
  writeFileSync(join(files, 'plus.zip'), zipSync({ 'index.js': Buffer.from("exports.main = (p) => ({ sum: p.a + p.b })") }));
  mkdirSync(join(files, 'folder', 'lib'), { recursive: true });
  writeFileSync(join(files, 'folder', 'package.json'), JSON.stringify({ name: 'folder', main: 'main.js' }));
  writeFileSync(join(files, 'folder', 'main.js'), "const { twice } = require('./lib/twice.js'); exports.main = (p) => ({ twice: twice(p.n) });");
  writeFileSync(join(files, 'folder', 'lib', 'twice.js'), 'exports.twice = (n) => n * 2;');
  await sb.ok(['action', 'create', 'hello', join(files, 'hello.js')]);
});

afterAll(async () => {
  await t.close();
  sb.remove();
  rmSync(files, { recursive: true, force: true });
});

async function getAction(path: string): Promise<Json> {
  return expectJson(await t.request('GET', `/api/v1/namespaces/_/actions/${path}`), 200);
}

describe('property and configuration precedence', () => {
  it('property set writes the props file, keeping other lines; property get reads it', async () => {
    const other = new Sandbox();
    try {
      writeFileSync(other.props, '# my settings\nAPIVERSION=v1\n');
      const set = await other.ok(['property', 'set', '--apihost', t.url, '--auth', GUEST_KEY, '--namespace', 'guest']);
      expect(set).toContain(`ok: whisk API host set to ${t.url}`);
      expect(readFileSync(other.props, 'utf8')).toBe(`# my settings\nAPIVERSION=v1\nAPIHOST=${t.url}\nAUTH=${GUEST_KEY}\nNAMESPACE=guest\n`);
      const [host, all, json] = await Promise.all([
        other.ok(['property', 'get', '--apihost']),
        other.ok(['property', 'get']),
        other.json(['property', 'get']),
      ]);
      expect(host.trim()).toBe(t.url);
      expect(all).toMatch(/whisk namespace\s+guest\s+\S*wskprops/);
      expect(json).toEqual({ apihost: t.url, auth: GUEST_KEY, namespace: 'guest', propsFile: other.props });
      expect(await other.ok(['property', 'unset', '--namespace'])).toContain('ok: whisk namespace unset');
      expect(readFileSync(other.props, 'utf8')).not.toContain('NAMESPACE');
      // The namespace from the file names the path: guest's own actions.
      expect(await other.json(['action', 'list'])).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'hello' })]));
    } finally {
      other.remove();
    }
  });

  it('without WSK_CONFIG_FILE the file is ~/.wskprops under HOME', async () => {
    const other = new Sandbox();
    try {
      const env = { HOME: other.home, WSK_CONFIG_FILE: '' };
      await other.ok(['property', 'set', '--apihost', t.url], env);
      expect(readFileSync(join(other.home, '.wskprops'), 'utf8')).toBe(`APIHOST=${t.url}\n`);
      expect((await other.ok(['namespace', 'list'], env)).trim()).toBe('guest');
    } finally {
      other.remove();
    }
  });

  it('file < environment < flags, for the API host and the key', async () => {
    const closed = `http://127.0.0.1:${await closedPort()}`;
    const other = new Sandbox({ APIHOST: closed, AUTH: 'wrong:key' });
    try {
      const [fileOnly, envHost, envBoth, flagHost, flagAuth, flagBoth] = await Promise.all([
        other.run(['namespace', 'list']),
        other.run(['namespace', 'list'], { __OW_API_HOST: t.url }),
        other.run(['namespace', 'list'], { __OW_API_HOST: t.url, __OW_API_KEY: GUEST_KEY }),
        other.run(['namespace', 'list', '--apihost', closed], { __OW_API_HOST: t.url, __OW_API_KEY: GUEST_KEY }),
        other.run(['namespace', 'list', '-u', 'flag:wrong'], { __OW_API_HOST: t.url, __OW_API_KEY: GUEST_KEY }),
        other.run(['--apihost', t.url, 'namespace', 'list', '--auth', GUEST_KEY]),
      ]);
      expect(fileOnly.code).toBe(3);
      expect(oneLine(fileOnly.stderr)).toContain(`cannot reach ${closed}`);
      expect(envHost.code).toBe(1);
      expect(oneLine(envHost.stderr)).toMatch(/HTTP 401/);
      expect([envBoth.code, envBoth.stdout.trim()]).toEqual([0, 'guest']);
      expect(flagHost.code).toBe(3);
      expect(flagAuth.code).toBe(1);
      expect(flagAuth.stderr).toMatch(/HTTP 401/);
      expect([flagBoth.code, flagBoth.stdout.trim()]).toEqual([0, 'guest']);
    } finally {
      other.remove();
    }
  });

  it('--namespace picks the namespace of paths', async () => {
    const denied = await sb.run(['action', 'list', '--namespace', 'whisk.system']);
    expect(denied.code).toBe(1);
    expect(oneLine(denied.stderr)).toMatch(/HTTP 403/);
  });
});

describe('action', () => {
  it('create from a .js file with parameters, limits, annotations and --web true', async () => {
    const out = await sb.ok([
      'action', 'create', 'full', join(files, 'hello.js'),
      '-p', 'count', '5', '-p', 'name', 'world', '--param', 'obj', '{"a":[1,2]}', '-P', join(files, 'params.json'),
      '--timeout', '3000', '-m', '128', '--logsize', '1', '-a', 'description', 'a greeting', '--web', 'true',
    ]);
    expect(out).toBe('ok: created action full\n');
    const action = await getAction('full');
    expect(action.exec.kind).toBe('nodejs:24');
    expect(action.parameters).toEqual([
      { key: 'fromFile', value: 'yes' },
      { key: 'name', value: 'world' },
      { key: 'count', value: 5 },
      { key: 'obj', value: { a: [1, 2] } },
    ]);
    expect(action.limits).toMatchObject({ timeout: 3000, memory: 128, logs: 1 });
    expect([kv(action.annotations, 'description'), kv(action.annotations, 'web-export'), kv(action.annotations, 'final'), kv(action.annotations, 'raw-http')]).toEqual(['a greeting', true, true, false]);
    const again = await sb.run(['action', 'create', 'full', join(files, 'hello.js')]);
    expect(again.code).toBe(1);
    expect(oneLine(again.stderr)).toMatch(/Unable to create action 'full': .*\(HTTP 409, code \w+\)/);
  });

  it('update: --web raw and --web-secure keep the other annotations; get --url gives a working URL', async () => {
    await sb.ok(['action', 'update', 'full', '--web', 'raw', '--web-secure', 's3cret']);
    const action = await getAction('full');
    expect([kv(action.annotations, 'description'), kv(action.annotations, 'raw-http'), kv(action.annotations, 'require-whisk-auth')]).toEqual(['a greeting', true, 's3cret']);
    expect(action.exec.code).toContain('hello');
    const url = (await sb.ok(['action', 'get', 'full', '--url'])).trim();
    expect(url).toBe(`${t.url}/api/v1/web/guest/default/full`);
    expect((await fetch(`${url}.json`)).status).toBe(401);
    const web = await fetch(`${url}.json?x=1`, { headers: { 'x-require-whisk-auth': 's3cret' } });
    expect(web.status).toBe(200);
    expect(((await web.json()) as Json).p.__ow_query).toBe('x=1');
    await sb.ok(['action', 'update', 'full', '--web', 'false', '-a', 'description', 'changed']);
    const off = await getAction('full');
    expect([kv(off.annotations, 'web-export'), kv(off.annotations, 'final'), kv(off.annotations, 'description')]).toEqual([false, false, 'changed']);
    const notWeb = await sb.run(['action', 'update', 'full', '--web-secure', 'true']);
    expect(notWeb.code).toBe(2);
    expect(oneLine(notWeb.stderr)).toContain('The --web-secure option is only valid when the --web option is enabled.');
  });

  it('--kind and --main, a .zip (which needs --kind), a folder (zipped) and a sequence', async () => {
    const noKind = await sb.run(['action', 'create', 'plus', join(files, 'plus.zip')]);
    expect(noKind.code).toBe(2);
    expect(oneLine(noKind.stderr)).toContain('requires specifying the action kind');
    await Promise.all([
      sb.ok(['action', 'create', 'custom', join(files, 'custom.js'), '--main', 'run', '--kind', 'nodejs:20']),
      sb.ok(['action', 'create', 'plus', join(files, 'plus.zip'), '--kind', 'nodejs:default']),
      sb.ok(['action', 'create', 'folder', join(files, 'folder')]),
    ]);
    await sb.ok(['action', 'create', 'twice-then-plus', '--sequence', 'folder,hello']);
    const custom = await getAction('custom');
    expect([custom.exec.kind, custom.exec.main]).toEqual(['nodejs:20', 'run']);
    expect((await getAction('folder')).exec.binary).toBe(true);
    const [ran, sum, twice, seq] = await Promise.all([
      sb.json(['action', 'invoke', 'custom', '-r', '-p', 'n', '1']),
      sb.json(['action', 'invoke', 'plus', '-r', '-p', 'a', '2', '-p', 'b', '3']),
      sb.json(['action', 'invoke', 'folder', '-br', '-p', 'n', '21']),
      sb.json(['action', 'invoke', 'twice-then-plus', '--result', '-p', 'n', '4']),
    ]);
    expect(ran).toEqual({ ran: true, n: 1 });
    expect(sum).toEqual({ sum: 5 });
    expect(twice).toEqual({ twice: 42 });
    expect(seq.p).toEqual({ twice: 8 });
    expect((await getAction('twice-then-plus')).exec.components).toEqual(['/guest/folder', '/guest/hello']);
  });

  it('invoke: non-blocking, blocking (human and --json), result only, parameters from a file', async () => {
    const [nonBlocking, blocking, asJson, result] = await Promise.all([
      sb.ok(['action', 'invoke', 'hello', '-p', 'name', 'a']),
      sb.ok(['action', 'invoke', 'hello', '-p', 'name', 'b', '--blocking']),
      sb.json(['action', 'invoke', 'hello', '-b', '-P', join(files, 'params.json')]),
      sb.ok(['action', 'invoke', 'hello', '-r', '-p', 'name', '{"n":1}']),
    ]);
    expect(nonBlocking).toMatch(/^ok: invoked \/_\/hello with id [0-9a-f]{32}\n$/);
    expect(blocking).toMatch(/^ok: invoked \/_\/hello with id [0-9a-f]{32} {2}success · \d+ ms/);
    expect(blocking).toContain('"greeting": "hello b"');
    expect(blocking).toMatch(/logs:\n {2}\d{4}-\d\d-\d\dT[\d:.]+Z stdout: hi b/);
    expect(asJson).toMatchObject({ activationId: expect.stringMatching(ID), response: { success: true, result: { greeting: 'hello file', p: { fromFile: 'yes' } } } });
    expect(JSON.parse(result)).toMatchObject({ p: { name: { n: 1 } } });
  });

  it('a failing action: the result on stdout, one error line, exit 1', async () => {
    await sb.ok(['action', 'create', 'fail', join(files, 'fail.js')]);
    const [blocking, resultOnly, nonBlocking] = await Promise.all([
      sb.run(['action', 'invoke', 'fail', '-b']),
      sb.run(['action', 'invoke', 'fail', '-r']),
      sb.run(['action', 'invoke', 'fail']),
    ]);
    expect(blocking.code).toBe(1);
    expect(blocking.stdout).toContain('application error');
    expect(oneLine(blocking.stderr)).toMatch(/action \/_\/fail failed \(application error\): boom \[activation [0-9a-f]{32}\]/);
    expect(resultOnly.code).toBe(1);
    expect(JSON.parse(resultOnly.stdout)).toEqual({ error: 'boom' });
    expect(nonBlocking.code).toBe(0);
  });

  it('get, list (namespace and package) and delete', async () => {
    await sb.ok(['package', 'create', 'tools']);
    await sb.ok(['action', 'create', 'tools/hi', join(files, 'hello.js'), '--web', 'true']);
    const [human, json, list, listJson, inPackage, byPath] = await Promise.all([
      sb.ok(['action', 'get', 'hello']),
      sb.json(['action', 'get', 'tools/hi']),
      sb.ok(['action', 'list']),
      sb.json(['action', 'list', '--limit', '2']),
      sb.ok(['action', 'list', 'tools']),
      sb.json(['action', 'list', '/guest/tools']),
    ]);
    expect(human).toMatch(/^ok: got action hello\n\{\n/);
    expect(JSON.parse(human.slice(human.indexOf('\n') + 1))).toMatchObject({ name: 'hello', exec: { kind: 'nodejs:24' } });
    expect(json.exec.code).toBeUndefined();
    expect(json.namespace).toBe('guest/tools');
    expect(list.split('\n')[0]).toMatch(/^NAME +KIND +VERSION +WEB +UPDATED$/);
    expect(list).toMatch(/\n\/guest\/hello +nodejs:24 +0\.0\.1 +(just now|\d+ \w+ ago)\n/);
    expect(list).not.toMatch(ANSI);
    expect(listJson).toHaveLength(2);
    expect(inPackage).toMatch(/\/guest\/tools\/hi +nodejs:24 +0\.0\.1 +web /);
    expect(byPath.map((a: Json) => a.name)).toEqual(['hi']);
    expect(await sb.ok(['action', 'delete', 'tools/hi'])).toBe('ok: deleted action tools/hi\n');
    const gone = await sb.run(['action', 'get', 'tools/hi']);
    expect(gone.code).toBe(1);
    expect(oneLine(gone.stderr)).toMatch(/^error: Unable to get action 'tools\/hi': The requested resource does not exist\. \(HTTP 404, code [0-9a-f]+\)$/);
  });
});

describe('activation', () => {
  let id: string;

  beforeAll(async () => {
    const record = await sb.json(['action', 'invoke', 'hello', '-b', '-p', 'name', 'act']);
    id = record.activationId;
  });

  it('list (table, --json, filters), get, logs, result; --last', async () => {
    const [table, json, filtered, since, get, lastGet, logs, stripped, result, resultJson] = await Promise.all([
      sb.ok(['activation', 'list']),
      sb.json(['activation', 'list', '--limit', '1']),
      sb.json(['activation', 'list', 'hello', '--limit', '200']),
      sb.json(['activation', 'list', '--since', '1h', '--full']),
      sb.ok(['activation', 'get', id]),
      sb.json(['activation', 'get', '--last', 'hello']),
      sb.ok(['activation', 'logs', id]),
      sb.ok(['activation', 'logs', id, '--strip']),
      sb.ok(['activation', 'result', id]),
      sb.json(['activation', 'result', id]),
    ]);
    expect(table.split('\n')[0]).toMatch(/^ACTIVATION ID +ENTITY +KIND +STATUS +DURATION +START$/);
    expect(table).toMatch(new RegExp(`${id} +hello:0\\.0\\.1 +nodejs:24 +success +\\d+ ms`));
    expect(json).toHaveLength(1);
    expect(filtered.every((a: Json) => a.name === 'hello')).toBe(true);
    expect(filtered.some((a: Json) => a.activationId === id)).toBe(true);
    expect(since.find((a: Json) => a.activationId === id)?.logs).toHaveLength(1);
    expect(get).toMatch(new RegExp(`^ok: got activation ${id}\\n`));
    expect(lastGet.name).toBe('hello');
    expect(logs).toMatch(LOG_LINE);
    expect(logs.trim()).toMatch(/stdout: hi act$/);
    expect(stripped).toBe('hi act\n');
    expect(JSON.parse(result)).toMatchObject({ greeting: 'hello act' });
    expect(resultJson).toMatchObject({ success: true, status: 'success', result: { greeting: 'hello act' } });
  });

  it('bad input is a usage error', async () => {
    const [noId, badSince] = await Promise.all([sb.run(['activation', 'get']), sb.run(['activation', 'list', '--since', 'someday'])]);
    expect(noId.code).toBe(2);
    expect(oneLine(noId.stderr)).toContain('an activation ID (or --last) is required');
    expect(badSince.code).toBe(2);
  });

  it('poll streams new activations and their logs until SIGINT', async () => {
    const child = sb.spawn(['activation', 'poll', 'hello', '--interval', '150']);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await poll(async () => (stderr.includes('polling for activations') ? true : undefined), 10_000);
      await sb.ok(['action', 'invoke', 'hello', '-p', 'name', 'polled-1']);
      await sb.ok(['action', 'invoke', 'hello', '-p', 'name', 'polled-2']);
      await poll(async () => (stdout.includes('stdout: hi polled-2') ? true : undefined), 10_000);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/Activation: 'hello' \([0-9a-f]{32}\) {2}success/);
    expect(stdout.indexOf('hi polled-1')).toBeLessThan(stdout.indexOf('hi polled-2'));
    // Only new activations: the one from before the poll started is not shown.
    expect(stdout).not.toContain('hi act');
  });
});

describe('package', () => {
  it('create, update, get, bind, list, delete', async () => {
    expect(await sb.ok(['package', 'create', 'shop', '-p', 'currency', 'EUR', '--shared', 'yes', '-a', 'owner', 'me'])).toBe('ok: created package shop\n');
    expect(await sb.ok(['package', 'update', 'shop', '-p', 'currency', 'USD'])).toBe('ok: updated package shop\n');
    await sb.ok(['action', 'create', 'shop/price', join(files, 'hello.js')]);
    expect(await sb.ok(['package', 'bind', '/whisk.system/utils', 'myutils', '-p', 'payload', 'bound'])).toBe('ok: created binding myutils\n');
    const [shop, table, echoed] = await Promise.all([
      sb.json(['package', 'get', 'shop']),
      sb.ok(['package', 'list']),
      sb.json(['action', 'invoke', 'myutils/echo', '-r']),
    ]);
    expect(shop).toMatchObject({ name: 'shop', publish: true, parameters: [{ key: 'currency', value: 'USD' }], actions: [expect.objectContaining({ name: 'price' })] });
    expect(kv(shop.annotations, 'owner')).toBe('me');
    expect(table).toMatch(/\/guest\/myutils +\/whisk\.system\/utils +private/);
    expect(table).toMatch(/\/guest\/shop +shared/);
    expect(echoed).toEqual({ payload: 'bound' });
    const notEmpty = await sb.run(['package', 'delete', 'shop']);
    expect(notEmpty.code).toBe(1);
    expect(oneLine(notEmpty.stderr)).toMatch(/Unable to delete package 'shop': .*\(HTTP 409, code \w+\)/);
    expect(await sb.ok(['package', 'delete', 'shop', '--force'])).toBe('ok: deleted package shop\n');
    expect(await sb.ok(['package', 'delete', 'myutils'])).toBe('ok: deleted package myutils\n');
  });
});

describe('trigger and rule', () => {
  it('create, fire through a rule, disable, enable, list, get, update, delete', async () => {
    expect(await sb.ok(['trigger', 'create', 'orders', '-p', 'source', 'cli'])).toBe('ok: created trigger orders\n');
    expect(await sb.ok(['rule', 'create', 'on-order', 'orders', 'hello'])).toBe('ok: created rule on-order\n');
    const fired = await sb.ok(['trigger', 'fire', 'orders', '-p', 'name', 'order-1']);
    expect(fired).toMatch(/^ok: triggered \/_\/orders with id [0-9a-f]{32}\n$/);
    const record = await poll(async () => {
      const list = await expectJson<Json[]>(await t.request('GET', '/api/v1/namespaces/_/activations?name=hello&docs=true&limit=50'), 200);
      return list.find((a) => a.response.result?.p?.name === 'order-1');
    });
    expect(record.response.result.p.source).toBe('cli');
    expect(await sb.ok(['rule', 'disable', 'on-order'])).toBe('ok: disabled rule on-order\n');
    expect(await sb.ok(['trigger', 'fire', 'orders'])).toBe('trigger /_/orders did not fire as it is not associated with an active rule\n');
    expect(await sb.ok(['rule', 'enable', 'on-order'])).toBe('ok: enabled rule on-order\n');
    const [rule, rules, triggers, trigger] = await Promise.all([
      sb.json(['rule', 'get', 'on-order']),
      sb.ok(['rule', 'list']),
      sb.ok(['trigger', 'list']),
      sb.ok(['trigger', 'get', 'orders']),
    ]);
    expect(rule).toMatchObject({ status: 'active', trigger: { name: 'orders' }, action: { name: 'hello' } });
    expect(rules).toMatch(/\/guest\/on-order +active +\/guest\/orders +\/guest\/hello/);
    expect(triggers).toMatch(/\/guest\/orders +0\.0\.1/);
    expect(trigger).toMatch(/^ok: got trigger orders\n/);
    expect(await sb.ok(['trigger', 'update', 'orders', '-p', 'source', 'updated'])).toBe('ok: updated trigger orders\n');
    expect(kv((await sb.json(['trigger', 'get', 'orders'])).parameters, 'source')).toBe('updated');
    expect(await sb.ok(['rule', 'delete', 'on-order'])).toBe('ok: deleted rule on-order\n');
    expect(await sb.ok(['trigger', 'delete', 'orders'])).toBe('ok: deleted trigger orders\n');
    const gone = await sb.run(['trigger', 'fire', 'orders']);
    expect(gone.code).toBe(1);
    expect(oneLine(gone.stderr)).toMatch(/HTTP 404/);
  });

  it('--feed /whisk.system/alarms/alarm: CREATE sets the alarm, get reads it, delete removes it', async () => {
    const created = await sb.ok(['trigger', 'create', 'each-second', '--feed', '/whisk.system/alarms/alarm', '-p', 'cron', '* * * * * *', '-p', 'trigger_payload', '{"from":"alarm"}']);
    expect(created).toMatch(/^ok: invoked \/whisk\.system\/alarms\/alarm with id [0-9a-f]{32}\nok: created trigger each-second\n$/);
    const trigger = await expectJson(await t.request('GET', '/api/v1/namespaces/_/triggers/each-second'), 200);
    expect(kv(trigger.annotations, 'feed')).toBe('/whisk.system/alarms/alarm');
    expect(trigger.parameters).toEqual([]);
    await sb.ok(['rule', 'create', 'each-second-hello', 'each-second', 'hello']);
    await poll(async () => {
      const list = await expectJson<Json[]>(await t.request('GET', '/api/v1/namespaces/_/activations?name=hello&docs=true&limit=50'), 200);
      return list.find((a) => a.response.result?.p?.from === 'alarm');
    }, 5000, 100);
    const [human, json] = await Promise.all([sb.ok(['trigger', 'get', 'each-second']), sb.json(['trigger', 'get', 'each-second'])]);
    expect(human).toContain('feed /whisk.system/alarms/alarm:');
    expect(human).toContain('"cron": "* * * * * *"');
    expect(json.feed).toMatchObject({ config: { cron: '* * * * * *', payload: { from: 'alarm' } }, status: { active: true } });
    const deleted = await sb.ok(['trigger', 'delete', 'each-second']);
    expect(deleted).toMatch(/^ok: invoked \/whisk\.system\/alarms\/alarm with id [0-9a-f]{32}\nok: deleted trigger each-second\n$/);
    // The feed no longer knows the trigger: READ fails.
    const read = await t.request('POST', '/api/v1/namespaces/whisk.system/actions/alarms/alarm?blocking=true', { lifecycleEvent: 'READ', triggerName: '/_/each-second' });
    expect(((await read.json()) as Json).response.result.error).toMatch(/no alarm is set/);
    await sb.ok(['rule', 'delete', 'each-second-hello']);
  });

  it('a feed that refuses its parameters: one error line, and no trigger left behind', async () => {
    const bad = await sb.run(['trigger', 'create', 'bad-alarm', '--feed', '/whisk.system/alarms/alarm', '-p', 'cron', 'every day']);
    expect(bad.code).toBe(1);
    expect(oneLine(bad.stderr)).toMatch(/Unable to create trigger 'bad-alarm': feed \/whisk\.system\/alarms\/alarm \(CREATE\) failed: .*cron pattern 'every day' is not valid/);
    expect((await t.request('GET', '/api/v1/namespaces/_/triggers/bad-alarm')).status).toBe(404);
  });
});

describe('errors, help and output', () => {
  it('no server: one line, exit 3, no stack trace', async () => {
    const port = await closedPort();
    const result = await sb.run(['action', 'list', '--apihost', `127.0.0.1:${port}`]);
    expect(result.code).toBe(3);
    expect(oneLine(result.stderr)).toMatch(new RegExp(`^error: cannot reach http://127\\.0\\.0\\.1:${port}: connection refused \\(ECONNREFUSED\\)`));
    expect(result.stdout).toBe('');
  });

  it('an untrusted certificate is refused unless -i (or __OW_IGNORE_CERTS)', async () => {
    const pem = readFileSync(join(import.meta.dirname, 'fixtures/self-signed.pem'));
    const server = createHttpsServer({ key: pem, cert: pem }, (_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(['over-tls']));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const apihost = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const [refused, insecure, fromEnv] = await Promise.all([
        sb.run(['namespace', 'list', '--apihost', apihost]),
        sb.run(['namespace', 'list', '--apihost', apihost, '-i']),
        sb.run(['namespace', 'list', '--apihost', apihost], { __OW_IGNORE_CERTS: 'true' }),
      ]);
      expect(refused.code).toBe(3);
      expect(oneLine(refused.stderr)).toMatch(/certificate is not trusted .*use -i/);
      expect([insecure.code, insecure.stdout]).toEqual([0, 'over-tls\n']);
      expect([fromEnv.code, fromEnv.stdout]).toEqual([0, 'over-tls\n']);
    } finally {
      server.close();
    }
  });

  it('bad usage: exit 2 with one line that points at the help', async () => {
    const results = await Promise.all([
      sb.run(['action', 'create']),
      sb.run(['action', 'frobnicate']),
      sb.run(['action', 'create', 'x', join(files, 'hello.js'), '--bogus']),
      sb.run(['action', 'create', 'x', join(files, 'missing.js')]),
      sb.run(['action', 'create', 'x', join(files, 'hello.js'), '--timeout', 'soon']),
      sb.run(['action', 'invoke', 'x', '-p', 'only-key']),
      sb.run(['nonsense']),
      sb.run(['action', 'get', 'a', 'b']),
      sb.run(['action', 'create', 'x', join(files, 'hello.js'), '--web', 'maybe']),
    ]);
    for (const result of results) {
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/^error: /);
    }
    expect(oneLine(results[0]!.stderr)).toBe("error: action create needs NAME ARTIFACT (see 'edgewhisk action create --help')");
    expect(oneLine(results[1]!.stderr)).toContain("unknown verb 'frobnicate' for action");
    expect(oneLine(results[2]!.stderr)).toContain('unknown option --bogus');
    expect(oneLine(results[3]!.stderr)).toContain('missing.js\' does not exist');
    expect(oneLine(results[4]!.stderr)).toContain('--timeout must be an integer');
    expect(oneLine(results[6]!.stderr)).toContain("unknown command 'nonsense'");
    expect(oneLine(results[7]!.stderr)).toContain("takes at most 1 argument, got 'b'");
  });

  it('--verbose shows the HTTP exchange and the stack; --json errors stay on stderr', async () => {
    const [verbose, json] = await Promise.all([sb.run(['action', 'get', 'nope', '-v']), sb.run(['action', 'get', 'nope', '--json'])]);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/> GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/_\/actions\/nope\?code=false/);
    expect(verbose.stderr).toMatch(/< 404 /);
    expect(verbose.stderr).toMatch(/\n {4}at /);
    expect(json.stdout).toBe('');
    expect(oneLine(json.stderr)).toContain('HTTP 404');
  });

  it('help, version; colour only when forced or on a terminal', async () => {
    const [top, group, verb, version, coloured] = await Promise.all([
      sb.ok(['--help']),
      sb.ok(['action', '--help']),
      sb.ok(['action', 'create', '--help']),
      sb.ok(['--version']),
      sb.ok(['action', 'list'], { FORCE_COLOR: '1' }),
    ]);
    expect(top).toContain('deploy [DIR]');
    expect(group).toMatch(/verbs:\n {2}create/);
    expect(verb).toContain('--web true|raw|false');
    expect(verb).toContain('-p, --param KEY VALUE');
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(coloured).toMatch(ANSI);
  });

  it.skipIf(!existsSync('/usr/bin/script'))('on a terminal: colour, unless NO_COLOR is set', async () => {
    // script(1) gives the CLI a pseudo-terminal.
    const onTty = (env: Record<string, string>) =>
      new Promise<string>((resolve, reject) => {
        execFile('/usr/bin/script', ['-qec', `${BIN} action list`, '/dev/null'], { env: { PATH: process.env.PATH ?? '', TERM: 'xterm-256color', ...sb.env(env) } }, (error, stdout) =>
          error ? reject(error) : resolve(stdout),
        );
      });
    const [coloured, plain] = await Promise.all([onTty({}), onTty({ NO_COLOR: '1' })]);
    expect(coloured).toMatch(ANSI);
    expect(plain).toContain('/guest/hello');
    expect(plain).not.toMatch(ANSI);
  });

  it('namespace list (from the server)', async () => {
    expect(await sb.ok(['namespace', 'list'])).toBe('guest\n');
    expect(await sb.json(['namespace', 'list'])).toEqual(['guest']);
  });
});
