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
 * POST as a blocking invoke with `result=true` (its JSON body the parameters); PUT /action/<name>
 * deploys code and POST /cold/<name> is its first call, in an isolate made for it (cold starts).
 * The records go to a directory of their own, removed at exit, or to FLOOR_DATA_DIR, kept.
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
import { openDatabase } from '../../src/store/db.ts';
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

/**
 * The isolate side, in the server or in the child process: a frame 'b' + a turn's inputs runs them
 * in the warm isolate and answers 'b' + their results; a frame 'c' + {code, params} is a cold start
 * — a new isolate and context, the action's code compiled and run, main called — answered with its
 * result. New isolates stay (as warm ones would) up to COLD_KEPT, the oldest disposed after an answer.
 */
const COLD_KEPT = 500;

function isolateSide(): (frame: string) => string {
  const isolate = new ivm.Isolate({ memoryLimit: 256 });
  const context = isolate.createContextSync();
  context.evalSync(RUN_BATCH);
  const runBatch = context.global.getSync('runBatch', { reference: true }) as ivm.Reference<(inputs: string) => string>;
  const kept: ivm.Isolate[] = [];
  const cold = (text: string): string => {
    const { code, params } = JSON.parse(text) as { code: string; params: unknown };
    const fresh = new ivm.Isolate({ memoryLimit: 256 });
    const freshContext = fresh.createContextSync();
    freshContext.evalSync(code, { timeout: 60_000 });
    const main = freshContext.global.getSync('main', { reference: true }) as ivm.Reference<(params: unknown) => unknown>;
    const result = JSON.stringify(main.applySync(undefined, [new ivm.ExternalCopy(params).copyInto()], { timeout: 60_000, result: { copy: true } }));
    kept.push(fresh);
    if (kept.length > COLD_KEPT) setImmediate(() => kept.shift()?.dispose());
    return result;
  };
  return (frame) => (frame[0] === 'c' ? cold(frame.slice(1)) : (runBatch.applySync(undefined, [frame.slice(1)], { timeout: 60_000 }) as string));
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
  const handle = isolateSide();
  const socket = new Socket({ fd: 3, readable: true, writable: true });
  const send = framed(socket, (frame) => send(handle(frame)));
  socket.on('close', () => process.exit(0));
} else {
  await serve();
}

