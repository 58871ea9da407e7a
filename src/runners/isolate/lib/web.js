// Web platform objects in the action isolate: DOMException, Event, EventTarget, AbortController,
// AbortSignal, structuredClone, performance and crypto (getRandomValues, randomUUID, subtle.digest
// and HMAC sign/verify). Random bytes, digests and HMACs come from the host's crypto through the
// pure `compute` callback; everything else is plain code here.
function webLibrary(rt) {
  // ---- DOMException -------------------------------------------------------------------------
  const LEGACY_CODES = {
    IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5, NoModificationAllowedError: 7,
    NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11, SyntaxError: 12, InvalidModificationError: 13,
    NamespaceError: 14, InvalidAccessError: 15, TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20,
    URLMismatchError: 21, QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
  };

  class DOMException extends Error {
    #name;
    constructor(message = '', options = 'Error') {
      super(String(message));
      if (typeof options === 'object' && options !== null) {
        this.#name = 'name' in options ? String(options.name) : 'Error';
        if ('cause' in options) Object.defineProperty(this, 'cause', { value: options.cause, writable: true, configurable: true });
      } else {
        this.#name = String(options);
      }
    }
    get name() { return this.#name; }
    get code() { return LEGACY_CODES[this.#name] || 0; }
  }
  for (const [name, code] of Object.entries(LEGACY_CODES)) {
    const constant = name.replace(/Error$/, '').replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() + '_ERR';
    Object.defineProperty(DOMException, constant, { value: code, enumerable: true });
  }

  // ---- events -------------------------------------------------------------------------------
  class Event {
    #type;
    #cancelable;
    #bubbles;
    #defaultPrevented = false;
    #timeStamp = Date.now();
    target = null;
    currentTarget = null;
    constructor(type, options = {}) {
      if (arguments.length === 0) throw new TypeError('The "type" argument must be specified');
      this.#type = String(type);
      this.#cancelable = Boolean(options && options.cancelable);
      this.#bubbles = Boolean(options && options.bubbles);
    }
    get type() { return this.#type; }
    get cancelable() { return this.#cancelable; }
    get bubbles() { return this.#bubbles; }
    get defaultPrevented() { return this.#defaultPrevented; }
    get timeStamp() { return this.#timeStamp; }
    get isTrusted() { return false; }
    get srcElement() { return this.target; }
    composedPath() { return this.currentTarget ? [this.currentTarget] : []; }
    preventDefault() { if (this.#cancelable) this.#defaultPrevented = true; }
    stopPropagation() {}
    stopImmediatePropagation() { this._stopped = true; }
  }

  class EventTarget {
    #listeners = new Map();
    addEventListener(type, listener, options) {
      if (listener === null || listener === undefined) return;
      const once = typeof options === 'object' && options !== null && Boolean(options.once);
      const signal = typeof options === 'object' && options !== null ? options.signal : undefined;
      if (signal && signal.aborted) return;
      const key = String(type);
      let list = this.#listeners.get(key);
      if (!list) this.#listeners.set(key, (list = []));
      if (list.some((entry) => entry.listener === listener)) return;
      list.push({ listener, once });
      if (signal) signal.addEventListener('abort', () => this.removeEventListener(key, listener), { once: true });
    }
    removeEventListener(type, listener) {
      const list = this.#listeners.get(String(type));
      if (!list) return;
      const index = list.findIndex((entry) => entry.listener === listener);
      if (index >= 0) list.splice(index, 1);
    }
    dispatchEvent(event) {
      if (!(event instanceof Event)) throw new TypeError('The "event" argument must be an instance of Event.');
      event.target = this;
      event.currentTarget = this;
      const handler = this[`on${event.type}`];
      const list = (this.#listeners.get(event.type) || []).slice();
      if (typeof handler === 'function') list.unshift({ listener: handler, once: false, property: true });
      for (const entry of list) {
        if (entry.once) this.removeEventListener(event.type, entry.listener);
        try {
          if (typeof entry.listener === 'function') entry.listener.call(this, event);
          else if (entry.listener && typeof entry.listener.handleEvent === 'function') entry.listener.handleEvent(event);
        } catch (e) {
          rt.uncaught(e);
        }
        if (event._stopped) break;
      }
      event.currentTarget = null;
      return !event.defaultPrevented;
    }
  }

  // ---- abort --------------------------------------------------------------------------------
  let signalAbort;

  class AbortSignal extends EventTarget {
    #aborted = false;
    #reason = undefined;
    onabort = null;
    constructor(key) {
      if (key !== signalKey) throw new TypeError('Illegal constructor');
      super();
    }
    static {
      signalAbort = (signal, reason) => {
        if (signal.#aborted) return;
        signal.#aborted = true;
        signal.#reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
        signal.dispatchEvent(new Event('abort'));
      };
    }
    get aborted() { return this.#aborted; }
    get reason() { return this.#reason; }
    throwIfAborted() { if (this.#aborted) throw this.#reason; }
    static abort(reason) {
      const signal = new AbortSignal(signalKey);
      signalAbort(signal, reason);
      return signal;
    }
    static timeout(ms) {
      const signal = new AbortSignal(signalKey);
      rt.timers.setTimeout(() => signalAbort(signal, new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
      return signal;
    }
    static any(signals) {
      const signal = new AbortSignal(signalKey);
      for (const source of signals) {
        if (source.aborted) { signalAbort(signal, source.reason); return signal; }
      }
      for (const source of signals) source.addEventListener('abort', () => signalAbort(signal, source.reason), { once: true });
      return signal;
    }
  }
  const signalKey = {};

  class AbortController {
    #signal = new AbortSignal(signalKey);
    get signal() { return this.#signal; }
    abort(reason) { signalAbort(this.#signal, reason); }
  }

  // ---- structuredClone ----------------------------------------------------------------------
  const TYPED = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array];
  const ERRORS = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

  function dataCloneError(value) {
    let shown;
    try { shown = typeof value === 'function' ? `${value.name || 'function'}` : String(value); } catch { shown = typeof value; }
    return new DOMException(`${shown} could not be cloned.`, 'DataCloneError');
  }

  function structuredClone(value, options) {
    if (arguments.length === 0) throw new TypeError('The "value" argument must be specified');
    if (options !== undefined && options !== null && options.transfer !== undefined && options.transfer.length > 0) {
      throw new DOMException('Transferring objects is not supported by structuredClone in edgewhisk actions.', 'DataCloneError');
    }
    const memory = new Map();
    const clone = (input) => {
      if (input === null || (typeof input !== 'object' && typeof input !== 'function' && typeof input !== 'symbol')) return input;
      if (typeof input === 'symbol' || typeof input === 'function') throw dataCloneError(input);
      if (memory.has(input)) return memory.get(input);
      let output;
      const tag = Object.prototype.toString.call(input);
      if (Array.isArray(input)) {
        output = new Array(input.length);
        memory.set(input, output);
        for (const key of Object.keys(input)) output[key] = clone(input[key]);
        return output;
      }
      switch (tag) {
        case '[object Date]': output = new Date(input.getTime()); break;
        case '[object RegExp]': output = new RegExp(input.source, input.flags); break;
        case '[object Boolean]': output = Object(Boolean.prototype.valueOf.call(input)); break;
        case '[object Number]': output = Object(Number.prototype.valueOf.call(input)); break;
        case '[object String]': output = Object(String.prototype.valueOf.call(input)); break;
        case '[object BigInt]': output = Object(BigInt.prototype.valueOf.call(input)); break;
        case '[object ArrayBuffer]': output = input.slice(0); break;
        case '[object Map]':
          output = new Map();
          memory.set(input, output);
          for (const [k, v] of input) output.set(clone(k), clone(v));
          return output;
        case '[object Set]':
          output = new Set();
          memory.set(input, output);
          for (const v of input) output.add(clone(v));
          return output;
        case '[object Error]': {
          const Ctor = ERRORS[input.name] || Error;
          output = new Ctor(input.message);
          memory.set(input, output);
          if (typeof input.stack === 'string') Object.defineProperty(output, 'stack', { value: input.stack, writable: true, configurable: true });
          if ('cause' in input) output.cause = clone(input.cause);
          return output;
        }
        case '[object DataView]': {
          const buffer = clone(input.buffer);
          output = new DataView(buffer, input.byteOffset, input.byteLength);
          break;
        }
        case '[object Promise]': case '[object WeakMap]': case '[object WeakSet]': case '[object WeakRef]': case '[object SharedArrayBuffer]':
          throw dataCloneError(input);
        default: {
          if (ArrayBuffer.isView(input)) {
            const Ctor = TYPED.find((C) => input instanceof C) || Uint8Array;
            output = new Ctor(clone(input.buffer), input.byteOffset, input.length);
            break;
          }
          if (input instanceof Error) {
            output = new (ERRORS[input.name] || Error)(input.message);
            memory.set(input, output);
            if (typeof input.stack === 'string') Object.defineProperty(output, 'stack', { value: input.stack, writable: true, configurable: true });
            return output;
          }
          output = {};
          memory.set(input, output);
          for (const key of Object.keys(input)) output[key] = clone(input[key]);
          return output;
        }
      }
      memory.set(input, output);
      return output;
    };
    return clone(value);
  }

  // ---- crypto -------------------------------------------------------------------------------
  function bytesOf(data, name) {
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    throw new TypeError(`The "${name}" argument must be an instance of ArrayBuffer, Buffer, TypedArray, or DataView.`);
  }

  function toArrayBuffer(bytes) {
    return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
  }

  const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];

  function getRandomValues(array) {
    if (!ArrayBuffer.isView(array) || !INTEGER_ARRAYS.some((C) => array instanceof C)) {
      throw new DOMException('The data argument must be an integer-type TypedArray', 'TypeMismatchError');
    }
    if (array.byteLength > 65536) {
      throw new DOMException(`The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`, 'QuotaExceededError');
    }
    const random = rt.compute('random', array.byteLength);
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(random);
    return array;
  }

  const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
  function randomUUID() {
    const b = rt.compute('random', 16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let id = '';
    for (let i = 0; i < 16; i++) {
      id += HEX[b[i]];
      if (i === 3 || i === 5 || i === 7 || i === 9) id += '-';
    }
    return id;
  }

  const HASHES = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

  function hashName(algorithm) {
    const name = typeof algorithm === 'string' ? algorithm : algorithm && typeof algorithm === 'object' ? algorithm.name : undefined;
    const hash = typeof name === 'string' ? HASHES[name.toUpperCase()] : undefined;
    if (hash === undefined) throw new DOMException(`Unrecognized algorithm name: ${name}`, 'NotSupportedError');
    return hash;
  }

  class CryptoKey {
    #secret;
    constructor(key, secret, algorithm, extractable, usages) {
      if (key !== cryptoKeyKey) throw new TypeError('Illegal constructor');
      this.#secret = secret;
      Object.defineProperties(this, {
        type: { value: 'secret', enumerable: true },
        algorithm: { value: Object.freeze(algorithm), enumerable: true },
        extractable: { value: extractable, enumerable: true },
        usages: { value: Object.freeze(usages.slice()), enumerable: true },
      });
    }
    static secretOf(key) {
      return #secret in key ? key.#secret : undefined;
    }
  }
  const cryptoKeyKey = {};

  function hmacKey(key, usage) {
    const secret = key !== null && typeof key === 'object' ? CryptoKey.secretOf(key) : undefined;
    if (secret === undefined || key.algorithm.name !== 'HMAC') throw new DOMException('The key is not an HMAC key', 'InvalidAccessError');
    if (!key.usages.includes(usage)) throw new DOMException(`The key does not allow '${usage}'`, 'InvalidAccessError');
    return { secret, hash: HASHES[key.algorithm.hash.name] };
  }

  function algorithmName(algorithm) {
    return typeof algorithm === 'string' ? algorithm : algorithm && typeof algorithm === 'object' ? String(algorithm.name) : '';
  }

  // Each method settles asynchronously and reports errors as rejections, as WebCrypto does.
  const promised = (fn) => function (...args) {
    try { return Promise.resolve(fn(...args)); } catch (e) { return Promise.reject(e); }
  };

  class SubtleCrypto {
    constructor(key) {
      if (key !== cryptoKeyKey) throw new TypeError('Illegal constructor');
    }
  }
  Object.assign(SubtleCrypto.prototype, {
    digest: promised((algorithm, data) => toArrayBuffer(rt.compute('digest', hashName(algorithm), bytesOf(data, 'data')))),
    importKey: promised((format, keyData, algorithm, extractable, usages) => {
      if (format !== 'raw') throw new DOMException(`Unsupported key format '${format}': edgewhisk supports 'raw' HMAC keys`, 'NotSupportedError');
      if (algorithmName(algorithm).toUpperCase() !== 'HMAC') throw new DOMException(`Unsupported algorithm '${algorithmName(algorithm)}': edgewhisk supports HMAC`, 'NotSupportedError');
      const hash = hashName(algorithm.hash);
      const hashDisplay = Object.keys(HASHES).find((k) => HASHES[k] === hash);
      const secret = bytesOf(keyData, 'keyData').slice();
      return new CryptoKey(cryptoKeyKey, secret, { name: 'HMAC', hash: { name: hashDisplay }, length: secret.length * 8 }, Boolean(extractable), Array.from(usages || []));
    }),
    exportKey: promised((format, key) => {
      const secret = key !== null && typeof key === 'object' ? CryptoKey.secretOf(key) : undefined;
      if (secret === undefined || !key.extractable) throw new DOMException('The key is not extractable', 'InvalidAccessError');
      if (format !== 'raw') throw new DOMException(`Unsupported key format '${format}'`, 'NotSupportedError');
      return toArrayBuffer(secret.slice());
    }),
    sign: promised((algorithm, key, data) => {
      if (algorithmName(algorithm).toUpperCase() !== 'HMAC') throw new DOMException(`Unsupported algorithm '${algorithmName(algorithm)}'`, 'NotSupportedError');
      const { secret, hash } = hmacKey(key, 'sign');
      return toArrayBuffer(rt.compute('hmac', hash, secret, bytesOf(data, 'data')));
    }),
    verify: promised((algorithm, key, signature, data) => {
      if (algorithmName(algorithm).toUpperCase() !== 'HMAC') throw new DOMException(`Unsupported algorithm '${algorithmName(algorithm)}'`, 'NotSupportedError');
      const { secret, hash } = hmacKey(key, 'verify');
      const expected = rt.compute('hmac', hash, secret, bytesOf(data, 'data'));
      const given = bytesOf(signature, 'signature');
      if (given.length !== expected.length) return false;
      let diff = 0;
      for (let i = 0; i < given.length; i++) diff |= given[i] ^ expected[i];
      return diff === 0;
    }),
  });
  for (const name of ['encrypt', 'decrypt', 'generateKey', 'deriveKey', 'deriveBits', 'wrapKey', 'unwrapKey']) {
    SubtleCrypto.prototype[name] = promised(() => {
      throw new DOMException(`crypto.subtle.${name} is not supported in edgewhisk actions (digest, importKey, exportKey and HMAC sign/verify are).`, 'NotSupportedError');
    });
  }

  class Crypto {
    #subtle = new SubtleCrypto(cryptoKeyKey);
    constructor(key) {
      if (key !== cryptoKeyKey) throw new TypeError('Illegal constructor');
    }
    get subtle() { return this.#subtle; }
    getRandomValues(array) { return getRandomValues(array); }
    randomUUID() { return randomUUID(); }
  }
  const crypto = new Crypto(cryptoKeyKey);

  // ---- performance --------------------------------------------------------------------------
  const timeOrigin = Date.now();
  const performance = {
    timeOrigin,
    now: () => Date.now() - timeOrigin,
    mark() {}, measure() {}, clearMarks() {}, clearMeasures() {},
    getEntries: () => [], getEntriesByName: () => [], getEntriesByType: () => [],
    toJSON: () => ({ timeOrigin }),
  };

  return {
    DOMException, Event, EventTarget, AbortController, AbortSignal, structuredClone,
    crypto, Crypto, CryptoKey, SubtleCrypto, performance, getRandomValues, randomUUID, bytesOf,
  };
}
