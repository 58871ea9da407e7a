/** Runs runtimes/python/proxy.py as a local process (no container), its output into a LogCollector. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogCollector } from '../../src/runners/docker/logs.ts';
import { ActionProxyClient } from '../../src/runners/docker/protocol.ts';

export const PYTHON = process.env.PYTHON ?? 'python3';
export const RUNTIMES = new URL('../../runtimes/', import.meta.url).pathname;
export const PROXY = join(RUNTIMES, 'python/proxy.py');

export function pythonAvailable(): boolean {
  return spawnSync(PYTHON, ['--version']).status === 0;
}

export interface LocalProxy {
  client: ActionProxyClient;
  logs: LogCollector;
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

export async function startLocalProxy(env: Record<string, string> = {}): Promise<LocalProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'edgewhisk-proxy-'));
  const child = spawn(PYTHON, [PROXY], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', OW_ACTION_DIR: dir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs = new LogCollector(() => Date.now());
  child.stdout!.on('data', (chunk: Buffer) => logs.write('stdout', chunk));
  let announced = '';
  const port = await new Promise<number>((resolve, reject) => {
    const onErr = (chunk: Buffer): void => {
      announced += chunk.toString();
      const match = /listening on (\d+)\n/.exec(announced);
      if (!match) return;
      child.stderr!.off('data', onErr);
      // After the announcement, stderr is the action's.
      const rest = announced.slice(match.index + match[0].length);
      if (rest) logs.write('stderr', Buffer.from(rest));
      child.stderr!.on('data', (c: Buffer) => logs.write('stderr', c));
      resolve(Number(match[1]));
    };
    child.stderr!.on('data', onErr);
    child.once('exit', (code) => reject(new Error(`proxy exited with ${code} before listening: ${announced}`)));
  });
  const client = new ActionProxyClient({ host: '127.0.0.1', port });
  return {
    client,
    logs,
    child,
    port,
    async stop() {
      client.close();
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves when both sentinels arrived, or fails after `ms`. */
export async function sentinels(logs: LogCollector, ms = 5_000): Promise<void> {
  const ended = await logs.waitForEnd(ms, (cb, t) => {
    const handle = setTimeout(cb, t);
    return { clear: () => clearTimeout(handle) };
  });
  if (!ended) throw new Error('the sentinels did not arrive');
}