async function serve(): Promise<void> {
  const isolateMode = process.env.FLOOR_ISOLATE === 'process' ? 'process' : 'server';
  const records = process.env.FLOOR_RECORDS === 'eventual' || process.env.FLOOR_RECORDS === 'durable' ? process.env.FLOOR_RECORDS : 'none';

  /** Hands a frame to the isolate side (isolateSide); `done` gets its answer, in order. */
  let isolateCall: (frame: string, done: (answer: string) => void) => void;
  if (isolateMode === 'server') {
    const handle = isolateSide();
    isolateCall = (frame, done) => done(handle(frame));
  } else {
    const child = spawn(process.execPath, ['--no-node-snapshot', process.argv[1]!, 'isolate-process'], { stdio: ['ignore', 'inherit', 'inherit', 'pipe'] });
    const waiting: ((answer: string) => void)[] = [];
    const send = framed(child.stdio[3] as Socket, (answer) => waiting.shift()!(answer));
    isolateCall = (frame, done) => {
      waiting.push(done);
      send(frame);
    };
  }
  /** Runs a turn's calls; `done` gets their results in order. */
  const runBatch = (inputs: string, done: (outputs: string) => void): void => isolateCall(`b${inputs}`, done);

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
  /** The record edgewhisk keeps of a successful call of guest/`name` (its id, namespace, path and start are columns). */
  const recordDoc = (name: string, result: unknown, start: number, end: number): string =>
    JSON.stringify({
      name, version: '0.0.1', subject: 'guest', publish: false, end, duration: end - start,
      response: { status: 'success', statusCode: 0, success: true, result },
      logs: [],
      annotations: [
        { key: 'path', value: `guest/${name}` }, { key: 'waitTime', value: 0 }, { key: 'kind', value: 'nodejs:24' }, { key: 'timeout', value: false },
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

  const newId = (): string => `${idPrefix}${(sequence++).toString(16).padStart(22, '0')}`;

  /** Stores `added` rows as FLOOR_RECORDS says; `then` runs once the answers may go. */
  const persist = (added: FloorRows, then: () => void): void => {
    if (records === 'durable') {
      writer!.postMessage(added);
      committed.push(then);
      return;
    }
    if (records === 'eventual') rows.push(...added);
    then();
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
      const ids = turn.map(newId);
      const added: FloorRows = [];
      if (records !== 'none') {
        for (let i = 0; i < turn.length; i++) added.push(ids[i]!, 'guest', 'guest/hello', turn[i]!.start, recordDoc('hello', JSON.parse(results[i]!), turn[i]!.start, end));
      }
      persist(added, () => {
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

  const readBody = (res: uWS.HttpResponse, onBody: (text: string) => void): void => {
    let body: Buffer = Buffer.alloc(0);
    res.onData((chunk, last) => {
      body = Buffer.concat([body, Buffer.from(chunk)]);
      if (last) onBody(body.toString());
    });
  };
  const newCall = (res: uWS.HttpResponse, web: boolean): Call => {
    const call: Call = { res, web, aborted: false, start: Date.now() };
    res.onAborted(() => {
      call.aborted = true;
    });
    return call;
  };

  // Cold starts: PUT /action/<name> with {code} deploys it, as edgewhisk's PUT does — kept in memory
  // and written at once to the entities table; POST /cold/<name> is its first call, in a new isolate.
  const codes = new Map<string, string>();
  let putEntity: ((name: string, doc: string) => void) | undefined;
  const deploy = (name: string, code: string): void => {
    if (putEntity === undefined) {
      const db = openDatabase((dataDir ??= mkdtempSync(join(tmpdir(), 'edgewhisk-floor-'))));
      const insert = db.prepare<[string, string, number]>("INSERT OR REPLACE INTO entities (namespace, collection, path, doc, updated) VALUES ('guest', 'actions', ?, ?, ?)");
      putEntity = (path, doc) => insert.run(path, doc, Date.now());
    }
    putEntity(name, JSON.stringify({ name, exec: { kind: 'nodejs:default', code } }));
    codes.set(name, code);
  };

  const app = uWS.App();
  app.put('/action/*', (res, req) => {
    const name = req.getUrl().slice('/action/'.length);
    const call = newCall(res, false);
    readBody(res, (text) => {
      deploy(name, (JSON.parse(text) as { code: string }).code);
      if (!call.aborted) res.cork(() => res.writeStatus('200 OK').end('{}'));
    });
  });
  app.post('/cold/*', (res, req) => {
    const name = req.getUrl().slice('/cold/'.length);
    const call = newCall(res, false);
    readBody(res, (text) => {
      const code = codes.get(name);
      if (code === undefined) {
        if (!call.aborted) res.cork(() => res.writeStatus('404 Not Found').end());
        return;
      }
      isolateCall(`c${JSON.stringify({ code, params: text === '' ? {} : JSON.parse(text) })}`, (result) => {
        const id = newId();
        const added: FloorRows = records === 'none' ? [] : [id, 'guest', `guest/${name}`, call.start, recordDoc(name, JSON.parse(result), call.start, Date.now())];
        persist(added, () => answer(call, id, result));
      });
    });
  });
  app.get('/*', (res, req) => {
    const call = newCall(res, true);
    const headers: Record<string, string> = {};
    req.forEach((name, value) => {
      headers[name] = value;
    });
    const params = Object.fromEntries(new URLSearchParams(req.getQuery() ?? ''));
    enqueue(call, JSON.stringify({ ...params, __ow_method: 'get', __ow_headers: headers, __ow_path: '' }));
  });
  app.post('/*', (res) => {
    const call = newCall(res, false);
    readBody(res, (text) => enqueue(call, text === '' ? '{}' : text));
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
