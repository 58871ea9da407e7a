// The Node.js built-in modules an action can require in its isolate: the ones that are pure
// computation (path, events, util, assert, querystring, string_decoder, url, buffer, crypto's
// hashes and randomness, timers, os facts, module.createRequire). Anything reaching the machine
// (fs, child_process, net, http, …) is not here, and requiring it fails with a clear error.
function nodeLibrary(rt) {
  const encoding = () => rt.lib('encoding');
  const web = () => rt.lib('web');
  const made = new Map();

  function argType(name, expected, value) {
    const e = new TypeError(`The "${name}" argument must be ${expected}. Received ${value === null ? 'null' : typeof value}`);
    e.code = 'ERR_INVALID_ARG_TYPE';
    return e;
  }

  // ---- path (POSIX) -------------------------------------------------------------------------
  function makePath() {
    const check = (value, name = 'path') => { if (typeof value !== 'string') throw argType(name, 'of type string', value); };
    function normalizeString(path, allowAbove) {
      const out = [];
      for (const part of path.split('/')) {
        if (part === '' || part === '.') continue;
        if (part === '..') {
          if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
          else if (allowAbove) out.push('..');
        } else out.push(part);
      }
      return out.join('/');
    }
    const path = {
      sep: '/',
      delimiter: ':',
      normalize(p) {
        check(p);
        if (p === '') return '.';
        const absolute = p.startsWith('/');
        const trailing = p.endsWith('/');
        let body = normalizeString(p, !absolute);
        if (body === '' && !absolute) body = '.';
        if (body !== '' && trailing) body += '/';
        return absolute ? `/${body}` : body;
      },
      join(...parts) {
        for (const p of parts) check(p);
        const joined = parts.filter((p) => p !== '').join('/');
        return joined === '' ? '.' : path.normalize(joined);
      },
      resolve(...parts) {
        let resolved = '';
        for (let i = parts.length - 1; i >= -1 && !resolved.startsWith('/'); i--) {
          const p = i >= 0 ? parts[i] : '/action';
          check(p);
          if (p === '') continue;
          resolved = resolved === '' ? p : `${p}/${resolved}`;
        }
        const body = normalizeString(resolved, false);
        return `/${body}`;
      },
      isAbsolute(p) { check(p); return p.startsWith('/'); },
      dirname(p) {
        check(p);
        if (p === '') return '.';
        let end = p.length;
        while (end > 1 && p[end - 1] === '/') end--;
        const i = p.lastIndexOf('/', end - 1);
        if (i < 0) return '.';
        if (i === 0) return '/';
        let cut = i;
        while (cut > 1 && p[cut - 1] === '/') cut--;
        return p.slice(0, cut);
      },
      basename(p, ext) {
        check(p);
        let end = p.length;
        while (end > 0 && p[end - 1] === '/') end--;
        const base = p.slice(p.lastIndexOf('/', end - 1) + 1, end);
        return ext !== undefined && base.endsWith(ext) && base !== ext ? base.slice(0, base.length - ext.length) : base;
      },
      extname(p) {
        const base = path.basename(p);
        const dot = base.lastIndexOf('.');
        return dot <= 0 ? '' : base.slice(dot);
      },
      relative(from, to) {
        const a = path.resolve(from).split('/').filter(Boolean);
        const b = path.resolve(to).split('/').filter(Boolean);
        let i = 0;
        while (i < a.length && i < b.length && a[i] === b[i]) i++;
        return [...a.slice(i).map(() => '..'), ...b.slice(i)].join('/');
      },
      parse(p) {
        check(p);
        const root = p.startsWith('/') ? '/' : '';
        const base = path.basename(p);
        const ext = path.extname(p);
        let dir = path.dirname(p);
        if (dir === '.' && !p.includes('/')) dir = '';
        return { root, dir, base, ext, name: ext ? base.slice(0, -ext.length) : base };
      },
      format(o) {
        const dir = o.dir || o.root || '';
        const base = o.base || `${o.name || ''}${o.ext ? (o.ext.startsWith('.') ? o.ext : `.${o.ext}`) : ''}`;
        return dir ? (dir === o.root ? `${dir}${base}` : `${dir}/${base}`) : base;
      },
      toNamespacedPath: (p) => p,
      matchesGlob() { throw new Error('path.matchesGlob is not available in edgewhisk actions.'); },
    };
    path.posix = path;
    path.win32 = path;
    return path;
  }

  // ---- events -------------------------------------------------------------------------------
  function makeEvents() {
    const kEvents = Symbol('events');
    class EventEmitter {
      constructor() {
        Object.defineProperty(this, kEvents, { value: new Map(), writable: true, configurable: true });
        this._maxListeners = undefined;
      }
      #map() {
        if (!Object.prototype.hasOwnProperty.call(this, kEvents)) Object.defineProperty(this, kEvents, { value: new Map(), writable: true, configurable: true });
        return this[kEvents];
      }
      #add(name, listener, prepend, once) {
        if (typeof listener !== 'function') throw argType('listener', 'of type function', listener);
        const map = this.#map();
        if (map.has('newListener')) this.emit('newListener', name, listener);
        const list = map.get(name) || [];
        const entry = { listener, once };
        if (prepend) list.unshift(entry); else list.push(entry);
        map.set(name, list);
        return this;
      }
      on(name, listener) { return this.#add(name, listener, false, false); }
      addListener(name, listener) { return this.#add(name, listener, false, false); }
      prependListener(name, listener) { return this.#add(name, listener, true, false); }
      once(name, listener) { return this.#add(name, listener, false, true); }
      prependOnceListener(name, listener) { return this.#add(name, listener, true, true); }
      off(name, listener) { return this.removeListener(name, listener); }
      removeListener(name, listener) {
        const map = this.#map();
        const list = map.get(name);
        if (!list) return this;
        const index = list.findIndex((entry) => entry.listener === listener);
        if (index >= 0) {
          list.splice(index, 1);
          if (list.length === 0) map.delete(name);
          if (map.has('removeListener')) this.emit('removeListener', name, listener);
        }
        return this;
      }
      removeAllListeners(name) {
        const map = this.#map();
        if (name === undefined) map.clear(); else map.delete(name);
        return this;
      }
      emit(name, ...args) {
        const list = this.#map().get(name);
        if (!list || list.length === 0) {
          if (name === 'error') {
            const error = args[0] instanceof Error ? args[0] : new Error(`Unhandled error. (${rt.inspect(args[0])})`);
            throw error;
          }
          return false;
        }
        for (const entry of list.slice()) {
          if (entry.once) this.removeListener(name, entry.listener);
          entry.listener.apply(this, args);
        }
        return true;
      }
      listeners(name) { return (this.#map().get(name) || []).map((entry) => entry.listener); }
      rawListeners(name) { return this.listeners(name); }
      listenerCount(name) { return (this.#map().get(name) || []).length; }
      eventNames() { return [...this.#map().keys()]; }
      setMaxListeners(n) { this._maxListeners = n; return this; }
      getMaxListeners() { return this._maxListeners === undefined ? EventEmitter.defaultMaxListeners : this._maxListeners; }
      static once(emitter, name) {
        return new Promise((resolve, reject) => {
          const onError = (error) => { emitter.removeListener(name, onEvent); reject(error); };
          const onEvent = (...args) => { if (name !== 'error') emitter.removeListener('error', onError); resolve(args); };
          emitter.once(name, onEvent);
          if (name !== 'error') emitter.once('error', onError);
        });
      }
      static listenerCount(emitter, name) { return emitter.listenerCount(name); }
    }
    EventEmitter.defaultMaxListeners = 10;
    EventEmitter.EventEmitter = EventEmitter;
    EventEmitter.errorMonitor = Symbol('events.errorMonitor');
    EventEmitter.captureRejectionSymbol = Symbol.for('nodejs.rejection');
    return EventEmitter;
  }

  // ---- equality (assert, util.isDeepStrictEqual) ----------------------------------------------
  function deepEqual(a, b, strict, seen = new Map()) {
    if (strict ? Object.is(a, b) : a == b || (a !== a && b !== b)) return true; // eslint-disable-line eqeqeq
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
    if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
    const tag = Object.prototype.toString.call(a);
    if (tag !== Object.prototype.toString.call(b)) return false;
    if (seen.get(a) === b) return true;
    seen.set(a, b);
    if (a instanceof Date) return a.getTime() === b.getTime();
    if (a instanceof RegExp) return a.source === b.source && a.flags === b.flags;
    if (a instanceof Error && (a.message !== b.message || a.name !== b.name)) return false;
    if (ArrayBuffer.isView(a)) {
      if (a.byteLength !== b.byteLength) return false;
      const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    }
    if (a instanceof Map) {
      if (a.size !== b.size) return false;
      for (const [k, v] of a) if (!b.has(k) || !deepEqual(v, b.get(k), strict, seen)) return false;
      return true;
    }
    if (a instanceof Set) {
      if (a.size !== b.size) return false;
      for (const v of a) if (!b.has(v) && ![...b].some((w) => deepEqual(v, w, strict, seen))) return false;
      return true;
    }
    const keysA = Object.keys(a);
    const keysB = Object.keys(b);
    if (keysA.length !== keysB.length) return false;
    for (const key of keysA) {
      if (!Object.prototype.hasOwnProperty.call(b, key) || !deepEqual(a[key], b[key], strict, seen)) return false;
    }
    return true;
  }

  // ---- assert -------------------------------------------------------------------------------
  function makeAssert() {
    class AssertionError extends Error {
      constructor(options = {}) {
        super(options.message !== undefined ? String(options.message) : `${rt.inspect(options.actual)} ${options.operator} ${rt.inspect(options.expected)}`);
        this.name = 'AssertionError';
        this.code = 'ERR_ASSERTION';
        this.actual = options.actual;
        this.expected = options.expected;
        this.operator = options.operator;
        this.generatedMessage = options.message === undefined;
      }
    }
    const fail = (actual, expected, message, operator) => {
      if (message instanceof Error) throw message;
      throw new AssertionError({ actual, expected, message, operator });
    };
    const matches = (error, expected) => {
      if (expected === undefined) return true;
      if (typeof expected === 'function') {
        if (expected.prototype !== undefined && error instanceof expected) return true;
        if (Error.isPrototypeOf(expected) || expected === Error) return false;
        return expected.call({}, error) === true;
      }
      if (expected instanceof RegExp) return expected.test(String(error));
      if (typeof expected === 'object' && expected !== null) return Object.keys(expected).every((k) => (expected[k] instanceof RegExp ? expected[k].test(error[k]) : deepEqual(error[k], expected[k], true)));
      return false;
    };
    const assert = (value, message) => { if (!value) fail(value, true, message === undefined ? 'The expression evaluated to a falsy value' : message, '=='); };
    Object.assign(assert, {
      AssertionError,
      ok: assert,
      fail: (message = 'Failed') => fail(undefined, undefined, message, 'fail'),
      equal: (a, b, m) => { if (!(a == b || (a !== a && b !== b))) fail(a, b, m, '=='); }, // eslint-disable-line eqeqeq
      notEqual: (a, b, m) => { if (a == b) fail(a, b, m, '!='); }, // eslint-disable-line eqeqeq
      strictEqual: (a, b, m) => { if (!Object.is(a, b)) fail(a, b, m, 'strictEqual'); },
      notStrictEqual: (a, b, m) => { if (Object.is(a, b)) fail(a, b, m, 'notStrictEqual'); },
      deepEqual: (a, b, m) => { if (!deepEqual(a, b, false)) fail(a, b, m, 'deepEqual'); },
      deepStrictEqual: (a, b, m) => { if (!deepEqual(a, b, true)) fail(a, b, m, 'deepStrictEqual'); },
      notDeepEqual: (a, b, m) => { if (deepEqual(a, b, false)) fail(a, b, m, 'notDeepEqual'); },
      notDeepStrictEqual: (a, b, m) => { if (deepEqual(a, b, true)) fail(a, b, m, 'notDeepStrictEqual'); },
      match: (s, re, m) => { if (!re.test(s)) fail(s, re, m, 'match'); },
      doesNotMatch: (s, re, m) => { if (re.test(s)) fail(s, re, m, 'doesNotMatch'); },
      ifError: (value) => { if (value !== null && value !== undefined) throw value; },
      throws(fn, expected, message) {
        try { fn(); } catch (error) {
          if (!matches(error, expected)) throw error;
          return;
        }
        fail(undefined, expected, typeof expected === 'string' ? expected : message || 'Missing expected exception.', 'throws');
      },
      doesNotThrow(fn, message) {
        try { fn(); } catch (error) { fail(error, undefined, typeof message === 'string' ? message : `Got unwanted exception.\nActual message: "${error && error.message}"`, 'doesNotThrow'); }
      },
      async rejects(promiseOrFn, expected, message) {
        try { await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn); } catch (error) {
          if (!matches(error, expected)) throw error;
          return;
        }
        fail(undefined, expected, typeof expected === 'string' ? expected : message || 'Missing expected rejection.', 'rejects');
      },
      async doesNotReject(promiseOrFn, message) {
        try { await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn); } catch (error) { fail(error, undefined, message || 'Got unwanted rejection.', 'doesNotReject'); }
      },
    });
    assert.strict = Object.assign((value, message) => assert(value, message), assert, {
      equal: assert.strictEqual, notEqual: assert.notStrictEqual, deepEqual: assert.deepStrictEqual, notDeepEqual: assert.notDeepStrictEqual,
    });
    assert.strict.strict = assert.strict;
    return assert;
  }

  // ---- util ---------------------------------------------------------------------------------
  function makeUtil() {
    const custom = Symbol.for('nodejs.util.promisify.custom');
    const types = makeTypes();
    function promisify(original) {
      if (typeof original !== 'function') throw argType('original', 'of type function', original);
      if (original === rt.timers.setTimeout) return builtin('timers/promises').setTimeout;
      if (original === rt.timers.setImmediate) return builtin('timers/promises').setImmediate;
      if (typeof original[custom] === 'function') return original[custom];
      function promisified(...args) {
        return new Promise((resolve, reject) => {
          Reflect.apply(original, this, [...args, (error, ...values) => (error ? reject(error) : resolve(values.length > 1 ? values : values[0]))]);
        });
      }
      Object.setPrototypeOf(promisified, Object.getPrototypeOf(original));
      return Object.defineProperties(promisified, Object.getOwnPropertyDescriptors(original));
    }
    promisify.custom = custom;
    const inspect = (value) => rt.inspect(value);
    inspect.custom = Symbol.for('nodejs.util.inspect.custom');
    inspect.defaultOptions = {};
    return {
      format: (...args) => rt.format(args),
      formatWithOptions: (options, ...args) => rt.format(args),
      inspect,
      promisify,
      callbackify(original) {
        return function (...args) {
          const callback = args.pop();
          Reflect.apply(original, this, args).then((value) => callback(null, value), (error) => callback(error || new Error('Promise was rejected with a falsy value')));
        };
      },
      inherits(ctor, superCtor) {
        Object.defineProperty(ctor, 'super_', { value: superCtor, writable: true, configurable: true });
        Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
      },
      deprecate: (fn) => fn,
      debuglog: () => Object.assign(() => {}, { enabled: false }),
      debug: () => Object.assign(() => {}, { enabled: false }),
      isDeepStrictEqual: (a, b) => deepEqual(a, b, true),
      isArray: Array.isArray,
      isError: (e) => e instanceof Error,
      types,
      TextEncoder: encoding().TextEncoder,
      TextDecoder: encoding().TextDecoder,
      stripVTControlCharacters: (s) => String(s).replace(/\u001b\[[0-9;]*m/g, ''),
      toUSVString: (s) => String(s).toWellFormed(),
      parseArgs() { throw new Error('util.parseArgs is not available in edgewhisk actions.'); },
    };
  }

  function makeTypes() {
    const tag = (value) => Object.prototype.toString.call(value);
    const AsyncFunction = (async () => {}).constructor;
    const GeneratorFunction = function* () {}.constructor;
    return {
      isDate: (v) => tag(v) === '[object Date]',
      isRegExp: (v) => tag(v) === '[object RegExp]',
      isPromise: (v) => tag(v) === '[object Promise]',
      isMap: (v) => tag(v) === '[object Map]',
      isSet: (v) => tag(v) === '[object Set]',
      isWeakMap: (v) => tag(v) === '[object WeakMap]',
      isWeakSet: (v) => tag(v) === '[object WeakSet]',
      isNativeError: (v) => v instanceof Error,
      isArrayBuffer: (v) => v instanceof ArrayBuffer,
      isSharedArrayBuffer: (v) => v instanceof SharedArrayBuffer,
      isAnyArrayBuffer: (v) => v instanceof ArrayBuffer || v instanceof SharedArrayBuffer,
      isArrayBufferView: (v) => ArrayBuffer.isView(v),
      isTypedArray: (v) => ArrayBuffer.isView(v) && !(v instanceof DataView),
      isUint8Array: (v) => v instanceof Uint8Array,
      isDataView: (v) => v instanceof DataView,
      isAsyncFunction: (v) => v instanceof AsyncFunction,
      isGeneratorFunction: (v) => v instanceof GeneratorFunction,
      isBoxedPrimitive: (v) => ['[object Number]', '[object String]', '[object Boolean]', '[object BigInt]', '[object Symbol]'].includes(tag(v)) && typeof v === 'object',
      isProxy: () => false,
    };
  }

  // ---- crypto (Node API) --------------------------------------------------------------------
  function makeCrypto() {
    const { Buffer } = encoding();
    const HASHES = { md5: 'md5', sha1: 'sha1', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512', 'sha-1': 'sha1', 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' };
    const algorithm = (name) => {
      const found = typeof name === 'string' ? HASHES[name.toLowerCase()] : undefined;
      if (found === undefined) throw new Error(`Digest method not supported: ${name} (edgewhisk supports md5, sha1, sha256, sha384, sha512)`);
      return found;
    };
    const toBytes = (data, enc) => {
      if (typeof data === 'string') return Buffer.from(data, enc);
      if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (data instanceof ArrayBuffer) return new Uint8Array(data);
      throw argType('data', 'of type string or an instance of Buffer, TypedArray, or DataView', data);
    };
    const output = (bytes, enc) => {
      const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return enc === undefined || enc === 'buffer' ? buffer : buffer.toString(enc);
    };
    class Hash {
      #algorithm;
      #key;
      #chunks = [];
      #done = false;
      constructor(name, key) {
        this.#algorithm = algorithm(name);
        this.#key = key;
      }
      update(data, enc) {
        if (this.#done) { const e = new Error('Digest already called'); e.code = 'ERR_CRYPTO_HASH_FINALIZED'; throw e; }
        this.#chunks.push(Buffer.from(toBytes(data, enc)));
        return this;
      }
      digest(enc) {
        if (this.#done) { const e = new Error('Digest already called'); e.code = 'ERR_CRYPTO_HASH_FINALIZED'; throw e; }
        this.#done = true;
        const data = Buffer.concat(this.#chunks);
        const bytes = this.#key === undefined ? rt.compute('digest', this.#algorithm, data) : rt.compute('hmac', this.#algorithm, this.#key, data);
        return output(bytes, enc);
      }
      copy() {
        const copy = new Hash(this.#algorithm, this.#key);
        for (const chunk of this.#chunks) copy.update(chunk);
        return copy;
      }
    }
    const randomBytes = (size, callback) => {
      if (typeof size !== 'number' || !(size >= 0 && size <= 2 ** 31 - 1)) throw new RangeError(`The value of "size" is out of range. Received ${size}`);
      const buffer = Buffer.alloc(size);
      for (let at = 0; at < size; at += 65536) buffer.set(rt.compute('random', Math.min(65536, size - at)), at);
      if (typeof callback === 'function') { rt.queueMicrotask(() => callback(null, buffer)); return undefined; }
      return buffer;
    };
    const randomInt = (min, max, callback) => {
      if (max === undefined || typeof max === 'function') { callback = max; max = min; min = 0; }
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max <= min) throw new RangeError('The "max" argument must be greater than "min" and both safe integers');
      const range = max - min;
      const limit = 2 ** 48 - (2 ** 48 % range);
      let value;
      do {
        const b = rt.compute('random', 6);
        value = b[0] * 2 ** 40 + b[1] * 2 ** 32 + b[2] * 2 ** 24 + b[3] * 2 ** 16 + b[4] * 2 ** 8 + b[5];
      } while (value >= limit);
      const result = min + (value % range);
      if (typeof callback === 'function') { rt.queueMicrotask(() => callback(null, result)); return undefined; }
      return result;
    };
    return {
      createHash: (name) => new Hash(name, undefined),
      createHmac: (name, key) => new Hash(name, Buffer.from(toBytes(key))),
      hash: (name, data, enc = 'hex') => new Hash(name, undefined).update(data).digest(enc),
      getHashes: () => ['md5', 'sha1', 'sha256', 'sha384', 'sha512'],
      randomBytes,
      pseudoRandomBytes: randomBytes,
      randomFillSync(target, offset = 0, size) {
        const view = new Uint8Array(target.buffer || target, target.byteOffset || 0, target.byteLength);
        const end = size === undefined ? view.length : offset + size;
        for (let at = offset; at < end; at += 65536) view.set(rt.compute('random', Math.min(65536, end - at)), at);
        return target;
      },
      randomInt,
      randomUUID: () => web().randomUUID(),
      getRandomValues: (array) => web().getRandomValues(array),
      timingSafeEqual(a, b) {
        const x = toBytes(a);
        const y = toBytes(b);
        if (x.length !== y.length) { const e = new RangeError('Input buffers must have the same byte length'); e.code = 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH'; throw e; }
        let diff = 0;
        for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
        return diff === 0;
      },
      webcrypto: web().crypto,
      subtle: web().crypto.subtle,
      constants: {},
    };
  }

  // ---- querystring --------------------------------------------------------------------------
  function makeQuerystring() {
    const unescape = (s) => {
      try { return decodeURIComponent(s); } catch { return s.replace(/%([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))); }
    };
    const escape = (s) => encodeURIComponent(s);
    const stringifyValue = (v) => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'bigint' || typeof v === 'boolean' ? String(v) : '');
    const qs = {
      escape,
      unescape,
      parse(text, sep = '&', eq = '=', options = {}) {
        const result = Object.create(null);
        if (typeof text !== 'string' || text === '') return result;
        const maxKeys = options && typeof options.maxKeys === 'number' ? options.maxKeys : 1000;
        let pieces = text.split(sep);
        if (maxKeys > 0) pieces = pieces.slice(0, maxKeys);
        const decode = options && typeof options.decodeURIComponent === 'function' ? options.decodeURIComponent : unescape;
        for (const piece of pieces) {
          if (piece === '') continue;
          const at = piece.indexOf(eq);
          const key = decode((at < 0 ? piece : piece.slice(0, at)).replace(/\+/g, ' '));
          const value = at < 0 ? '' : decode(piece.slice(at + eq.length).replace(/\+/g, ' '));
          if (!(key in result)) result[key] = value;
          else if (Array.isArray(result[key])) result[key].push(value);
          else result[key] = [result[key], value];
        }
        return result;
      },
      stringify(object, sep = '&', eq = '=', options = {}) {
        if (object === null || typeof object !== 'object') return '';
        const encode = options && typeof options.encodeURIComponent === 'function' ? options.encodeURIComponent : escape;
        return Object.keys(object).map((key) => {
          const value = object[key];
          const name = encode(stringifyValue(key));
          if (Array.isArray(value)) return value.map((v) => `${name}${eq}${encode(stringifyValue(v))}`).join(sep);
          return `${name}${eq}${encode(stringifyValue(value))}`;
        }).filter((part) => part !== '').join(sep);
      },
    };
    qs.decode = qs.parse;
    qs.encode = qs.stringify;
    return qs;
  }

  // ---- string_decoder -----------------------------------------------------------------------
  function makeStringDecoder() {
    const { Buffer, TextDecoder } = encoding();
    class StringDecoder {
      #encoding;
      #decoder;
      #rest = new Uint8Array(0);
      constructor(enc = 'utf8') {
        this.#encoding = String(enc).toLowerCase().replace('-', '');
        if (this.#encoding === 'utf8' || this.#encoding === 'utf16le' || this.#encoding === 'ucs2') {
          this.#decoder = new TextDecoder(this.#encoding === 'utf8' ? 'utf-8' : 'utf-16le');
        }
        Buffer.isEncoding(this.#encoding) || Buffer.from('', this.#encoding);
      }
      get encoding() { return this.#encoding === 'ucs2' ? 'utf16le' : this.#encoding; }
      write(chunk) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        if (this.#decoder) return this.#decoder.decode(bytes, { stream: true });
        if (this.#encoding === 'base64' || this.#encoding === 'base64url') {
          const all = Buffer.concat([this.#rest, bytes]);
          const whole = all.length - (all.length % 3);
          this.#rest = all.slice(whole);
          return Buffer.from(all.subarray(0, whole)).toString(this.#encoding);
        }
        return Buffer.from(bytes).toString(this.#encoding);
      }
      end(chunk) {
        let text = chunk === undefined ? '' : this.write(chunk);
        if (this.#decoder) text += this.#decoder.decode();
        else if (this.#rest.length) { text += Buffer.from(this.#rest).toString(this.#encoding); this.#rest = new Uint8Array(0); }
        return text;
      }
    }
    return { StringDecoder };
  }

  // ---- url (Node API) -----------------------------------------------------------------------
  function makeUrl() {
    const { URL, URLSearchParams } = rt.lib('url');
    const pattern = /^(?:([a-z][a-z0-9+.-]*:))?(?:(\/\/)(?:([^@/?#]*)@)?(\[[^\]]*\]|[^/?#:]*)(?::(\d*))?)?([^?#]*)(\?[^#]*)?(#.*)?$/i;
    function Url() {}
    function parse(text, parseQuery) {
      const m = pattern.exec(String(text).trim()) || [];
      const url = new Url();
      url.protocol = m[1] ? m[1].toLowerCase() : null;
      url.slashes = m[2] ? true : null;
      url.auth = m[3] !== undefined ? decodeURIComponent(m[3]) : null;
      url.hostname = m[4] !== undefined ? m[4].toLowerCase() : null;
      url.port = m[5] || null;
      url.host = url.hostname !== null ? url.hostname + (url.port ? `:${url.port}` : '') : null;
      url.pathname = m[6] || (url.slashes ? '/' : null);
      url.search = m[7] || null;
      url.query = parseQuery ? builtin('querystring').parse((m[7] || '').slice(1)) : m[7] ? m[7].slice(1) : null;
      url.hash = m[8] || null;
      url.path = (url.pathname || '') + (url.search || '') || null;
      url.href = format(url);
      return url;
    }
    function format(input) {
      if (typeof input === 'string') return format(parse(input));
      if (input instanceof URL) return input.href;
      const o = input || {};
      const protocol = o.protocol ? (o.protocol.endsWith(':') ? o.protocol : `${o.protocol}:`) : '';
      const host = o.host || (o.hostname ? o.hostname + (o.port ? `:${o.port}` : '') : '');
      const auth = o.auth ? `${encodeURIComponent(o.auth).replace(/%3A/i, ':')}@` : '';
      const slashes = o.slashes || /^(https?|ftp|file|wss?):$/.test(protocol) || host ? '//' : '';
      let search = o.search || '';
      if (!search && o.query && typeof o.query === 'object') {
        const q = builtin('querystring').stringify(o.query);
        search = q ? `?${q}` : '';
      }
      if (search && !search.startsWith('?')) search = `?${search}`;
      const hash = o.hash ? (o.hash.startsWith('#') ? o.hash : `#${o.hash}`) : '';
      let pathname = o.pathname || '';
      if (host && pathname && !pathname.startsWith('/')) pathname = `/${pathname}`;
      return `${protocol}${host || slashes === '//' && protocol ? slashes : ''}${host ? auth + host : ''}${pathname}${search}${hash}`;
    }
    return {
      URL,
      URLSearchParams,
      parse,
      format,
      resolve(from, to) {
        const base = new URL(from, 'resolve://host/');
        const resolved = new URL(to, base);
        if (resolved.protocol !== 'resolve:') return resolved.href;
        const { pathname, search, hash } = resolved;
        return (String(from).startsWith('/') ? pathname : pathname.slice(1)) + search + hash;
      },
      fileURLToPath(url) {
        const parsed = typeof url === 'string' ? new URL(url) : url;
        if (parsed.protocol !== 'file:') { const e = new TypeError('The URL must be of scheme file'); e.code = 'ERR_INVALID_URL_SCHEME'; throw e; }
        return decodeURIComponent(parsed.pathname);
      },
      pathToFileURL(path) {
        const absolute = builtin('path').resolve(String(path));
        return new URL(`file://${absolute.split('/').map(encodeURIComponent).join('/')}`);
      },
      domainToASCII: (domain) => { try { return new URL(`http://${domain}`).hostname; } catch { return ''; } },
      domainToUnicode: (domain) => String(domain),
      Url,
    };
  }

  // ---- timers -------------------------------------------------------------------------------
  function makeTimersPromises() {
    const abortable = (signal, executor) => new Promise((resolve, reject) => {
      if (signal && signal.aborted) { reject(signal.reason); return; }
      const handle = executor(resolve);
      if (signal) signal.addEventListener('abort', () => { rt.timers.clearTimeout(handle); reject(signal.reason); }, { once: true });
    });
    return {
      setTimeout: (delay, value, options = {}) => abortable(options && options.signal, (resolve) => rt.timers.setTimeout(() => resolve(value), delay)),
      setImmediate: (value, options = {}) => abortable(options && options.signal, (resolve) => rt.timers.setImmediate(() => resolve(value))),
      async *setInterval(delay, value) {
        for (;;) yield await new Promise((resolve) => rt.timers.setTimeout(() => resolve(value), delay));
      },
      scheduler: {
        wait: (delay, options) => abortable(options && options.signal, (resolve) => rt.timers.setTimeout(resolve, delay)),
        yield: () => new Promise((resolve) => rt.timers.setImmediate(resolve)),
      },
    };
  }

  // ---- os -----------------------------------------------------------------------------------
  function makeOs() {
    return {
      EOL: '\n',
      devNull: '/dev/null',
      platform: () => 'linux',
      type: () => 'Linux',
      arch: () => 'x64',
      machine: () => 'x86_64',
      release: () => '6.0.0',
      version: () => '#1 SMP',
      hostname: () => 'edgewhisk',
      homedir: () => '/root',
      tmpdir: () => '/tmp',
      endianness: () => 'LE',
      uptime: () => rt.process.uptime(),
      loadavg: () => [0, 0, 0],
      totalmem: () => 0,
      freemem: () => 0,
      availableParallelism: () => 1,
      cpus: () => [],
      networkInterfaces: () => ({}),
      userInfo: () => ({ uid: 0, gid: 0, username: 'root', homedir: '/root', shell: null }),
      constants: { signals: {}, errno: {} },
    };
  }

  // ---- module -------------------------------------------------------------------------------
  const SUPPORTED = [
    'assert', 'assert/strict', 'buffer', 'crypto', 'events', 'module', 'os', 'path', 'path/posix', 'perf_hooks', 'process',
    'querystring', 'string_decoder', 'timers', 'timers/promises', 'url', 'util', 'util/types',
  ];

  function makeModule() {
    const createRequire = (filename) => {
      const text = filename instanceof rt.lib('url').URL ? filename.href : String(filename);
      const path = text.startsWith('file:') ? builtin('url').fileURLToPath(text) : text;
      if (!path.startsWith('/')) throw argType('filename', 'a file URL object, file URL string, or absolute path string', filename);
      return rt.makeRequire(path);
    };
    return {
      createRequire,
      builtinModules: SUPPORTED.slice(),
      isBuiltin: (name) => SUPPORTED.includes(String(name).replace(/^node:/, '')),
    };
  }

  const FACTORIES = {
    assert: makeAssert,
    'assert/strict': () => builtin('assert').strict,
    buffer: () => {
      const { Buffer, constants, atob, btoa } = encoding();
      const { Blob, File } = rt.lib('fetch');
      return { Buffer, constants, kMaxLength: constants.MAX_LENGTH, kStringMaxLength: constants.MAX_STRING_LENGTH, atob, btoa, Blob, File, SlowBuffer: Buffer };
    },
    crypto: makeCrypto,
    events: makeEvents,
    module: makeModule,
    os: makeOs,
    path: makePath,
    'path/posix': () => builtin('path'),
    perf_hooks: () => ({ performance: web().performance }),
    querystring: makeQuerystring,
    string_decoder: makeStringDecoder,
    timers: () => ({ ...rt.timers, promises: builtin('timers/promises') }),
    'timers/promises': makeTimersPromises,
    url: makeUrl,
    util: makeUtil,
    'util/types': makeTypes,
  };

  function builtin(name) {
    let exports = made.get(name);
    if (exports === undefined) {
      if (!Object.hasOwn(FACTORIES, name)) return undefined;
      const factory = FACTORIES[name];
      exports = factory();
      made.set(name, exports);
    }
    return exports;
  }

  return { builtin: (name) => (name === 'process' ? rt.process : builtin(name)), deepEqual };
}
