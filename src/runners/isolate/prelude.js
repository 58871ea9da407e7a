// Runs inside every action isolate before any action is known (blank.ts composes it with the
// libraries in ./lib and caches V8's compiled code). It gives the action what the OpenWhisk Node.js
// runtime gives it: console, process, CommonJS require, timers, main's calling convention, and — as
// lazily built globals — the web platform and a few Node built-ins (./lib). It runs one activation
// at a time, whatever the host queues, so that process.env, logs and timers always belong to
// exactly one activation (its "scope", a number the host hands in).
//
// The host gives five functions at init (setHost) and they live only in `let` bindings here,
// called directly, never stored on an object or passed on: user code can reach none of them.
//   notify()                      ignored: "an outcome is ready, call take()"
//   hostRequest(op, scope, id, a, b)  ignored: timers, fetch, API calls; answers come back through
//                                 deliver(scope, id, status, a, b) on a later host→isolate call
//   hostModule(op, a, b)          sync: resolve a specifier / read a file of the action's archive
//   hostCompute(op, a, b, c)      sync: pure computations (URL parsing, digests, random bytes)
//   hostMirror(op, value)         sync: the shared buffer the log lines are copied into (see below):
//                                 'make' (units) answers a new one, 'adopt' (buffer) hands it over
// Ignored callbacks run on the host's event loop after the current isolate call returns, so nothing
// an activation asks for happens while it is still running (the fast path relies on it). Timer
// requests (set and clear) go as op 'timers' in batches of text (timerRequest), a crossing for many.
//
// Functions every blank isolate, cold start or call runs are written `const f = (function f() {…})`:
// V8 compiles a parenthesized function eagerly, so it lands in the code cache instead of being
// compiled again in every new isolate. The rest compile lazily, on first use. Check with
// `node --log-function-events`: the parse events of a new isolate's script are what it compiles.
// Making the last six such functions eager took a hello action's init and first call from 0.53 to
// 0.29 ms of CPU here (Module's class constructor stays lazy: parentheses do not make it eager).
function installPrelude(global, libraries) {
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const ErrorCtor = Error;
  const TypeErrorCtor = TypeError;
  const RangeErrorCtor = RangeError;
  const SyntaxErrorCtor = SyntaxError;
  const MapCtor = Map;
  const PromiseCtor = Promise;
  const promiseResolve = (value) => PromiseCtor.resolve(value);
  const promiseThen = Function.prototype.call.bind(PromiseCtor.prototype.then);
  const dateNow = Date.now;
  const apply = Reflect.apply;
  const defineProperty = Object.defineProperty;
  const freeze = Object.freeze;
  const create = Object.create;
  const hasOwn = Object.prototype.hasOwnProperty;
  const indirectEval = eval;
  const SharedArrayBufferCtor = SharedArrayBuffer;
  const Uint16ArrayCtor = Uint16Array;
  const Int32ArrayCtor = Int32Array;
  const atomicsStore = Atomics.store;
  const isoDate = () => new Date().toISOString();
  // Taken before action code runs, which may replace String.prototype.charCodeAt, Array.prototype
  // .push or add toJSON to Array.prototype: the log limit and the outcome must not depend on them.
  const charCodeAt = Function.prototype.call.bind(String.prototype.charCodeAt);

  let notify;
  let hostRequest;
  let hostModule;
  let hostCompute;
  let hostMirror;

  // ---- console ------------------------------------------------------------------------------
  let logs = [];
  let logBytes = 0;
  let logLimit = 0;
  let logsTruncated = false;

  function inspect(value, depth, seen) {
    if (value === null) return 'null';
    switch (typeof value) {
      case 'string': return depth === 0 ? value : `'${value}'`;
      case 'undefined': return 'undefined';
      case 'function': return `[Function: ${value.name || '(anonymous)'}]`;
      case 'bigint': return `${value}n`;
      case 'symbol': return value.toString();
      case 'object': break;
      default: return String(value);
    }
    if (value instanceof ErrorCtor) return value.stack || `${value.name}: ${value.message}`;
    if (seen.includes(value)) return '[Circular *1]';
    if (depth > 2) return Array.isArray(value) ? '[Array]' : '[Object]';
    const next = seen.concat([value]);
    if (Array.isArray(value)) {
      if (value.length === 0) return '[]';
      return `[ ${value.map((v) => inspect(v, depth + 1, next)).join(', ')} ]`;
    }
    if (value instanceof Date) return value.toISOString();
    if (value instanceof Uint8Array && value.constructor && value.constructor.name === 'Buffer') {
      const shown = Array.from(value.subarray(0, 50), (b) => b.toString(16).padStart(2, '0')).join(' ');
      return `<Buffer${shown ? ` ${shown}` : ''}${value.length > 50 ? ` ... ${value.length - 50} more bytes` : ''}>`;
    }
    if (value instanceof MapCtor) return `Map(${value.size}) {${value.size ? ` ${Array.from(value, ([k, v]) => `${inspect(k, depth + 1, next)} => ${inspect(v, depth + 1, next)}`).join(', ')} ` : ''}}`;
    if (value instanceof Set) return `Set(${value.size}) {${value.size ? ` ${Array.from(value, (v) => inspect(v, depth + 1, next)).join(', ')} ` : ''}}`;
    const keys = Object.keys(value);
    if (keys.length === 0) return '{}';
    const key = (k) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : `'${k}'`);
    return `{ ${keys.map((k) => `${key(k)}: ${inspect(value[k], depth + 1, next)}`).join(', ')} }`;
  }

  function format(args) {
    const first = args[0];
    if (typeof first === 'string' && first.includes('%') && args.length > 1) {
      let i = 1;
      const text = first.replace(/%[sdifjoO%]/g, (spec) => {
        if (spec === '%%') return '%';
        if (i >= args.length) return spec;
        const arg = args[i++];
        if (spec === '%d' || spec === '%i') return String(spec === '%i' ? Math.trunc(Number(arg)) : Number(arg));
        if (spec === '%f') return String(Number(arg));
        if (spec === '%j') { try { return stringify(arg); } catch { return '[Circular]'; } }
        return typeof arg === 'string' ? arg : inspect(arg, 1, []);
      });
      return [text].concat(args.slice(i).map((a) => inspect(a, 0, []))).join(' ');
    }
    return args.map((a) => inspect(a, 0, [])).join(' ');
  }

  // Results nested deeper than this are refused, as the server refuses such request bodies.
  const MAX_RESULT_DEPTH = 1000;
  function nestedDeeperThan(text, max) {
    if (text.length <= 2 * max) return false;
    let depth = 0;
    let inString = false;
    for (let i = 0; i < text.length; i++) {
      const c = charCodeAt(text, i);
      if (inString) {
        if (c === 0x5c) i++;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x5b || c === 0x7b) {
        if (++depth > max) return true;
      } else if (c === 0x5d || c === 0x7d) depth--;
    }
    return false;
  }

  // The limit is in bytes, as upstream counts it: UTF-8 length without a TextEncoder.
  const utf8Length = (function utf8Length(text) {
    let bytes = text.length;
    for (let i = 0; i < text.length; i++) {
      const c = charCodeAt(text, i);
      if (c < 0x80) continue;
      if (c < 0x800) bytes += 1;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (charCodeAt(text, i + 1) & 0xfc00) === 0xdc00) { bytes += 2; i++; }
      else bytes += 2;
    }
    return bytes;
  });

  // ---- log mirror ---------------------------------------------------------------------------
  // The lines of a scope that runs off the event loop (init, a call on isolated-vm's threads, a
  // fast call that goes on asynchronously) are also copied, as UTF-16 code units, into a
  // SharedArrayBuffer the host holds too (hostMirror hands it over when it is made or replaced).
  // When the host ends such a scope while it runs (its deadline) or the isolate dies of memory, it
  // reads the lines from there: a busy isolate cannot answer a call, and a dead one has no heap
  // left. A fast call that completes within its slice never needs them there (one that fails is run
  // again off the event loop), so it does not pay for the copy; nor does a call that logs nothing.
  // Layout, in 16-bit units: [0, 2) the Int32 count of units in use, then one record per line: its
  // length (low unit, high unit) and its code units. The count is stored after the record, with
  // Atomics, so the host reads only whole records while the isolate goes on writing.
  const MIRROR_HEADER = 2;
  /** The first buffer: 4 KB. */
  const MIRROR_UNITS = 2048;
  /** A buffer grown past this (a scope that logged a lot) is replaced when the next scope begins. */
  const MIRROR_KEPT_UNITS = 32768;
  let mirror;
  let mirrorCount;
  let mirrorUsed = MIRROR_HEADER;
  /** Whether the open scope's lines are mirrored. */
  let mirroring = false;

  // A new buffer of `units` holding the records in use, complete before the host gets it; if
  // anything fails, the old one stays in use on both sides. The host makes the buffer: its memory
  // must be the host's, not this isolate's. A SharedArrayBuffer made here and held by the host
  // outlives this isolate's allocator, and freeing it later corrupted the host process (a few
  // hundred disposed isolates that had logged were enough to crash it).
  function replaceMirror(units) {
    const buffer = hostMirror('make', units);
    if (!(buffer instanceof SharedArrayBufferCtor) || buffer.byteLength !== units * 2) throw new ErrorCtor('no log mirror');
    const next = new Uint16ArrayCtor(buffer);
    const count = new Int32ArrayCtor(buffer, 0, 1);
    if (mirrorUsed > MIRROR_HEADER) next.set(mirror.subarray(MIRROR_HEADER, mirrorUsed), MIRROR_HEADER);
    atomicsStore(count, 0, mirrorUsed);
    hostMirror('adopt', buffer);
    mirror = next;
    mirrorCount = count;
  }

  // Room for `need` units: doubling, but not far past what the log limit lets a scope keep (a
  // unit is at least a byte of the limit), and always an eighth more than asked. False when there
  // is no memory for it: the line is then only kept in `logs` (console.log must not throw).
  function growMirror(need) {
    const doubled = mirror === undefined ? MIRROR_UNITS : mirror.length * 2;
    try {
      replaceMirror(Math.ceil(Math.max(need + (need >> 3), Math.min(doubled, logLimit + MIRROR_UNITS))));
      return true;
    } catch {
      return false;
    }
  }

  const mirrorLine = (function mirrorLine(line) {
    const length = line.length;
    const need = mirrorUsed + 2 + length;
    if ((mirror === undefined || need > mirror.length) && !growMirror(need)) return;
    let at = mirrorUsed;
    mirror[at++] = length & 0xffff;
    mirror[at++] = length >>> 16;
    for (let i = 0; i < length; i++) mirror[at++] = charCodeAt(line, i);
    mirrorUsed = at;
    atomicsStore(mirrorCount, 0, at);
  });

  // A new scope starts with no lines; a buffer a flood of logs grew is given back (if a small one
  // can be had).
  function clearMirror() {
    mirrorUsed = MIRROR_HEADER;
    if (mirror.length > MIRROR_KEPT_UNITS) {
      try {
        replaceMirror(MIRROR_UNITS);
        return;
      } catch {
        // The big one serves on.
      }
    }
    atomicsStore(mirrorCount, 0, MIRROR_HEADER);
  }

  const keepLine = (function keepLine(line) {
    // Not logs.push(line), nor logs[n] = line (a setter on Array.prototype would take it).
    defineProperty(logs, logs.length, { value: line, writable: true, enumerable: true, configurable: true });
    if (mirroring) mirrorLine(line);
  });

  // From now on the open scope's lines are mirrored; the ones it has are copied over.
  const mirrorLogs = (function mirrorLogs() {
    if (mirroring) return;
    mirroring = true;
    for (let i = 0; i < logs.length; i++) mirrorLine(logs[i]);
  });

  const recordLine = (function recordLine(stream, text) {
    if (logsTruncated) return;
    const line = `${isoDate()} ${stream}: ${text}`;
    logBytes += utf8Length(line);
    if (logBytes > logLimit) {
      logsTruncated = true;
      keepLine(`${isoDate()} stderr: Logs were truncated because the total bytes size exceeds the limit of ${logLimit} bytes.`);
      return;
    }
    keepLine(line);
  });

  const record = (function record(stream, args) {
    if (logsTruncated) return;
    let text;
    try { text = format(args); } catch (e) { text = '[unprintable value]'; }
    recordLine(stream, text);
  });

  const out = (...args) => record('stdout', args);
  const err = (...args) => record('stderr', args);
  global.console = freeze({
    log: out, info: out, debug: out, trace: out, dir: out, table: out,
    warn: err, error: err,
    assert: (ok, ...args) => { if (!ok) err('Assertion failed', ...args); },
    time() {}, timeEnd() {}, timeLog() {}, group() {}, groupEnd() {}, count() {},
  });

  // Writes to process.stdout/stderr become log lines, one per line written (as a container's would).
  const streamWriter = (function streamWriter(stream) {
    let partial = '';
    return {
      isTTY: false,
      write(chunk, encoding, callback) {
        const text = partial + (typeof chunk === 'string' ? chunk : lib('encoding').decodeUtf8(chunk));
        const lines = text.split('\n');
        partial = lines.pop();
        for (const line of lines) recordLine(stream, line);
        const done = typeof encoding === 'function' ? encoding : callback;
        if (typeof done === 'function') queueMicrotask(done);
        return true;
      },
      on() { return this; }, once() { return this; }, end() {},
    };
  });

  // ---- lazily built libraries ---------------------------------------------------------------
  // Each library is compiled with the prelude (V8 code cache) but only run on first use: a hello
  // action never pays for URL, Buffer or fetch.
  const built = new MapCtor();
  function lib(name) {
    let exports = built.get(name);
    if (exports === undefined) {
      exports = libraries[name](rt);
      built.set(name, exports);
    }
    return exports;
  }

  const lazyGlobal = (function lazyGlobal(name, library, key) {
    const settle = (value) => defineProperty(global, name, { value, writable: true, configurable: true, enumerable: false });
    defineProperty(global, name, {
      configurable: true,
      enumerable: false,
      get() {
        const value = lib(library)[key || name];
        settle(value);
        return value;
      },
      set(value) { settle(value); },
    });
  });

  // ---- activation scope ---------------------------------------------------------------------
  // `scope` is what the host currently runs here (init or one activation); host answers carry it
  // and are dropped when it no longer matches. `ops` holds this scope's pending timers and calls.
  let scope = 0;
  let settled = true;
  let completed = '';
  let resultLimit = 0;
  let initializing = false;
  let nextOp = 1;
  const ops = new MapCtor();
  const MAX_OPS = 10000;

  // The first activation continues init's scope (the host passes the same number): what module
  // code started at load time (a fetch, a timer) is still pending for it, and what it logged is
  // part of its logs, as in a fresh OpenWhisk container. `offLoop`: the scope runs on isolated-vm's
  // threads, so its lines are mirrored from the start.
  const beginScope = (function beginScope(s, limit, offLoop) {
    const carried = s === scope;
    if (!carried) {
      if (ops.size !== 0) ops.clear();
      logs = [];
      logBytes = 0;
      logsTruncated = false;
      if (mirrorUsed !== MIRROR_HEADER) clearMirror();
      mirroring = false;
    }
    if (offLoop) mirroring = true;
    scope = s;
    settled = false;
    completed = '';
    logLimit = limit;
  });

  function hostOp(op, a, b, entry) {
    if (ops.size >= MAX_OPS) throw new RangeErrorCtor(`An activation may have at most ${MAX_OPS} pending timers and requests.`);
    const id = nextOp++;
    ops.set(id, entry);
    if (op === 'timer') timerRequest('t', id, a, b);
    else hostRequest(op, scope, id, a, b);
    return id;
  }

  // Timer requests leave for the host as one text — `t,scope,id,delay,repeat,at;` to set (`at`:
  // when it was asked for, so the delay runs from then, as in Node, not from when the text left),
  // `c,scope,id;` to clear — once the isolate's current run has ended (a microtask), or every
  // TIMER_BATCH of them. One crossing each made a loop of 10,000 setTimeout calls block a worker's
  // event loop for 29-165 ms, half of it the crossings, delaying every other action it served.
  const TIMER_BATCH = 1024;
  let timerText = '';
  let timerCount = 0;
  let timerFlushQueued = false;

  function timerRequest(kind, id, delay, repeat) {
    timerText += kind === 't' ? `t,${scope},${id},${delay},${repeat ? 1 : 0},${dateNow()};` : `c,${scope},${id};`;
    if (++timerCount >= TIMER_BATCH) flushTimerRequests();
    else if (!timerFlushQueued) {
      timerFlushQueued = true;
      promiseThen(promiseResolve(), flushTimerRequests);
    }
  }

  function flushTimerRequests() {
    timerFlushQueued = false;
    if (timerCount === 0) return;
    const text = timerText;
    timerText = '';
    timerCount = 0;
    hostRequest('timers', scope, 0, text, 0);
  }

  // A request the host answers once: resolves with (a, b) or rejects with a message.
  function hostCall(op, a, b) {
    let id = 0;
    const promise = new PromiseCtor((resolve, reject) => {
      id = hostOp(op, a, b, { timer: false, resolve, reject });
    });
    return { id, promise };
  }

  function hostCancel(id) {
    const entry = ops.get(id);
    if (entry === undefined) return;
    ops.delete(id);
    if (entry.timer) timerRequest('c', id);
    else hostRequest('clear', scope, id, 0, 0);
  }

  // Host → isolate: a timer fired or a request finished (status 0 ok, else a = error message).
  // Nothing of an activation runs once it has its outcome, even before the host has taken it.
  function deliver(s, id, status, a, b) {
    if (s !== scope || settled) return;
    const entry = ops.get(id);
    if (entry === undefined) return;
    if (entry.timer) {
      if (!entry.repeat) ops.delete(id);
      try {
        apply(entry.callback, entry.handle, entry.args);
      } catch (e) {
        uncaught(e);
      }
      return;
    }
    ops.delete(id);
    if (status === 0) entry.resolve({ a, b });
    else entry.reject(a);
  }

  // An exception nothing caught (a timer callback, a microtask): in Node it would end the process,
  // in OpenWhisk the activation. Here it ends the activation with a developer error.
  function uncaught(e) {
    record('stderr', ['Uncaught', e]);
    if (initializing) settle(scope, initFailure(e));
    else settle(scope, finish(2, { error: `An error has occurred: ${e}` }));
  }

  function settle(s, text) {
    if (s !== scope || settled) return;
    settled = true;
    completed = text;
    if (notify !== undefined) notify();
  }

  // ---- timers ---------------------------------------------------------------------------------
  const TIMEOUT_MAX = 2147483647;

  class Timeout {
    #id;
    constructor(id) { this.#id = id; }
    static idOf(value) { return #id in value ? value.#id : undefined; }
    ref() { return this; }
    unref() { return this; }
    hasRef() { return true; }
    refresh() {
      const entry = ops.get(this.#id);
      if (entry !== undefined && entry.timer) timerRequest('t', this.#id, entry.delay, entry.repeat);
      return this;
    }
    close() { clearTimer(this); return this; }
    [Symbol.toPrimitive]() { return this.#id; }
  }

  class Immediate {
    #id;
    constructor(id) { this.#id = id; }
    static idOf(value) { return #id in value ? value.#id : undefined; }
    ref() { return this; }
    unref() { return this; }
    hasRef() { return true; }
  }

  function invalidCallback(value) {
    const e = new TypeErrorCtor(`The "callback" argument must be of type function. Received ${value === null ? 'null' : typeof value}`);
    e.code = 'ERR_INVALID_ARG_TYPE';
    return e;
  }

  function addTimer(callback, delay, args, repeat, Kind) {
    if (typeof callback !== 'function') throw invalidCallback(callback);
    // Node: a delay that is not a number from 1 to 2^31-1 becomes 1.
    let ms = Kind === Immediate ? 0 : +delay;
    if (Kind !== Immediate && !(ms >= 1 && ms <= TIMEOUT_MAX)) ms = 1;
    const entry = { timer: true, callback, args, repeat, delay: ms, handle: undefined };
    const id = hostOp('timer', ms, repeat, entry);
    entry.handle = new Kind(id);
    return entry.handle;
  }

  function clearTimer(handle) {
    let id;
    if (typeof handle === 'object' && handle !== null) id = Timeout.idOf(handle) ?? Immediate.idOf(handle);
    else if (typeof handle === 'number' || typeof handle === 'string') id = Number(handle);
    const entry = id === undefined ? undefined : ops.get(id);
    if (entry !== undefined && entry.timer) hostCancel(id);
  }

  const timers = freeze({
    setTimeout: (callback, delay, ...args) => addTimer(callback, delay, args, false, Timeout),
    setInterval: (callback, delay, ...args) => addTimer(callback, delay, args, true, Timeout),
    setImmediate: (callback, ...args) => addTimer(callback, 0, args, false, Immediate),
    clearTimeout: clearTimer,
    clearInterval: clearTimer,
    clearImmediate: clearTimer,
  });
  for (const name of Object.keys(timers)) defineProperty(global, name, { value: timers[name], writable: true, configurable: true, enumerable: true });

  function queueMicrotask(callback) {
    if (typeof callback !== 'function') throw invalidCallback(callback);
    promiseResolve().then(() => {
      try { callback(); } catch (e) { uncaught(e); }
    });
  }
  defineProperty(global, 'queueMicrotask', { value: queueMicrotask, writable: true, configurable: true, enumerable: true });

  // ---- process ------------------------------------------------------------------------------
  // Only values: nothing here reaches the host. Times come from Date (no high-resolution clock).
  // No exit, kill, binding or dlopen: an action ends by returning from main.
  const started = Date.now();
  const noListeners = function () { return process; };
  const process = {
    env: {},
    title: 'node',
    version: 'v24.0.0',
    versions: { node: '24.0.0' },
    platform: 'linux',
    arch: 'x64',
    release: { name: 'node' },
    argv: ['/usr/local/bin/node', '/action/index.js'],
    argv0: 'node',
    execArgv: [],
    execPath: '/usr/local/bin/node',
    pid: 1,
    ppid: 0,
    exitCode: undefined,
    config: { variables: {} },
    features: {},
    nextTick(callback, ...args) {
      if (typeof callback !== 'function') throw invalidCallback(callback);
      promiseResolve().then(() => {
        try { apply(callback, undefined, args); } catch (e) { uncaught(e); }
      });
    },
    cwd: () => '/action',
    chdir() { throw new ErrorCtor('process.chdir() is not available in edgewhisk actions.'); },
    umask: () => 0o22,
    uptime: () => (Date.now() - started) / 1000,
    hrtime: Object.assign((previous) => {
      const now = Date.now();
      const time = [Math.floor(now / 1000), (now % 1000) * 1e6];
      if (!Array.isArray(previous)) return time;
      let seconds = time[0] - previous[0];
      let nanos = time[1] - previous[1];
      if (nanos < 0) { seconds--; nanos += 1e9; }
      return [seconds, nanos];
    }, { bigint: () => BigInt(Date.now()) * 1000000n }),
    memoryUsage: Object.assign(() => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }), { rss: () => 0 }),
    cpuUsage: () => ({ user: 0, system: 0 }),
    emitWarning(warning) { record('stderr', [`(node) Warning: ${warning instanceof ErrorCtor ? warning.message : warning}`]); },
    on: noListeners, once: noListeners, off: noListeners, addListener: noListeners, removeListener: noListeners,
    removeAllListeners: noListeners, prependListener: noListeners, prependOnceListener: noListeners, setMaxListeners: noListeners,
    emit: () => false,
    listeners: () => [],
    listenerCount: () => 0,
    stdout: streamWriter('stdout'),
    stderr: streamWriter('stderr'),
  };
  global.process = process;
  global.global = global;

  // ---- modules (CommonJS) ---------------------------------------------------------------------
  // Files come from the action's archive through hostModule; each is compiled once per isolate
  // and cached like Node's require.cache. Built-ins come from ./lib/node.js or ./lib/openwhisk.js.
  const requireCache = create(null);
  const resolutions = new MapCtor();
  const builtins = new MapCtor();
  let mainModule;
  const ESM_SYNTAX = /\b(?:import|export)\b|await is only valid/;
  const ESM_ENTRY = {};

  const dirname = (function dirname(path) {
    const i = path.lastIndexOf('/');
    return i <= 0 ? '/' : path.slice(0, i);
  });

  class Module {
    constructor(filename, parent) {
      this.id = filename;
      this.filename = filename;
      this.path = dirname(filename);
      this.exports = {};
      this.loaded = false;
      this.children = [];
      this.paths = [];
      this.parent = parent;
      if (parent) parent.children.push(this);
    }
    require(specifier) { return requireFrom(specifier, this); }
  }

  function notFound(message, code) {
    const e = new ErrorCtor(message);
    e.code = code;
    return e;
  }

  function resolveFrom(specifier, dir) {
    if (typeof specifier !== 'string') throw new TypeErrorCtor(`The "id" argument must be of type string. Received ${specifier === null ? 'null' : typeof specifier}`);
    if (specifier === '') throw new TypeErrorCtor("The argument 'id' must be a non-empty string. Received ''");
    const key = `${dir}\0${specifier}`;
    let found = resolutions.get(key);
    if (found === undefined) {
      found = hostModule('resolve', specifier, dir);
      if (found.kind === 'error') throw notFound(found.message, found.code);
      resolutions.set(key, found);
    }
    return found;
  }

  function requireFrom(specifier, parent) {
    const found = resolveFrom(specifier, parent ? parent.path : '/action');
    if (found.kind === 'builtin') return builtin(found.name);
    return loadFile(found.path, found.format, parent, false).exports;
  }

  function loadFile(path, format, parent, entry) {
    const cached = requireCache[path];
    if (cached !== undefined) return cached;
    if (format === 'module') {
      throw notFound(`require() of ES Module ${path} is not supported in edgewhisk actions: load it with import from an ES module.`, 'ERR_REQUIRE_ESM');
    }
    const module = new Module(path, parent);
    requireCache[path] = module;
    try {
      let source = hostModule('read', path);
      if (format === 'json') {
        try { module.exports = parse(source); } catch (e) { e.message = `${path}: ${e.message}`; throw e; }
      } else {
        if (source.startsWith('#!')) source = `//${source.slice(2)}`;
        let factory;
        try {
          factory = indirectEval(`(function (exports, require, module, __filename, __dirname) {${source}\n})\n//# sourceURL=${path}`);
        } catch (e) {
          // Node 22+ runs a .js file with import/export syntax as an ES module; so does the entry here.
          if (entry && e instanceof SyntaxErrorCtor && ESM_SYNTAX.test(e.message)) throw ESM_ENTRY;
          throw e;
        }
        apply(factory, module.exports, [module.exports, makeRequire(module), module, path, module.path]);
      }
      module.loaded = true;
      return module;
    } catch (e) {
      delete requireCache[path];
      throw e;
    }
  }

  const makeRequire = (function makeRequire(module) {
    const require = (specifier) => requireFrom(specifier, module);
    require.resolve = (specifier) => {
      const found = resolveFrom(specifier, module ? module.path : '/action');
      return found.kind === 'builtin' ? specifier : found.path;
    };
    require.resolve.paths = () => null;
    require.cache = requireCache;
    require.main = mainModule;
    require.extensions = create(null);
    return require;
  });

  function unavailable(name) {
    return notFound(
      `Module '${name}' is not available in edgewhisk actions: they run in a V8 isolate without file system, process or socket access (use fetch() for HTTP).`,
      'ERR_EDGEWHISK_UNAVAILABLE',
    );
  }

  function builtin(name) {
    let exports = builtins.get(name);
    if (exports === undefined) {
      if (name === 'openwhisk') exports = lib('openwhisk').openwhisk;
      else if (name === 'node-fetch') exports = lib('fetch').nodeFetch;
      else if (name === 'process') exports = process;
      else exports = lib('node').builtin(name);
      if (exports === undefined) throw unavailable(name);
      builtins.set(name, exports);
    }
    return exports;
  }

  // ---- the action -----------------------------------------------------------------------------
  let main;

  const serializeError = (function serializeError(e) {
    if (e instanceof ErrorCtor) {
      const out = { name: e.name, message: e.message, stack: e.stack };
      for (const k of Object.keys(e)) out[k] = e[k];
      return out;
    }
    return e;
  });

  function initFailure(e) {
    const text = e instanceof ErrorCtor ? String(e.stack || e) : String(e);
    record('stderr', ['Error during initialization:', e]);
    return `{"m":${stringify(`Initialization has failed due to: ${text}`)},"l":${linesJson(logs)}}`;
  }

  const findExport = (function findExport(exports, name) {
    let target = exports;
    for (const part of name.split('.')) target = target == null ? undefined : target[part];
    return typeof target === 'function' ? target : undefined;
  });

  function missingMain(name) {
    return `Action entrypoint '${name}' is not a function.`;
  }

  // Loads the action. `entry` is '' for plain source (`code`), else the archive path of a CommonJS
  // entry module. Returns 'OK' when main is ready, 'E' when the code is an ES module (the host then
  // links it and calls back through the ready hook), else JSON {m: message, l: logs}. The answer is
  // also kept for take(), in case the call itself is reported as failed (an unhandled rejection).
  const init = (function init(code, mainName, entry, s, env) {
    beginScope(s, 1 << 20, true);
    initializing = true;
    process.env = parse(env);
    try {
      if (entry === '') {
        const module = new Module('/action/index.js', undefined);
        mainModule = module;
        const identifier = /^[A-Za-z_$][\w$]*$/.test(mainName) ? mainName : 'undefined';
        // Like the OpenWhisk Node runtime: the code runs as a function body and `main` is looked
        // up in its scope first, then on module.exports.
        const body = `${code}\n;return typeof ${identifier} === 'undefined' ? undefined : ${identifier};\n//# sourceURL=/action/index.js`;
        let factory;
        try {
          factory = new Function('exports', 'require', 'module', '__filename', '__dirname', body);
        } catch (e) {
          if (e instanceof SyntaxErrorCtor && ESM_SYNTAX.test(e.message)) return answer('E');
          throw e;
        }
        const scoped = apply(factory, module.exports, [module.exports, makeRequire(module), module, module.filename, module.path]);
        module.loaded = true;
        main = typeof scoped === 'function' ? scoped : findExport(module.exports, mainName);
      } else {
        let module;
        try {
          module = loadFile(entry, 'commonjs', undefined, true);
        } catch (e) {
          if (e === ESM_ENTRY) return answer('E');
          throw e;
        }
        mainModule = module;
        main = findExport(module.exports, mainName);
      }
      if (main === undefined) throw missingMain(mainName);
      initializing = false;
      return answer('OK');
    } catch (e) {
      initializing = false;
      return answer(initFailure(e));
    }
  });

  // ES module actions: the host compiles and links the module graph (isolated-vm modules), with
  // CommonJS files and built-ins wrapped as modules that read them through the require hook, and
  // evaluates a last module that imports the entry and hands its namespace to the ready hook —
  // which therefore runs only once the entry, top-level await included, has finished.
  const READY = Symbol.for('edgewhisk.ready');
  const REQUIRE = Symbol.for('edgewhisk.require');
  let esmMain = 'main';

  function esmReady(namespace) {
    if (!initializing) return;
    let found = findExport(namespace, esmMain);
    const fallback = namespace.default;
    if (found === undefined && fallback !== null && (typeof fallback === 'object' || typeof fallback === 'function')) {
      found = esmMain === 'main' && typeof fallback === 'function' ? fallback : findExport(fallback, esmMain);
    }
    if (found === undefined) settle(scope, initFailure(missingMain(esmMain)));
    else {
      main = found;
      // Not `settle`: init's scope goes on into the first activation.
      completed = 'OK';
      if (notify !== undefined) notify();
    }
  }

  // `id` is 'builtin:<name>', 'commonjs:<path>' or 'json:<path>'; used by the module wrappers of
  // CommonJS files and built-ins.
  function esmRequire(id) {
    const colon = id.indexOf(':');
    const kind = id.slice(0, colon);
    if (kind === 'builtin') return builtin(id.slice(colon + 1));
    if (kind !== 'commonjs' && kind !== 'json') throw new TypeErrorCtor(`Unknown module id ${id}`);
    return loadFile(id.slice(colon + 1), kind, undefined, false).exports;
  }

  function initModule(mainName, s, env) {
    beginScope(s, 1 << 20, true);
    initializing = true;
    process.env = parse(env);
    esmMain = mainName;
    defineProperty(global, READY, { value: esmReady, configurable: true });
    defineProperty(global, REQUIRE, { value: esmRequire, configurable: true });
    return '';
  }

  // The names a CommonJS module (or built-in) exports, for its module wrapper: JSON ["a", …] or
  // JSON {m, l} when loading it failed.
  function moduleExports(id) {
    try {
      const exports = esmRequire(id);
      const names = [];
      if (exports !== null && (typeof exports === 'object' || typeof exports === 'function')) {
        for (const name of Object.keys(exports)) if (/^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default') names.push(name);
      }
      return stringify(names);
    } catch (e) {
      return initFailure(e);
    }
  }

  function endInit() {
    initializing = false;
    delete global[READY];
    delete global[REQUIRE];
  }

  // Serialized outcome: c = status code (0 success, 1 application error, 2 developer error).
  const finish = (function finish(c, r) {
    let result;
    try {
      result = stringify(r);
    } catch (e) {
      c = 2;
      result = stringify({ error: `The action did not produce a valid JSON response: ${e}` });
    }
    if (result === undefined) {
      c = 2;
      result = stringify({ error: 'The action did not produce a valid JSON response.' });
    }
    // The limit is in UTF-8 bytes: at most 3 per UTF-16 unit, so short results skip the count.
    const size = result.length * 3 > resultLimit ? utf8Length(result) : result.length;
    if (size > resultLimit) {
      c = 2;
      result = stringify({ error: `The action produced a response that exceeded the allowed length: ${size} > ${resultLimit} bytes.` });
    } else if (result.length > 2 * MAX_RESULT_DEPTH && nestedDeeperThan(result, MAX_RESULT_DEPTH)) {
      // (Shorter text cannot nest that deep: checked here, nestedDeeperThan is not even compiled.)
      // The host could parse it but not write it back out (its JSON.stringify would overflow).
      c = 2;
      result = stringify({ error: `The action did not produce a valid JSON response: it is nested deeper than ${MAX_RESULT_DEPTH} levels.` });
    }
    return `{"c":${c},"r":${result},"l":${linesJson(logs)}}`;
  });

  // JSON of the log lines without JSON.stringify of the array, which would call a toJSON that
  // action code put on Array.prototype (a string primitive's toJSON is never called).
  const linesJson = (function linesJson(lines) {
    let text = '[';
    for (let i = 0; i < lines.length; i++) text += (i === 0 ? '' : ',') + stringify(lines[i]);
    return text + ']';
  });

  // The outcome of a settled activation value, serialized.
  const outcome = (function outcome(value) {
    if (value === undefined) value = {};
    if (typeof value !== 'object' || value === null) {
      record('stderr', [`Result must be of type object but has type "${value === null ? 'null' : typeof value}":`, value]);
      return finish(2, { error: 'The action did not return a dictionary.' });
    }
    const isError = !Array.isArray(value) && hasOwn.call(value, 'error');
    return finish(isError ? 1 : 0, value);
  });

  function rejection(e) {
    return finish(1, { error: e === undefined || e === null || e === '' ? {} : serializeError(e) });
  }

  const done = (function done(text) {
    settled = true;
    completed = text;
    return text;
  });

  // Init's answer, kept for take() too; init's scope stays open (it continues into the first activation).
  const answer = (function answer(text) {
    completed = text;
    return text;
  });

  // Starts activation `s`: returns its serialized outcome when main finished synchronously, else
  // '' — the outcome then comes from take(), after notify(). A finished outcome is also kept for
  // take(), in case the call itself is reported as failed (an unhandled rejection). `offLoop` is
  // true for a call on isolated-vm's threads, absent for one on the event loop.
  const start = (function start(input, s, offLoop) {
    const request = parse(input);
    beginScope(s, request.logLimit, offLoop === true);
    resultLimit = request.resultLimit;
    process.env = request.e;
    let value;
    let then;
    try {
      value = main(request.p);
      then = value !== null && (typeof value === 'object' || typeof value === 'function') ? value.then : undefined;
    } catch (e) {
      record('stderr', [e]);
      return done(finish(2, { error: `An error has occurred: ${e}` }));
    }
    if (typeof then !== 'function') return done(outcome(value));
    promiseResolve(value).then(
      (result) => settle(s, outcome(result)),
      (e) => settle(s, rejection(e)),
    );
    return '';
  });

  // Starts several activations in one host call (scopes first, first + 1, …), one after the other,
  // and answers their outcomes joined by \x01 (JSON text never holds a raw control character). It
  // stops after an activation that did not finish synchronously: '' is then the last outcome, and
  // that activation's outcome comes from take() as with start().
  const startBatch = (function startBatch(inputs, first) {
    const list = inputs.split('\x01');
    let answer = '';
    for (let i = 0; i < list.length; i++) {
      const text = start(list[i], first + i);
      answer = i === 0 ? text : answer + '\x01' + text;
      if (text === '') break;
    }
    return answer;
  });

  // The outcome, if there is one. If not, the activation goes on asynchronously, off the event
  // loop, where the host may have to end it while it runs: its lines are mirrored from now on.
  const take = (function take() {
    const text = completed;
    completed = '';
    if (text === '' && !mirroring) mirrorLogs();
    return text;
  });

  const setHost = (function setHost(notifyFn, requestFn, moduleFn, computeFn, mirrorFn) {
    if (notify !== undefined) return;
    notify = notifyFn;
    hostRequest = requestFn;
    hostModule = moduleFn;
    hostCompute = computeFn;
    hostMirror = mirrorFn;
  });

  // ---- what the libraries get ----------------------------------------------------------------
  const rt = freeze({
    global,
    process,
    lib,
    format,
    inspect: (value) => inspect(value, 0, []),
    timers,
    queueMicrotask,
    hostCall,
    hostCancel,
    compute: (op, a, b, c) => hostCompute(op, a, b, c),
    uncaught,
    builtin,
    makeRequire: (filename) => makeRequire(new Module(filename, undefined)),
    unavailable,
  });

  lazyGlobal('TextEncoder', 'encoding');
  lazyGlobal('TextDecoder', 'encoding');
  lazyGlobal('atob', 'encoding');
  lazyGlobal('btoa', 'encoding');
  lazyGlobal('Buffer', 'encoding');
  lazyGlobal('URL', 'url');
  lazyGlobal('URLSearchParams', 'url');
  lazyGlobal('structuredClone', 'web');
  lazyGlobal('DOMException', 'web');
  lazyGlobal('Event', 'web');
  lazyGlobal('EventTarget', 'web');
  lazyGlobal('AbortController', 'web');
  lazyGlobal('AbortSignal', 'web');
  lazyGlobal('crypto', 'web');
  lazyGlobal('Crypto', 'web');
  lazyGlobal('CryptoKey', 'web');
  lazyGlobal('SubtleCrypto', 'web');
  lazyGlobal('performance', 'web');
  lazyGlobal('Blob', 'fetch');
  lazyGlobal('FormData', 'fetch');
  lazyGlobal('Headers', 'fetch');
  lazyGlobal('Request', 'fetch');
  lazyGlobal('Response', 'fetch');
  lazyGlobal('fetch', 'fetch');

  // An ES module failed to evaluate: init's failure answer with the logs written meanwhile.
  const initFailed = (reason) => initFailure(String(reason));

  global.__edgewhisk = freeze({ init, initModule, moduleExports, endInit, initFailed, start, startBatch, take, deliver, mirrorLogs, setHost });
}
