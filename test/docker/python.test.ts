/**
 * Python and blackbox actions through the container runner, on a real Docker engine, through the
 * real server and the official openwhisk client. Skipped (with the reason printed) when no engine
 * answers; CI runs an engine.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS, createBody } from '../../src/runners/docker/container.ts';
import { instanceFor } from '../../src/runners/docker/pool.ts';
import { ActionProxyClient } from '../../src/runners/docker/protocol.ts';
import { clientError, expectJson, type Json } from '../helpers/api.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { virtualenvZip } from '../runtimes/zips.ts';
import { containersOf, engine, eventually, skipReason } from './engine.ts';

if (skipReason) console.warn(`docker tests skipped: ${skipReason}`);

const SENTINEL = 'XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX';
/** An action that says which container ran it (Docker sets the hostname to the container id). */
const WHO = 'import os, time\n\ndef main(args):\n    time.sleep(args.get("sleep", 0))\n    print("ran in", os.uname().nodename)\n    return {"host": os.uname().nodename, "n": args.get("n")}\n';

function annotation(record: Json, key: string): unknown {
  return (record.annotations as { key: string; value: unknown }[]).find((a) => a.key === key)?.value;
}

describe.skipIf(!!skipReason)('python actions in containers', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ 'container-pause': '150' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const invoke = (name: string, params: Json = {}): Promise<Response> => t.request('POST', `/api/v1/namespaces/_/actions/${name}?blocking=true`, params);

  it('plain code (python:default): cold, then warm in the same container', async () => {
    const code = 'import sys\nprint("module loaded")\n\ndef main(args):\n    print("hello", args.get("name"))\n    print("a warning", file=sys.stderr)\n    return {"greeting": "hello " + args.get("name", "world")}\n';
    const created = (await t.ow.actions.create({ name: 'hello', action: code, kind: 'python:default' })) as Json;
    expect(created.exec).toMatchObject({ kind: 'python:3', binary: false });
    expect(created.annotations).toContainEqual({ key: 'exec', value: 'python:3' });

    const cold = await expectJson(await invoke('hello', { name: 'edge' }), 200);
    expect(cold.response).toEqual({ status: 'success', statusCode: 0, success: true, result: { greeting: 'hello edge' } });
    expect(annotation(cold, 'kind')).toBe('python:3');
    expect(annotation(cold, 'initTime')).toEqual(expect.any(Number));
    expect(annotation(cold, 'timeout')).toBe(false);
    const lines = (cold.logs as string[]).map((l) => l.replace(/^\S+ /, ''));
    expect(lines).toEqual(expect.arrayContaining(['stdout: module loaded', 'stdout: hello edge', 'stderr: a warning']));
    expect(lines).toHaveLength(3);
    for (const line of cold.logs as string[]) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z std(out|err): /);
    expect((cold.logs as string[]).join('\n')).not.toContain(SENTINEL);

    const warm = await expectJson(await invoke('hello', { name: 'again' }), 200);
    expect(warm.response.result).toEqual({ greeting: 'hello again' });
    expect(annotation(warm, 'initTime')).toBeUndefined();
    expect((warm.logs as string[]).map((l) => l.replace(/^\S+ /, '')).sort()).toEqual(['stderr: a warning', 'stdout: hello again']);
    expect(await t.ow.actions.invoke({ name: 'hello', params: { name: 'client' }, blocking: true, result: true })).toEqual({ greeting: 'hello client' });
  });

  it('a zip action whose dependency is in a bundled virtualenv', async () => {
    await t.ow.actions.create({ name: 'venv', action: Buffer.from(virtualenvZip(), 'base64'), kind: 'python:3' });
    const action = (await t.ow.actions.get({ name: 'venv' })) as Json;
    expect(action.exec.binary).toBe(true);
    const result = (await t.ow.actions.invoke({ name: 'venv', params: { name: 'zip' }, blocking: true, result: true })) as Json;
    expect(result.greeting).toBe('hello zip from the virtualenv');
  });

  it('the activation’s environment and init parameters reach the action', async () => {
    const code = 'import os\n\ndef main(args):\n    return {k: os.environ.get(k) for k in ("__OW_ACTION_NAME", "__OW_NAMESPACE", "__OW_ACTIVATION_ID", "__OW_DEADLINE", "__OW_API_HOST", "SECRET")}\n';
    await t.ow.actions.create({ name: 'env', action: code, kind: 'python:3', params: {} });
    await t.request('PUT', '/api/v1/namespaces/_/actions/env?overwrite=true', { parameters: [{ key: 'SECRET', value: { a: 1 }, init: true }] });
    const record = await expectJson(await invoke('env'), 200);
    const env = record.response.result as Record<string, string>;
    expect(env.__OW_ACTION_NAME).toBe('/guest/env');
    expect(env.__OW_NAMESPACE).toBe('guest');
    expect(env.__OW_ACTIVATION_ID).toBe(record.activationId);
    expect(Number(env.__OW_DEADLINE)).toBeGreaterThan(Date.now());
    expect(env.__OW_API_HOST).toBe(t.url);
    expect(env.SECRET).toBe('{"a":1}');
  });

  it('an exception is an application error (502), its traceback in the logs', async () => {
    await t.ow.actions.create({ name: 'raises', action: 'def main(args):\n    raise ValueError("bad input")\n', kind: 'python:3' });
    const record = await expectJson(await invoke('raises'), 502);
    expect(record.response).toEqual({ status: 'application error', statusCode: 1, success: false, result: { error: 'bad input' } });
    expect((record.logs as string[]).join('\n')).toContain('stderr: ValueError: bad input');
    const failure = await clientError(t.ow.actions.invoke({ name: 'raises', blocking: true, result: true }));
    expect(failure.statusCode).toBe(502);
  });

  it('a result that is no dictionary, and code that does not start, are developer errors', async () => {
    await t.ow.actions.create({ name: 'number', action: 'def main(args):\n    return 42\n', kind: 'python:3' });
    const number = await expectJson(await invoke('number'), 502);
    expect(number.response).toMatchObject({ status: 'action developer error', result: { error: 'The action did not return a dictionary or array.' } });
    await t.ow.actions.create({ name: 'broken', action: 'def main(args)\n    return {}\n', kind: 'python:3' });
    const broken = await expectJson(await invoke('broken'), 502);
    expect(broken.response).toMatchObject({ status: 'action developer error', result: { error: 'Cannot start action. Check logs for details.' } });
    expect((broken.logs as string[]).join('\n')).toContain('SyntaxError');
  });

  it('a timeout answers 502 within the limit, the container is destroyed, the next call works', async () => {
    await t.ow.actions.create({ name: 'slow', action: WHO, kind: 'python:3', limits: { timeout: 1000 } });
    const first = await expectJson(await invoke('slow', { n: 1 }), 200);
    const started = Date.now();
    const record = await expectJson(await invoke('slow', { sleep: 30 }), 502);
    expect(Date.now() - started).toBeLessThan(1000 + 1500);
    expect(record.response).toMatchObject({ status: 'action developer error', statusCode: 2, result: { error: 'The action exceeded its time limits of 1000 milliseconds.' } });
    expect(annotation(record, 'timeout')).toBe(true);
    const next = await expectJson(await invoke('slow', { n: 3 }), 200);
    expect(next.response.result.n).toBe(3);
    // The timed-out container was never reused: the next call ran elsewhere.
    expect(next.response.result.host).not.toBe(first.response.result.host);
    const hosts = await eventually(async () => (await containersOf(t.dataDir)).map((c) => c.Id.slice(0, 12)), (ids) => !ids.includes(first.response.result.host));
    expect(hosts).not.toContain(first.response.result.host);
  });

  it('containers carry the action’s memory limit, OpenWhisk’s hardening and labels naming the server', async () => {
    await t.ow.actions.create({ name: 'limited', action: WHO, kind: 'python:3', limits: { memory: 192 } });
    const { host } = (await t.ow.actions.invoke({ name: 'limited', blocking: true, result: true })) as Json;
    const details = await engine!.call<Json>('GET', `/containers/${host}/json`);
    expect(details.HostConfig).toMatchObject({
      Memory: 192 * 1_048_576,
      MemorySwap: 192 * 1_048_576,
      PidsLimit: 1024,
      SecurityOpt: ['no-new-privileges'],
      Init: true,
      Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 1024 }],
      CapDrop: ['ALL'],
    });
    expect(details.Config.Labels).toMatchObject({
      [LABELS.instance]: instanceFor(t.dataDir),
      [LABELS.host]: hostname(),
      [LABELS.pid]: String(process.pid),
      [LABELS.kind]: 'python:3',
    });
    // A prewarmed container keeps the label it was started with (labels cannot change).
    expect(details.Config.Labels[LABELS.action]).toMatch(/^(guest\/limited@0\.0\.1#\d+|stem:edgewhisk\/python:3)$/);
  });

  it('an idle container is paused, and unpaused for the next activation', async () => {
    await t.ow.actions.create({ name: 'pausing', action: WHO, kind: 'python:3' });
    const first = await expectJson(await invoke('pausing', { n: 1 }), 200);
    const host = first.response.result.host as string;
    const paused = await eventually(
      async () => (await engine!.inspect(host)).State.Paused,
      (p) => p,
      5_000,
    );
    expect(paused).toBe(true);
    const second = await expectJson(await invoke('pausing', { n: 2 }), 200);
    expect(second.response.result).toEqual({ host, n: 2 });
    expect(annotation(second, 'initTime')).toBeUndefined();
  });

  it('concurrent activations get a container each, reused afterwards', async () => {
    await t.ow.actions.create({ name: 'parallel', action: WHO, kind: 'python:3' });
    const round = async (): Promise<string[]> => {
      const records = await Promise.all([1, 2, 3].map(async (n) => expectJson(await invoke('parallel', { n, sleep: 0.5 }), 200)));
      return records.map((r) => r.response.result.host as string);
    };
    const first = await round();
    expect(new Set(first).size).toBe(3);
    const second = await round();
    expect(new Set(second).size).toBe(3);
    for (const host of second) expect(first).toContain(host);
  });

  it('an update runs the new code; the old version’s containers go', async () => {
    await t.ow.actions.create({ name: 'versioned', action: 'def main(args):\n    return {"v": 1}\n', kind: 'python:3' });
    expect(await t.ow.actions.invoke({ name: 'versioned', blocking: true, result: true })).toEqual({ v: 1 });
    await t.ow.actions.update({ name: 'versioned', action: 'def main(args):\n    return {"v": 2}\n', kind: 'python:3' });
    expect(await t.ow.actions.invoke({ name: 'versioned', blocking: true, result: true })).toEqual({ v: 2 });
    const versions = async (): Promise<string[]> =>
      (await containersOf(t.dataDir)).map((c) => c.Labels[LABELS.action] ?? '').filter((k) => k.startsWith('guest/versioned@')).map((k) => k.slice('guest/versioned@'.length, k.indexOf('#')));
    expect(await eventually(versions, (v) => !v.includes('0.0.1'))).toEqual(['0.0.2']);
  });

  it('a container that died while idle is replaced; one that dies mid-run is a developer error', async () => {
    await t.ow.actions.create({ name: 'fragile', action: WHO, kind: 'python:3' });
    const first = await expectJson(await invoke('fragile', { n: 1 }), 200);
    await engine!.remove(first.response.result.host);
    const replaced = await expectJson(await invoke('fragile', { n: 2 }), 200);
    expect(replaced.response.result.host).not.toBe(first.response.result.host);

    const running = invoke('fragile', { n: 3, sleep: 5 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await engine!.remove(replaced.response.result.host);
    const lost = await expectJson(await running, 502);
    expect(lost.response).toMatchObject({ status: 'action developer error', result: { error: 'The action did not produce a valid response and exited unexpectedly.' } });
    expect((await expectJson(await invoke('fragile', { n: 4 }), 200)).response.result.n).toBe(4);
  });

  it('exhausting its memory is reported as such', async () => {
    const code = 'def main(args):\n    hog = [bytearray(1 << 20) for _ in range(args.get("mb", 1))]\n    return {"mb": len(hog)}\n';
    await t.ow.actions.create({ name: 'hog', action: code, kind: 'python:3', limits: { memory: 128 } });
    const record = await expectJson(await invoke('hog', { mb: 400 }), 502);
    expect(record.response).toMatchObject({ status: 'action developer error', result: { error: 'The action exhausted its memory and was aborted.' } });
    expect((await expectJson(await invoke('hog', { mb: 10 }), 200)).response.result).toEqual({ mb: 10 });
  });

  it('logs are bounded by limits.logs', async () => {
    await t.ow.actions.create({ name: 'chatty', action: 'def main(args):\n    for i in range(5000):\n        print("line", i, "x" * 200)\n    return {}\n', kind: 'python:3', limits: { logs: 1 } });
    const record = await expectJson(await invoke('chatty'), 200);
    const logs = record.logs as string[];
    expect(logs.length).toBeLessThan(5000);
    expect(logs.at(-1)).toMatch(/stderr: Logs were truncated because the total bytes size exceeds the limit of 1048576 bytes\.$/);
  });

  it('a blackbox action on the built image', async () => {
    const created = await t.request('PUT', '/api/v1/namespaces/_/actions/box', { exec: { kind: 'blackbox', image: 'edgewhisk/python:3', code: 'def main(args):\n    return {"boxed": args.get("x")}\n' } });
    const action = await expectJson(created, 200);
    expect(action.exec).toMatchObject({ kind: 'blackbox', image: 'edgewhisk/python:3' });
    expect(await t.ow.actions.invoke({ name: 'box', params: { x: 5 }, blocking: true, result: true })).toEqual({ boxed: 5 });
    expect(await t.ow.actions.invoke({ name: 'box', params: { x: 6 }, blocking: true, result: true })).toEqual({ boxed: 6 });
  });

  it('a blackbox image that cannot be pulled is a developer error', async () => {
    await expectJson(await t.request('PUT', '/api/v1/namespaces/_/actions/nobox', { exec: { kind: 'blackbox', image: 'edgewhisk/no-such-image:1' } }), 200);
    const record = await expectJson(await invoke('nobox'), 502);
    expect(record.response).toMatchObject({ status: 'action developer error', result: { error: "Failed to pull container image 'edgewhisk/no-such-image:1'." } });
  });
});

