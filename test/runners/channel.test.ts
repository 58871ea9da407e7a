/**
 * The frames between the server and an isolate worker (src/runners/workers/channel.ts), over a real
 * Unix socket: a payload crosses untouched whatever it holds, and messages batched into one write
 * arrive whole and in order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Channel } from '../../src/runners/workers/channel.ts';

interface Received {
  message: unknown;
  payload: string | undefined;
}

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const step of cleanup.reverse()) step();
  cleanup = [];
});

/** Two channels joined by a Unix socket; `received` collects what the second one gets. */
async function pair(): Promise<{ sender: Channel; received: Received[]; arrived: (n: number) => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'channel-'));
  const path = join(dir, 'sock');
  const server: Server = createServer();
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const client = connect(path);
  const serverSide = await accepted;
  const received: Received[] = [];
  let waiter: (() => void) | undefined;
  let want = 0;
  const receiver = new Channel(serverSide, (message, payload) => {
    received.push({ message, payload });
    if (waiter && received.length >= want) waiter();
  }, (error) => { throw error; });
  const sender = new Channel(client, () => undefined, (error) => { throw error; });
  cleanup.push(() => {
    sender.destroy();
    receiver.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const arrived = (n: number): Promise<void> =>
    received.length >= n ? Promise.resolve() : new Promise((resolve) => { want = n; waiter = resolve; });
  return { sender, received, arrived };
}

describe('worker channel frames', () => {
  it('carries a payload untouched: newlines, JSON-looking text, multi-byte characters', async () => {
    const { sender, received, arrived } = await pair();
    const payloads = ['', '\n', 'a\nb\n\nc', '{"c":0,"r":{"x":"\\n"},"l":[]}', 'héllo wörld — 日本語 — 🚀🚀', 'x'.repeat(70_000)];
    payloads.forEach((payload, i) => sender.send({ t: 'run', id: i }, payload));
    sender.send({ t: 'ping' });
    await arrived(payloads.length + 1);
    expect(received).toEqual([
      ...payloads.map((payload, i) => ({ message: { t: 'run', id: i }, payload })),
      { message: { t: 'ping' }, payload: undefined },
    ]);
  });

  it('sizes a large batch exactly and keeps its order (action code in the header, payloads after)', async () => {
    const { sender, received, arrived } = await pair();
    const code = `function main() { return ${JSON.stringify('é'.repeat(300_000))} }`;
    sender.send({ t: 'run', id: 1, action: { code } }, '{"p":{}}');
    for (let i = 2; i <= 500; i++) sender.send({ t: 'run', id: i }, `{"p":{"i":${i},"s":"ü✓"}}`);
    await arrived(500);
    expect(received[0]).toEqual({ message: { t: 'run', id: 1, action: { code } }, payload: '{"p":{}}' });
    expect(received.map((r) => (r.message as { id: number }).id)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(received[499]!.payload).toBe('{"p":{"i":500,"s":"ü✓"}}');
  });

  it('sends what beforeFlush adds last in the same write', async () => {
    const { sender, received, arrived } = await pair();
    sender.beforeFlush = () => ({ t: 'stats', n: 1 });
    sender.send({ t: 'output', id: 7 }, 'out');
    await arrived(2);
    expect(received).toEqual([
      { message: { t: 'output', id: 7 }, payload: 'out' },
      { message: { t: 'stats', n: 1 }, payload: undefined },
    ]);
  });
});
