/**
 * The floor: a server made of nothing but the parts edgewhisk cannot do without, each used the
 * cheapest way, answering what edgewhisk answers — the least any server built from them could
 * spend on a request on this core. What edgewhisk spends beyond it is its own code; what the
 * floor spends beyond the bare uWS hello (ceiling) is the parts'.
 *
 * The parts: uWebSockets.js; the hello action run by isolated-vm in an isolate, the calls of an
 * event-loop turn in one isolate entry, their arguments and results as JSON text, in this process
 * or (FLOOR_ISOLATE=process, edgewhisk's default for containment) in a child process over a socket
 * pair, a turn's calls in one frame each way; and (FLOOR_RECORDS) an activation record per request,
 * the same document edgewhisk keeps, inserted by a worker thread into a SQLite file with
 * edgewhisk's schema — `eventual`: written in batches every 20 ms, the answer not waiting;
 * `durable`: a turn's answers sent once its records are committed. None of edgewhisk's semantics,
 * bookkeeping or checks: no routing, authentication, limits, logs or environment per activation.
 * GET answers as a `.json` web action (CORS and activation id headers, the result pretty-printed);
 * POST as a blocking invoke with `result=true` (its JSON body the parameters). The records go to a
 * directory of their own, removed at exit, or to FLOOR_DATA_DIR, kept.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import ivm from 'isolated-vm';
import uWS from 'uWebSockets.js';
import { HELLO } from '../hello.ts';
import type { FloorRows } from './floor-writer.ts';

/** Calls joined by \x01 (JSON text holds no raw control character), answered the same way. */
const RUN_BATCH = `${HELLO}
globalThis.runBatch = function (inputs) {
  const list = inputs.split('\\x01');
  let out = '';
  for (let i = 0; i < list.length; i++) {
    const result = JSON.stringify(main(JSON.parse(list[i])));
    out = i === 0 ? result : out + '\\x01' + result;
  }
  return out;
};`;

function isolateBatchRunner(): (inputs: string) => string {
  const isolate = new ivm.Isolate({ memoryLimit: 256 });
  const context = isolate.createContextSync();
  context.evalSync(RUN_BATCH);
  const runBatch = context.global.getSync('runBatch', { reference: true }) as ivm.Reference<(inputs: string) => string>;
  return (inputs) => runBatch.applySync(undefined, [inputs], { timeout: 60_000 }) as string;
}

/** Length-prefixed UTF-8 frames over a socket: `onFrame` gets each whole frame's text. */
function framed(socket: Socket, onFrame: (text: string) => void): (text: string) => void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let offset = 0;
    while (pending.length - offset >= 4) {
      const length = pending.readUInt32LE(offset);
      if (pending.length - offset - 4 < length) break;
      onFrame(pending.toString('utf8', offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    pending = pending.subarray(offset);
  });
  return (text) => {
    const frame = Buffer.allocUnsafe(4 + Buffer.byteLength(text));
    frame.writeUInt32LE(frame.write(text, 4), 0);
    socket.write(frame);
  };
}

if (process.argv[2] === 'isolate-process') {
  const { Socket } = await import('node:net');
  const run = isolateBatchRunner();
  const socket = new Socket({ fd: 3, readable: true, writable: true });
  const send = framed(socket, (inputs) => send(run(inputs)));
  socket.on('close', () => process.exit(0));
} else {
  await serve();
}