describe.skipIf(!!skipReason)('container lifecycle', () => {
  it('the memory cap: idle containers of other actions make room; activations beyond it wait their turn', async () => {
    const t = await startTestServer({ 'container-memory': '256', 'container-prewarm': '0' });
    try {
      await t.ow.actions.create({ name: 'a', action: WHO, kind: 'python:3' });
      await t.ow.actions.create({ name: 'b', action: WHO, kind: 'python:3' });
      const a = (await t.ow.actions.invoke({ name: 'a', blocking: true, result: true })) as Json;
      expect((await containersOf(t.dataDir)).map((c) => c.Id.slice(0, 12))).toEqual([a.host]);
      const b = (await t.ow.actions.invoke({ name: 'b', blocking: true, result: true })) as Json;
      const left = await eventually(async () => (await containersOf(t.dataDir)).map((c) => c.Id.slice(0, 12)), (ids) => ids.length === 1);
      expect(left).toEqual([b.host]);
      const started = Date.now();
      const both = await Promise.all([1, 2].map((n) => t.ow.actions.invoke({ name: 'b', params: { n, sleep: 0.7 }, blocking: true, result: true }) as Promise<Json>));
      expect(both.map((r) => r.host)).toEqual([b.host, b.host]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    } finally {
      await t.close();
    }
  });

  it('after a first cold start, a prewarmed container takes the next new action', async () => {
    const t = await startTestServer();
    try {
      // Labels cannot change: a prewarmed container keeps its `stem:` label after it is taken.
      const stems = async (): Promise<string[]> => (await containersOf(t.dataDir)).filter((c) => c.Labels[LABELS.action]?.startsWith('stem:')).map((c) => c.Id.slice(0, 12));
      await t.ow.actions.create({ name: 'first', action: WHO, kind: 'python:3' });
      const first = (await t.ow.actions.invoke({ name: 'first', blocking: true, result: true })) as Json;
      const [stem] = await eventually(stems, (ids) => ids.length === 1);
      expect(stem).toBeDefined();
      expect(stem).not.toBe(first.host);
      // Started (it has an address) and listening.
      const ip = await eventually(async () => (await engine!.inspect(stem!)).NetworkSettings.IPAddress ?? '', (address) => address !== '');
      const probe = new ActionProxyClient({ host: ip, port: 8080 });
      await probe.ready(Date.now() + 10_000);
      probe.close();

      await t.ow.actions.create({ name: 'second', action: WHO, kind: 'python:3', limits: { memory: 128 } });
      const record = await expectJson(await t.request('POST', '/api/v1/namespaces/_/actions/second?blocking=true', { n: 2 }), 200);
      expect(record.response.result).toEqual({ host: stem, n: 2 });
      expect(annotation(record, 'initTime')).toEqual(expect.any(Number));
      // It took the action's memory limit.
      expect((await engine!.call<{ HostConfig: { Memory: number } }>('GET', `/containers/${stem}/json`)).HostConfig.Memory).toBe(128 * 1_048_576);
      // And the next one is on its way.
      expect(await eventually(stems, (ids) => ids.length === 2)).toHaveLength(2);
    } finally {
      await t.close();
    }
  });

  it('an idle container is removed after the idle time', async () => {
    const t = await startTestServer({ 'container-idle': '1000', 'container-prewarm': '0' });
    try {
      await t.ow.actions.create({ name: 'brief', action: WHO, kind: 'python:3' });
      await t.ow.actions.invoke({ name: 'brief', blocking: true, result: true });
      expect(await containersOf(t.dataDir)).toHaveLength(1);
      const started = Date.now();
      expect(await eventually(() => containersOf(t.dataDir), (c) => c.length === 0, 10_000)).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);
      // The next activation starts afresh.
      expect(((await t.ow.actions.invoke({ name: 'brief', params: { n: 2 }, blocking: true, result: true })) as Json).n).toBe(2);
    } finally {
      await t.close();
    }
  });

  it('closing the server removes its containers', async () => {
    const t = await startTestServer();
    await t.ow.actions.create({ name: 'c', action: WHO, kind: 'python:3' });
    await t.ow.actions.invoke({ name: 'c', blocking: true, result: true });
    expect((await containersOf(t.dataDir)).length).toBeGreaterThanOrEqual(1);
    const dataDir = t.dataDir;
    await t.close();
    expect(await containersOf(dataDir)).toEqual([]);
  });

  it('leftovers of a crashed server are removed at start; live servers’ containers are not', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'edgewhisk-leftovers-'));
    const dead = spawn('true');
    const deadPid = await new Promise<number>((resolve) => dead.on('exit', () => resolve(dead.pid!)));
    const alive = spawn('sleep', ['60']);
    const make = async (name: string, instance: string, pid: number): Promise<string> => {
      const body = createBody({ name, image: 'edgewhisk/python:3', key: 'guest/x@0.0.1#1', kind: 'python:3', memoryMb: 128, instance, apiHost: '', network: 'bridge', dropCapabilities: true });
      (body.Labels as Record<string, string>)[LABELS.pid] = String(pid);
      return engine!.createContainer(name, body);
    };
    const suffix = `${process.pid}-${Date.now()}`;
    const sameDir = await make(`leftover-same-${suffix}`, instanceFor(dataDir), alive.pid!);
    const deadServer = await make(`leftover-dead-${suffix}`, 'another-instance', deadPid);
    const liveServer = await make(`leftover-live-${suffix}`, 'another-instance', alive.pid!);
    const t = await startTestServer({ 'data-dir': dataDir });
    try {
      const exists = async (id: string): Promise<boolean> => (await engine!.list(LABELS.instance)).some((c) => c.Id === id);
      expect(await eventually(() => exists(sameDir), (e) => !e)).toBe(false);
      expect(await eventually(() => exists(deadServer), (e) => !e)).toBe(false);
      expect(await exists(liveServer)).toBe(true);
      expect(hostname()).toBeTruthy();
    } finally {
      await t.close();
      alive.kill();
      await engine!.remove(liveServer);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
