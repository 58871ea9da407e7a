/**
 * The line a started server prints once it serves, and how a parent process waits for it: the
 * benchmarks, and the tests that start a server (or the bundle, or the single binary) as a process
 * of its own, read the URL from it.
 */
import type { ChildProcess } from 'node:child_process';

export function listeningLine(version: string, url: string, dataDir: string): string {
  return `edgewhisk ${version} listening on ${url} (data in ${dataDir})`;
}

const LISTENING = /listening on (http:\/\/\S+)/;

/**
 * Resolves with the URL `child` announces (on stdout or stderr, whichever it has piped); rejects
 * when it exits first, or after `timeoutMs`, with everything it printed until then.
 */
export function announcedUrl(child: ChildProcess, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const streams = [child.stdout, child.stderr].filter((stream) => stream !== null);
    const settle = (): void => {
      clearTimeout(timer);
      for (const stream of streams) stream.off('data', onData);
      child.off('exit', onExit);
    };
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = LISTENING.exec(output);
      if (!match) return;
      settle();
      resolve(match[1]!);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      settle();
      reject(new Error(`the server exited (${code ?? signal}) before it was listening:\n${output}`));
    };
    const timer = setTimeout(() => {
      settle();
      reject(new Error(`the server was not listening after ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    for (const stream of streams) stream.on('data', onData);
    child.on('exit', onExit);
  });
}
