/** The CLI's pure parts: argument parsing, config resolution, names, values, headers, formatting. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTime, stripLogLine } from '../../src/cli/activation.ts';
import { webUrl } from '../../src/cli/action.ts';
import { Options, parseArgs, type OptionSpec } from '../../src/cli/args.ts';
import { kindOfFile, kindOfFolder, readArtifact, zipFolder } from '../../src/cli/artifact.ts';
import { actionChanges, packageChanges } from '../../src/cli/deploy.ts';
import { UsageError } from '../../src/cli/errors.ts';
import { httpError } from '../../src/cli/http.ts';
import { applyWeb, keyValues, parseValue, webMode } from '../../src/cli/keyvalues.ts';
import { fullName, parseName, parseNamespace } from '../../src/cli/names.ts';
import { formatDuration, formatTable, relativeTime } from '../../src/cli/output.ts';
import { GUEST_KEY, normalizeApiHost, parseProps, propsPath, resolveClientConfig, updateProps } from '../../src/cli/props.ts';
import { headerLines, parseDotEnv, splitWords } from '../../src/cli/shellwords.ts';

const SPECS: OptionSpec[] = [
  { name: 'param', short: 'p', type: 'pair', help: '' },
  { name: 'blocking', short: 'b', type: 'boolean', help: '' },
  { name: 'result', short: 'r', type: 'boolean', help: '' },
  { name: 'kind', type: 'string', help: '' },
  { name: 'timeout', short: 't', type: 'string', help: '' },
];

describe('parseArgs', () => {
  it('takes options anywhere, pairs, clustered booleans, --x=v and --', () => {
    const parsed = parseArgs(['hello', '-p', 'name', '-1', '--kind=nodejs:20', '-br', 'extra', '--param', 'k', '{"a":1}', '--', '--not-an-option'], SPECS, 'x');
    expect(parsed.words).toEqual(['hello', 'extra', '--not-an-option']);
    expect(parsed.pairs.get('param')).toEqual([['name', '-1'], ['k', '{"a":1}']]);
    const opts = new Options(parsed);
    expect(opts.flag('blocking')).toBe(true);
    expect(opts.flag('result')).toBe(true);
    expect(opts.string('kind')).toBe('nodejs:20');
    expect(opts.has('timeout')).toBe(false);
  });

  it('refuses unknown options, missing values and bad booleans', () => {
    expect(() => parseArgs(['--bogus'], SPECS, 'x')).toThrow(/unknown option --bogus/);
    expect(() => parseArgs(['-z'], SPECS, 'x')).toThrow(/unknown option -z/);
    expect(() => parseArgs(['-p', 'only-key'], SPECS, 'x')).toThrow(UsageError);
    expect(() => parseArgs(['--kind'], SPECS, 'x')).toThrow(/--kind needs/);
    expect(() => parseArgs(['--blocking=maybe'], SPECS, 'x')).toThrow(/true or false/);
    expect(() => parseArgs(['-tb', '5'], SPECS, 'x')).toThrow(/cannot be grouped/);
    expect(new Options(parseArgs(['--blocking=false'], SPECS, 'x')).flag('blocking')).toBe(false);
  });

  it('integer options are checked', () => {
    const opts = new Options(parseArgs(['-t', 'abc'], SPECS, 'x'));
    expect(() => opts.integer('timeout', 1, 10, 'x')).toThrow(/--timeout must be an integer/);
    expect(new Options(parseArgs(['-t', '7'], SPECS, 'x')).integer('timeout', 1, 10, 'x')).toBe(7);
  });
});

describe('client configuration: props file < environment < flags', () => {
  const file = parseProps('# comment\nAPIHOST=file.example.com\nAUTH=file:key\nNAMESPACE=filens\nAPIVERSION=v1\n');
  const input = (flags = {}, env = {}) => ({ flags, env, props: file, propsPath: '/h/.wskprops' });

  it('reads the file', () => {
    const c = resolveClientConfig(input());
    expect(c).toMatchObject({ apihost: 'https://file.example.com', auth: 'file:key', namespace: 'filens', insecure: false });
    expect(c.sources).toEqual({ apihost: '/h/.wskprops', auth: '/h/.wskprops', namespace: '/h/.wskprops' });
  });

  it('environment variables override the file (__OW_* over WSK_* over AIO_RUNTIME_*)', () => {
    const c = resolveClientConfig(input({}, { __OW_API_HOST: 'http://env:1', WSK_APIHOST: 'http://wsk:1', AIO_RUNTIME_AUTH: 'aio:key', __OW_NAMESPACE: 'envns', __OW_IGNORE_CERTS: 'true' }));
    expect(c).toMatchObject({ apihost: 'http://env:1', auth: 'aio:key', namespace: 'envns', insecure: true });
    expect(c.sources.apihost).toBe('env __OW_API_HOST');
    expect(resolveClientConfig(input({}, { WSK_AUTH: 'wsk:key', AIO_RUNTIME_AUTH: 'aio:key' })).auth).toBe('wsk:key');
  });

  it('flags override both', () => {
    const c = resolveClientConfig(input({ apihost: 'http://flag:2', auth: 'flag:key', namespace: 'flagns', insecure: true }, { __OW_API_HOST: 'http://env:1', __OW_API_KEY: 'env:key' }));
    expect(c).toMatchObject({ apihost: 'http://flag:2', auth: 'flag:key', namespace: 'flagns', insecure: true });
    expect(c.sources).toEqual({ apihost: 'flag --apihost', auth: 'flag --auth', namespace: 'flag --namespace' });
  });

  it('with nothing set: the local server and the guest key; a remote host needs a key', () => {
    const none = { flags: {}, env: {}, props: new Map<string, string>(), propsPath: '/p' };
    expect(resolveClientConfig(none)).toMatchObject({ apihost: 'http://127.0.0.1:3233', auth: GUEST_KEY, namespace: '_' });
    expect(() => resolveClientConfig({ ...none, flags: { apihost: 'openwhisk.example.com' } })).toThrow(/no credentials/);
    expect(() => resolveClientConfig({ ...none, flags: { auth: 'nocolon' } })).toThrow(/UUID:KEY/);
  });

  it('the props file: WSK_CONFIG_FILE, else HOME/.wskprops', () => {
    expect(propsPath({ WSK_CONFIG_FILE: '/x/props' }, '/home/u')).toBe('/x/props');
    expect(propsPath({ HOME: '/h' }, '/home/u')).toBe('/h/.wskprops');
    expect(propsPath({}, '/home/u')).toBe('/home/u/.wskprops');
  });

  it('updating the file keeps other lines, replaces in place, appends and removes', () => {
    const text = '# mine\nAPIHOST=a\nAPIVERSION=v1\nAUTH=x:y\nAPIHOST=dup\n';
    expect(updateProps(text, { APIHOST: 'b', NAMESPACE: 'n', AUTH: undefined })).toBe('# mine\nAPIHOST=b\nAPIVERSION=v1\nNAMESPACE=n\n');
    expect(updateProps('', { AUTH: 'k:v' })).toBe('AUTH=k:v\n');
    expect(parseProps('AUTH="q:uoted"\n  NAMESPACE = spaced \nnot a line\n')).toEqual(new Map([['AUTH', 'q:uoted'], ['NAMESPACE', 'spaced']]));
  });

  it('API hosts are normalized as wsk does, loopback defaulting to http', () => {
    expect(normalizeApiHost('localhost:3233')).toBe('http://localhost:3233');
    expect(normalizeApiHost('127.0.0.1:3233/')).toBe('http://127.0.0.1:3233');
    expect(normalizeApiHost('openwhisk.example.com')).toBe('https://openwhisk.example.com');
    expect(normalizeApiHost('https://ow.example.com/api/v1/')).toBe('https://ow.example.com');
    expect(normalizeApiHost('http://host:8080/prefix')).toBe('http://host:8080/prefix');
    expect(() => normalizeApiHost('ftp://x')).toThrow(/not an http/);
    expect(() => normalizeApiHost('')).toThrow(UsageError);
  });
});

describe('names', () => {
  it('parses wsk names against the default namespace', () => {
    expect(parseName('a', '_')).toEqual({ namespace: '_', pkg: undefined, name: 'a' });
    expect(parseName('p/a', 'guest')).toEqual({ namespace: 'guest', pkg: 'p', name: 'a' });
    expect(parseName('/ns/a', '_')).toEqual({ namespace: 'ns', pkg: undefined, name: 'a' });
    expect(parseName('/ns/p/a', '_')).toEqual({ namespace: 'ns', pkg: 'p', name: 'a' });
    expect(fullName(parseName('p/a', '_'))).toBe('/_/p/a');
    expect(() => parseName('/ns', '_')).toThrow(UsageError);
    expect(() => parseName('a/b/c', '_')).toThrow(/too many/);
    expect(() => parseName('a//b', '_')).toThrow(UsageError);
    expect(parseNamespace('/guest/', '_')).toBe('guest');
    expect(parseNamespace(undefined, '_')).toBe('_');
  });

  it('web URLs come from the namespace the server reports', () => {
    expect(webUrl('http://h:1', { namespace: 'guest', name: 'a' })).toBe('http://h:1/api/v1/web/guest/default/a');
    expect(webUrl('http://h:1', { namespace: 'guest/demo', name: 'a b' })).toBe('http://h:1/api/v1/web/guest/demo/a%20b');
  });
});

describe('parameters and web annotations', () => {
  it('values are JSON when they parse, strings otherwise; later keys win', () => {
    expect(parseValue('5')).toBe(5);
    expect(parseValue('"5"')).toBe('5');
    expect(parseValue('{"a":[1]}')).toEqual({ a: [1] });
    expect(parseValue('hello world')).toBe('hello world');
    expect(keyValues([['a', '1'], ['b', 'x'], ['a', 'true']], [{ key: 'f', value: 0 }])).toEqual([
      { key: 'f', value: 0 },
      { key: 'a', value: true },
      { key: 'b', value: 'x' },
    ]);
  });

  it('--web true|raw|false and --web-secure as wsk sets them', () => {
    const get = (list: { key: string; value: unknown }[], key: string) => list.find((kv) => kv.key === key)?.value;
    const web = applyWeb([{ key: 'description', value: 'd' }], 'true', undefined);
    expect([get(web, 'web-export'), get(web, 'raw-http'), get(web, 'final'), get(web, 'description')]).toEqual([true, false, true, 'd']);
    const raw = applyWeb([], 'raw', 'true');
    expect([get(raw, 'raw-http'), get(raw, 'require-whisk-auth')]).toEqual([true, true]);
    expect(get(applyWeb(raw, undefined, 's3cret'), 'require-whisk-auth')).toBe('s3cret');
    expect(applyWeb(raw, undefined, 'false').some((kv) => kv.key === 'require-whisk-auth')).toBe(false);
    const off = applyWeb(raw, 'false', undefined);
    expect([get(off, 'web-export'), get(off, 'raw-http'), get(off, 'final')]).toEqual([false, false, false]);
    expect(() => applyWeb([], 'maybe', undefined)).toThrow(/invalid argument 'maybe' for --web/);
    expect(() => applyWeb([], undefined, 'true')).toThrow(/only valid when the --web option is enabled/);
    expect([webMode(web), webMode(raw), webMode(off)]).toEqual(['web', 'raw', '']);
  });
});

describe('header comments', () => {
  it('reads //- and #- lines at column 0', () => {
    expect(headerLines('//--web true\n  //--not-this\n#--param A b\n// a comment\ncode()\n#-a k v')).toEqual(['--web true', '--param A b', '-a k v']);
  });

  it('splits words like the shell and expands variables without splitting them', () => {
    const missing: string[] = [];
    const env = { NAME: 'two words', EMPTY: '' };
    const words = splitWords(`--param A $NAME --param B "x $NAME y" --param C '$NAME' --param D \${UNSET:-dflt} --param E $UNSET --param F a\\ b`, {
      env,
      missing: (n) => missing.push(n),
    });
    expect(words).toEqual(['--param', 'A', 'two words', '--param', 'B', 'x two words y', '--param', 'C', '$NAME', '--param', 'D', 'dflt', '--param', 'E', '', '--param', 'F', 'a b']);
    expect(missing).toEqual(['UNSET']);
    expect(() => splitWords(`--param A "open`, { env })).toThrow(/unterminated/);
  });

  it('.env files', () => {
    expect(parseDotEnv('# c\nexport A=1\nB="two"\nC = three\n\nbad\n')).toEqual({ A: '1', B: 'two', C: 'three' });
  });
});

describe('artifacts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgewhisk-artifact-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('infers kinds from extensions and folder contents', () => {
    expect(kindOfFile('a.js')).toBe('nodejs:default');
    expect(kindOfFile('a.py')).toBe('python:default');
    expect(kindOfFile('a.txt')).toBeUndefined();
    expect(kindOfFolder(['index.js'])).toBe('nodejs:default');
    expect(kindOfFolder(['__main__.py', 'requirements.txt'])).toBe('python:default');
    writeFileSync(join(dir, 'x.py'), 'def main(a):\n  return a\n');
    expect(readArtifact(join(dir, 'x.py'), undefined, undefined).exec).toEqual({ kind: 'python:default', code: 'def main(a):\n  return a\n' });
    writeFileSync(join(dir, 'x.zip'), 'PK');
    expect(() => readArtifact(join(dir, 'x.zip'), undefined, undefined)).toThrow(/requires specifying the action kind/);
    expect(readArtifact(join(dir, 'x.zip'), 'nodejs:20', 'run').exec).toEqual({ kind: 'nodejs:20', code: Buffer.from('PK').toString('base64'), main: 'run' });
    expect(() => readArtifact(join(dir, 'missing.js'), undefined, undefined)).toThrow(/does not exist/);
    writeFileSync(join(dir, 'x.txt'), '');
    expect(() => readArtifact(join(dir, 'x.txt'), undefined, undefined)).toThrow(/give --kind/);
  });

  it('zips folders deterministically, without .git', () => {
    const folder = join(dir, 'action');
    mkdirSync(join(folder, 'lib'), { recursive: true });
    mkdirSync(join(folder, '.git'), { recursive: true });
    writeFileSync(join(folder, 'index.js'), 'exports.main = () => ({})');
    writeFileSync(join(folder, 'lib', 'util.js'), 'module.exports = 1');
    writeFileSync(join(folder, '.git', 'HEAD'), 'ref');
    const first = zipFolder(folder);
    const again = zipFolder(folder);
    expect(Buffer.from(first.zip).equals(Buffer.from(again.zip))).toBe(true);
    expect(Object.keys(unzipSync(first.zip)).sort()).toEqual(['index.js', 'lib/util.js']);
    const artifact = readArtifact(folder, undefined, undefined);
    expect(artifact).toMatchObject({ form: 'folder', files: 2, exec: { kind: 'nodejs:default' } });
  });
});

describe('deploy comparisons', () => {
  const existing = {
    namespace: 'guest/p',
    name: 'a',
    exec: { kind: 'nodejs:24', code: 'x', binary: false },
    parameters: [{ key: 'PKG', value: 1 }, { key: 'A', value: 'b' }],
    annotations: [{ key: 'exec', value: 'nodejs:24' }, { key: 'provide-api-key', value: false }, { key: 'web-export', value: true }],
    limits: { timeout: 5000, memory: 256 },
  };
  const desired = { exec: { kind: 'nodejs:default', code: 'x' }, parameters: [{ key: 'A', value: 'b' }], annotations: [{ key: 'web-export', value: true }], limits: { timeout: 5000 } };
  const defaults = new Map([['nodejs', 'nodejs:24']]);

  it('the same action (package parameters merged in, server annotations aside) is unchanged', () => {
    expect(actionChanges(existing, desired, defaults, [{ key: 'PKG', value: 1 }])).toEqual([]);
    expect(actionChanges(existing, desired, new Map(), [{ key: 'PKG', value: 1 }])).toEqual([]);
  });

  it('names what differs', () => {
    expect(actionChanges(existing, { ...desired, exec: { kind: 'nodejs:20', code: 'y', main: 'm' } }, defaults, [{ key: 'PKG', value: 1 }])).toEqual(['kind', 'code', 'main']);
    expect(actionChanges(existing, { ...desired, parameters: [], annotations: [], limits: { timeout: 1 } }, defaults)).toEqual(['parameters', 'annotations', 'limits']);
    expect(packageChanges({ namespace: 'g', name: 'p', parameters: [], annotations: [], publish: false }, { parameters: [{ key: 'a', value: 1 }], annotations: [], publish: true })).toEqual([
      'parameters',
      'shared',
    ]);
  });
});

describe('output and times', () => {
  it('aligns tables', () => {
    expect(formatTable(['A', 'BB'], [['xxx', 'y'], ['z', 'long value']])).toEqual(['A    BB', 'xxx  y', 'z    long value']);
  });

  it('relative times and durations', () => {
    const now = 1_000_000_000_000;
    expect(relativeTime(now - 1000, now)).toBe('just now');
    expect(relativeTime(now - 1000 * 42, now)).toBe('42 seconds ago');
    expect(relativeTime(now - 60_000, now)).toBe('1 minute ago');
    expect(relativeTime(now - 2 * 3600_000 - 5, now)).toBe('2 hours ago');
    expect(relativeTime(now + 3 * 86_400_000, now)).toBe('in 3 days');
    expect([formatDuration(3), formatDuration(1234), formatDuration(125_000)]).toEqual(['3 ms', '1.2 s', '2 min 5 s']);
  });

  it('--since takes epoch ms, ISO dates and ages', () => {
    const now = 1_700_000_000_000;
    expect(parseTime('1699999999000', now, '--since')).toBe(1_699_999_999_000);
    expect(parseTime('10m', now, '--since')).toBe(now - 600_000);
    expect(parseTime('1d', now, '--since')).toBe(now - 86_400_000);
    expect(parseTime('2023-11-14T22:13:20Z', now, '--since')).toBe(now);
    expect(() => parseTime('yesterday', now, '--since')).toThrow(/--since takes/);
    expect(stripLogLine('2026-01-01T00:00:00.000Z stdout: hello: world')).toBe('hello: world');
  });

  it("HTTP errors carry the server's message and code", () => {
    const error = httpError({ status: 404, body: { error: 'The requested resource does not exist.', code: 'abc' }, headers: new Headers() });
    expect(error.message).toBe('The requested resource does not exist. (HTTP 404, code abc)');
    expect(httpError({ status: 502, body: '', headers: new Headers() }).message).toBe('Bad gateway. (HTTP 502)');
  });
});
