/**
 * The container runner's protocol client against the Python proxy started as a local process (no
 * Docker): init (plain, zip, virtualenv), run, the __OW_* environment, sentinels, errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { ActionProxyClient, initBody, initOutcome, ProxyCallError, runBody, runOutcome, TIMED_OUT, type ProxyReply } from '../../src/runners/docker/protocol.ts';
import { pythonAvailable, sentinels, startLocalProxy, type LocalProxy } from './local-proxy.ts';
import { virtualenvZip, zipBase64 } from './zips.ts';

const ENV = {
  __OW_NAMESPACE: 'guest',
  __OW_ACTION_NAME: '/guest/pkg/py',
  __OW_ACTION_VERSION: '0.0.3',
  __OW_ACTIVATION_ID: 'a'.repeat(32),
  __OW_TRANSACTION_ID: 'tx1',
  __OW_DEADLINE: '1893456000000',
  __OW_API_HOST: 'http://127.0.0.1:3233',
};

const hasPython = pythonAvailable();
if (!hasPython) console.warn('protocol tests skipped: no python3 on PATH');

describe.skipIf(!hasPython)('action-runtime protocol against the Python proxy (local process)', () => {
  let proxy: LocalProxy | undefined;
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });

  async function init(code: string, extra: { main?: string; binary?: boolean; env?: Record<string, string> } = {}): Promise<ProxyReply> {
    proxy ??= await startLocalProxy();
    return proxy.client.post('/init', initBody({ name: 'py', main: extra.main ?? 'main', code, binary: extra.binary ?? false, env: extra.env ?? ENV }));
  }

  async function run(params: Record<string, unknown>, env: Record<string, string> = ENV): Promise<ProxyReply> {
    return proxy!.client.post('/run', runBody(params, env), { maxBytes: 1 << 20 });
  }

  it('init plain code, then runs: result, status, logs up to both sentinels', async () => {
    const code = 'import sys\nprint("loading")\n\ndef main(args):\n    print("hello", args["name"])\n    print("to stderr", file=sys.stderr)\n    return {"greeting": "hello " + args["name"]}\n';
    const reply = await init(code);
    expect(reply.status).toBe(200);
    expect(initOutcome(reply)).toBeUndefined();
    proxy!.logs.begin(1 << 20);
    const first = await run({ name: 'edge' });
    expect(runOutcome(first, 1 << 20)).toEqual({ statusCode: 0, result: { greeting: 'hello edge' } });
    await sentinels(proxy!.logs);
    expect(proxy!.logs.take().map((l) => l.replace(/^\S+ /, ''))).toEqual(['stdout: loading', 'stdout: hello edge', 'stderr: to stderr']);
    proxy!.logs.begin(1 << 20);
    expect(runOutcome(await run({ name: 'again' }), 1 << 20).result).toEqual({ greeting: 'hello again' });
    await sentinels(proxy!.logs);
    expect(proxy!.logs.take().map((l) => l.replace(/^\S+ /, ''))).toEqual(['stdout: hello again', 'stderr: to stderr']);
  });

  it('every activation field reaches the action as __OW_<KEY>, and init env as given', async () => {
    const code = 'import os\n\ndef main(args):\n    return {k: v for k, v in os.environ.items() if k.startswith("__OW_") or k == "SECRET"}\n';
    await init(code, { env: { ...ENV, SECRET: 'from-init' } });
    const env = runOutcome(await run({ x: 1 }, { ...ENV, __OW_API_KEY: 'uuid:key' }), 1 << 20).result as Record<string, string>;
    expect(env).toMatchObject({
      __OW_NAMESPACE: 'guest',
      __OW_ACTION_NAME: '/guest/pkg/py',
      __OW_ACTION_VERSION: '0.0.3',
      __OW_ACTIVATION_ID: 'a'.repeat(32),
      __OW_TRANSACTION_ID: 'tx1',
      __OW_DEADLINE: '1893456000000',
      __OW_API_KEY: 'uuid:key',
      __OW_API_HOST: 'http://127.0.0.1:3233',
      SECRET: 'from-init',
    });
    expect(env).not.toHaveProperty('__OW_VALUE');
    const next = runOutcome(await run({}, { ...ENV, __OW_ACTIVATION_ID: 'b'.repeat(32) }), 1 << 20).result as Record<string, string>;
    expect(next.__OW_ACTIVATION_ID).toBe('b'.repeat(32));
  });

  it('the /run body carries value and the lower-case activation fields, not the API host', () => {
    expect(JSON.parse(runBody({ a: 1 }, { ...ENV, __OW_API_KEY: 'k' }))).toEqual({
      value: { a: 1 },
      namespace: 'guest',
      action_name: '/guest/pkg/py',
      action_version: '0.0.3',
      activation_id: 'a'.repeat(32),
      transaction_id: 'tx1',
      deadline: '1893456000000',
      api_key: 'k',
    });
  });

  it('a zip action with __main__.py and a helper module', async () => {
    const code = zipBase64({
      '__main__.py': 'from helper import double\n\ndef handler(args):\n    return {"doubled": double(args["n"])}\n',
      'helper.py': 'def double(n):\n    return 2 * n\n',
    });
    expect((await init(code, { binary: true, main: 'handler' })).status).toBe(200);
    expect(runOutcome(await run({ n: 21 }), 1 << 20)).toEqual({ statusCode: 0, result: { doubled: 42 } });
  });

  it('a zip action with its dependencies in a bundled virtualenv', async () => {
    expect((await init(virtualenvZip(), { binary: true })).status).toBe(200);
    const result = runOutcome(await run({ name: 'venv' }), 1 << 20).result as { greeting: string; where: string };
    expect(result.greeting).toBe('hello venv from the virtualenv');
    expect(result.where).toContain('/virtualenv/lib/');
  });

  it('an exception is an application error; its traceback is in the logs', async () => {
    await init('def main(args):\n    raise ValueError("bad input: " + str(args.get("n")))\n');
    proxy!.logs.begin(1 << 20);
    const reply = await run({ n: 7 });
    expect(reply.status).toBe(200);
    expect(runOutcome(reply, 1 << 20)).toEqual({ statusCode: 1, result: { error: 'bad input: 7' } });
    await sentinels(proxy!.logs);
    expect(proxy!.logs.take().join('\n')).toContain('stderr: ValueError: bad input: 7');
  });

  it('a result that is no dictionary is a developer error (502 from the proxy)', async () => {
    await init('def main(args):\n    return 42\n');
    const reply = await run({});
    expect(reply.status).toBe(502);
    expect(runOutcome(reply, 1 << 20)).toEqual({ statusCode: 2, result: { error: 'The action did not return a dictionary or array.' } });
  });

  it('an array result is a success', async () => {
    await init('def main(args):\n    return [1, {"two": 2}]\n');
    expect(runOutcome(await run({}), 1 << 20)).toEqual({ statusCode: 0, result: [1, { two: 2 }] });
  });

  it('a result over the limit is a developer error with upstream’s message', async () => {
    await init('def main(args):\n    return {"big": "x" * 2000}\n');
    const reply = await proxy!.client.post('/run', runBody({}, ENV), { maxBytes: 1000 });
    expect(reply.size).toBeGreaterThan(2000);
    expect(runOutcome(reply, 1000)).toEqual({ statusCode: 2, result: { error: `The action produced a response that exceeded the allowed length: ${reply.size} > 1000 bytes.` } });
  });

  it('run before init, init twice, no code: the proxy’s errors become developer errors', async () => {
    proxy = await startLocalProxy();
    const early = await run({});
    expect(early.status).toBe(500);
    expect(runOutcome(early, 1 << 20)).toEqual({ statusCode: 2, result: { error: 'no action defined yet' } });
    const empty = await init('');
    expect(empty.status).toBe(403);
    expect(initOutcome(empty)).toEqual({ statusCode: 2, result: { error: 'Missing main/no code to execute.' } });
    await init('def main(args):\n    return {}\n');
    const again = await init('def main(args):\n    return {}\n');
    expect(again.status).toBe(403);
    expect(initOutcome(again)).toEqual({ statusCode: 2, result: { error: 'Cannot initialize the action more than once.' } });
  });

  it('code that cannot start: 502 with the reason in the logs, and the sentinels', async () => {
    proxy = await startLocalProxy();
    proxy.logs.begin(1 << 20);
    const reply = await init('def main(args)\n    return {}\n');
    expect(reply.status).toBe(502);
    expect(initOutcome(reply)).toEqual({ statusCode: 2, result: { error: 'Cannot start action. Check logs for details.' } });
    await sentinels(proxy.logs);
    const logs = proxy.logs.take().join('\n');
    expect(logs).toContain('SyntaxError');
    expect(logs).toContain('Command exited abruptly during initialization.');
  });

  it('the action process dying mid-run: 400 command exited, then no action', async () => {
    await init('import os\n\ndef main(args):\n    os._exit(1)\n');
    const reply = await run({});
    expect(reply.status).toBe(400);
    expect(runOutcome(reply, 1 << 20)).toEqual({ statusCode: 2, result: { error: 'command exited' } });
    expect((await run({})).status).toBe(500);
  });

  it('a time limit aborts the call as a timeout', async () => {
    await init('import time\n\ndef main(args):\n    time.sleep(5)\n    return {}\n');
    const controller = new AbortController();
    setTimeout(() => controller.abort(TIMED_OUT), 100);
    const started = Date.now();
    const error = await proxy!.client.post('/run', runBody({}, ENV), { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProxyCallError);
    expect((error as ProxyCallError).reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('ready() waits for a listener, and gives up refused after its deadline', async () => {
    const spare = createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    const port = (spare.address() as { port: number }).port;
    await new Promise<void>((resolve) => spare.close(() => resolve()));
    const client = new ActionProxyClient({ host: '127.0.0.1', port });
    const refused = await client.ready(Date.now() + 50).catch((e: unknown) => e);
    expect((refused as ProxyCallError).reason).toBe('refused');
    const later = createServer();
    setTimeout(() => later.listen(port, '127.0.0.1'), 50);
    await client.ready(Date.now() + 5_000);
    await new Promise<void>((resolve) => later.close(() => resolve()));
    client.close();
  });

  it('init answers that are not the protocol’s become upstream’s messages', () => {
    expect(initOutcome({ status: 500, body: 'boom', size: 4 })).toEqual({ statusCode: 2, result: { error: 'The action failed during initialization: boom' } });
    expect(initOutcome({ status: 200, body: 'OK', size: 2 })).toBeUndefined();
    expect(runOutcome({ status: 200, body: 'not json', size: 8 }, 100)).toEqual({ statusCode: 2, result: { error: 'The action did not produce a valid JSON response: not json' } });
    expect(runOutcome({ status: 200, body: '', size: 0 }, 100)).toEqual({ statusCode: 2, result: { error: 'The action did not produce a valid JSON response.' } });
  });
});
