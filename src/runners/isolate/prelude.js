// Runs inside every action isolate before the action's code. It gives the action what the
// OpenWhisk Node.js runtime gives it (console, process.env, CommonJS exports, main's calling
// convention) and runs one activation at a time, whatever the host queues, so that process.env
// and logs always belong to exactly one activation. Nothing here can reach the host: the isolate
// receives strings and returns strings.
'use strict';
(function installPrelude(global) {
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const isoDate = () => new Date().toISOString();
  const ErrorCtor = Error;

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

  // The limit is in bytes, as upstream counts it: UTF-8 length without a TextEncoder.
  function utf8Length(text) {
    let bytes = text.length;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) continue;
      if (c < 0x800) bytes += 1;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { bytes += 2; i++; }
      else bytes += 2;
    }
    return bytes;
  }

  function record(stream, args) {
    if (logsTruncated) return;
    let text;
    try { text = format(args); } catch (e) { text = '[unprintable value]'; }
    const line = `${isoDate()} ${stream}: ${text}`;
    logBytes += utf8Length(line);
    if (logBytes > logLimit) {
      logsTruncated = true;
      logs.push(`${isoDate()} stderr: Logs were truncated because the total bytes size exceeds the limit of ${logLimit} bytes.`);
      return;
    }
    logs.push(line);
  }

  const out = (...args) => record('stdout', args);
  const err = (...args) => record('stderr', args);
  global.console = Object.freeze({
    log: out, info: out, debug: out, trace: out, dir: out, table: out,
    warn: err, error: err,
    assert: (ok, ...args) => { if (!ok) err('Assertion failed', ...args); },
    time() {}, timeEnd() {}, timeLog() {}, group() {}, groupEnd() {}, count() {},
  });

  // ---- process --------------------------------------------------------------------------------
  const process = { env: {}, version: 'v24.0.0', versions: { node: '24.0.0' }, platform: 'linux', arch: 'x64', argv: [] };
  global.process = process;

  // ---- the action -----------------------------------------------------------------------------
  let main;

  function serializeError(e) {
    if (e instanceof ErrorCtor) {
      const out = { name: e.name, message: e.message, stack: e.stack };
      for (const k of Object.keys(e)) out[k] = e[k];
      return out;
    }
    return e;
  }

  // Returns '' on success, else JSON {m: the failure message, l: logs written meanwhile}.
  function init(code, mainName) {
    logs = [];
    logBytes = 0;
    logLimit = 1 << 20;
    logsTruncated = false;
    try {
      const module = { exports: {} };
      const identifier = /^[A-Za-z_$][\w$]*$/.test(mainName) ? mainName : 'undefined';
      // Like the OpenWhisk Node runtime: the code runs as a function body and `main` is looked up
      // in its scope first, then on module.exports.
      const body = `${code}\n;return typeof ${identifier} === 'undefined' ? undefined : ${identifier};`;
      const factory = new Function('exports', 'require', 'module', '__filename', '__dirname', body);
      const scoped = factory.call(module.exports, module.exports, missingRequire, module, '/action/index.js', '/action');
      let found = typeof scoped === 'function' ? scoped : undefined;
      if (found === undefined) {
        let target = module.exports;
        for (const part of mainName.split('.')) target = target == null ? undefined : target[part];
        found = typeof target === 'function' ? target : undefined;
      }
      if (found === undefined) throw `Action entrypoint '${mainName}' is not a function.`;
      main = found;
      return '';
    } catch (e) {
      const text = e instanceof ErrorCtor ? String(e.stack || e) : String(e);
      record('stderr', ['Error during initialization:', e]);
      return stringify({ m: `Initialization has failed due to: ${text}`, l: logs });
    }
  }

  function missingRequire(name) {
    throw new ErrorCtor(`Cannot find module '${name}': modules are not available in this action`);
  }

  // Serialized outcome: c = status code (0 success, 1 application error, 2 developer error).
  function finish(c, r, resultLimit) {
    let result;
    try {
      result = stringify(r);
    } catch (e) {
      c = 2;
      result = stringify({ error: `The action did not produce a valid JSON response: ${e}` });
    }
    if (result.length > resultLimit) {
      c = 2;
      result = stringify({ error: `The action produced a response that exceeded the allowed length: ${result.length} > ${resultLimit} bytes.` });
    }
    return `{"c":${c},"r":${result},"l":${stringify(logs)}}`;
  }

  // The outcome of a settled activation value, serialized.
  function outcome(value, resultLimit) {
    if (value === undefined) value = {};
    if (typeof value !== 'object' || value === null) {
      record('stderr', [`Result must be of type object but has type "${value === null ? 'null' : typeof value}":`, value]);
      return finish(2, { error: 'The action did not return a dictionary.' }, resultLimit);
    }
    const isError = !Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, 'error');
    return finish(isError ? 1 : 0, value, resultLimit);
  }

  function rejection(e, resultLimit) {
    return finish(1, { error: e === undefined || e === null || e === '' ? {} : serializeError(e) }, resultLimit);
  }

  // The host runs one activation at a time. `completed` holds the outcome of one that settled
  // after start() returned; `notify` (a host callback, fire-and-forget) says it is ready.
  let completed = '';
  let notify;

  // Starts an activation: returns its serialized outcome when main finished synchronously,
  // else '' — the outcome then comes from take(), after notify().
  function start(input) {
    const { p: params, e: env, logLimit: limit, resultLimit } = parse(input);
    logs = [];
    logBytes = 0;
    logLimit = limit;
    logsTruncated = false;
    completed = '';
    process.env = env;
    let value;
    let then;
    try {
      value = main(params);
      then = value !== null && (typeof value === 'object' || typeof value === 'function') ? value.then : undefined;
    } catch (e) {
      record('stderr', [e]);
      return finish(2, { error: `An error has occurred: ${e}` }, resultLimit);
    }
    if (typeof then !== 'function') return outcome(value, resultLimit);
    const deliver = (text) => {
      completed = text;
      if (notify) notify();
    };
    Promise.resolve(value).then(
      (settled) => deliver(outcome(settled, resultLimit)),
      (e) => deliver(rejection(e, resultLimit)),
    );
    return '';
  }

  function take() {
    const text = completed;
    completed = '';
    return text;
  }

  function setNotify(callback) {
    if (notify === undefined) notify = callback;
  }

  global.__edgewhisk = Object.freeze({ init, start, take, setNotify });
})(globalThis);