async function serve(): Promise<void> {
  const isolateMode = process.env.FLOOR_ISOLATE === 'process' ? 'process' : 'server';
  const records = process.env.FLOOR_RECORDS === 'eventual' || process.env.FLOOR_RECORDS === 'durable' ? process.env.FLOOR_RECORDS : 'none';

  /** Runs a turn's calls; `done` gets their results in order. */
  let runBatch: (inputs: string, done: (outputs: string) => void) => void;
  if (isolateMode === 'server') {
    const run = isolateBatchRunner();
    runBatch = (inputs, done) => done(run(inputs));
  } else {
    const child = spawn(process.execPath, ['--no-node-snapshot', process.argv[1]!, 'isolate-process'], { stdio: ['ignore', 'inherit', 'inherit', 'pipe'] });
    const waiting: ((outputs: string) => void)[] = [];
    const send = framed(child.stdio[3] as Socket, (outputs) => waiting.shift()!(outputs));
    runBatch = (inputs, done) => {
      waiting.push(done);
      send(inputs);
    };
  }

  let writer: Worker | undefined;
  let dataDir: string | undefined;
  let rows: FloorRows = [];
  const committed: (() => void)[] = [];
  if (records !== 'none') {
    // FLOOR_DATA_DIR (tests): records kept there, not in a directory of its own removed at exit.
    dataDir = process.env.FLOOR_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'edgewhisk-floor-'));
    writer = new Worker(new URL('./floor-writer.ts', import.meta.url), { workerData: dataDir });
    // In order: the writer answers each batch once it is committed.
    writer.on('message', () => committed.shift()?.());
    if (records === 'eventual') {
      setInterval(() => {
        if (rows.length === 0) return;
        writer!.postMessage(rows);
        committed.push(() => {});
        rows = [];
      }, 20).unref();
    }
  }

  const idPrefix = Math.random().toString(16).slice(2, 12).padEnd(10, '0');
  let sequence = 0;
  const web = { name: 'hello', path: 'guest/hello' };
  /** The record edgewhisk keeps of a successful call (its id, namespace, path and start are columns). */
  const recordDoc = (result: unknown, start: number, end: number): string =>
    JSON.stringify({
      name: web.name, version: '0.0.1', subject: 'guest', publish: false, end, duration: end - start,
      response: { status: 'success', statusCode: 0, success: true, result },
      logs: [],
      annotations: [
        { key: 'path', value: web.path }, { key: 'waitTime', value: 0 }, { key: 'kind', value: 'nodejs:24' }, { key: 'timeout', value: false },
        { key: 'limits', value: { timeout: 60000, memory: 256, logs: 10, concurrency: 1 } },
      ],
    });

  interface Call {
    res: uWS.HttpResponse;
    web: boolean;
    aborted: boolean;
    start: number;
  }
  let calls: Call[] = [];
  let inputs: string[] = [];
  let scheduled = false;

  const answer = (call: Call, id: string, output: string): void => {
    if (call.aborted) return;
    call.res.cork(() => {
      if (call.web) {
        call.res
          .writeStatus('200 OK')
          .writeHeader('Access-Control-Allow-Origin', '*')
          .writeHeader('Access-Control-Allow-Methods', 'OPTIONS, GET, DELETE, POST, PUT, HEAD, PATCH')
          .writeHeader('Access-Control-Allow-Headers', 'Authorization, Origin, X-Requested-With, Content-Type, Accept, User-Agent')
          .writeHeader('content-type', 'application/json')
          .writeHeader('x-openwhisk-activation-id', id)
          .end(JSON.stringify(JSON.parse(output), null, 2));
      } else {
        call.res.writeStatus('200 OK').writeHeader('content-type', 'application/json').end(output);
      }
    });
  };

  const runTurn = (): void => {
    scheduled = false;
    const turn = calls;
    const turnInputs = inputs;
    calls = [];
    inputs = [];
    runBatch(turnInputs.join('\x01'), (outputs) => {
      const results = outputs.split('\x01');
      const end = Date.now();
      const ids = turn.map(() => `${idPrefix}${(sequence++).toString(16).padStart(22, '0')}`);
      if (records === 'none') {
        for (let i = 0; i < turn.length; i++) answer(turn[i]!, ids[i]!, results[i]!);
        return;
      }
      const turnRows: FloorRows = records === 'durable' ? [] : rows;
      for (let i = 0; i < turn.length; i++) {
        turnRows.push(ids[i]!, 'guest', web.path, turn[i]!.start, recordDoc(JSON.parse(results[i]!), turn[i]!.start, end));
      }
      if (records === 'eventual') {
        for (let i = 0; i < turn.length; i++) answer(turn[i]!, ids[i]!, results[i]!);
        return;
      }
      writer!.postMessage(turnRows);
      committed.push(() => {
        for (let i = 0; i < turn.length; i++) answer(turn[i]!, ids[i]!, results[i]!);
      });
    });
  };

  const enqueue = (call: Call, input: string): void => {
    calls.push(call);
    inputs.push(input);
    if (!scheduled) {
      scheduled = true;
      setImmediate(runTurn);
    }
  };

  const app = uWS.App();
  app.get('/*', (res, req) => {
    const call: Call = { res, web: true, aborted: false, start: Date.now() };
    res.onAborted(() => {
      call.aborted = true;
    });
    const headers: Record<string, string> = {};
    req.forEach((name, value) => {
      headers[name] = value;
    });
    const params = Object.fromEntries(new URLSearchParams(req.getQuery() ?? ''));
    enqueue(call, JSON.stringify({ ...params, __ow_method: 'get', __ow_headers: headers, __ow_path: '' }));
  });
  app.post('/*', (res) => {
    const call: Call = { res, web: false, aborted: false, start: Date.now() };
    res.onAborted(() => {
      call.aborted = true;
    });
    let body: Buffer = Buffer.alloc(0);
    res.onData((chunk, last) => {
      body = Buffer.concat([body, Buffer.from(chunk)]);
      if (last) enqueue(call, body.length === 0 ? '{}' : body.toString());
    });
  });
  app.listen('127.0.0.1', 0, (socket) => {
    if (!socket) process.exit(1);
    console.log(`listening on http://127.0.0.1:${uWS.us_socket_local_port(socket)}`);
  });
  process.on('SIGTERM', () => {
    if (dataDir && process.env.FLOOR_DATA_DIR === undefined) rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
}
