// Text and bytes in the action isolate: TextEncoder, TextDecoder, atob, btoa and Node's Buffer
// (the common surface: from/alloc/concat/byteLength/compare, toString and write in utf8, hex,
// base64, base64url, latin1, ascii, utf16le, slicing, searching and the read/write number methods).
// Small inputs are converted here; large UTF-8 conversions go to the host's native codec through
// the pure `compute` callback, which is much faster past a few kilobytes.
function encodingLibrary(rt) {
  const HOST_THRESHOLD = 4096;
  // What the host's codec takes (compute.ts MAX_DATA), refused here already: a larger input was
  // copied whole into the host before the host refused it, 60-75 ms of the event loop for 70 MB,
  // which every other action the process serves waited out.
  const HOST_MAX = 64 * 1048576;

  // The host's own messages for it.
  function forHost(input) {
    if (input.length <= HOST_MAX) return input;
    throw new RangeError(typeof input === 'string' ? `text is longer than ${HOST_MAX} characters` : `data is larger than ${HOST_MAX} bytes`);
  }
  const fromCharCode = String.fromCharCode;
  const CHUNK = 8192;

  function bytesToBinary(bytes, start, end) {
    let text = '';
    for (let i = start; i < end; i += CHUNK) text += fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + CHUNK)));
    return text;
  }

  function binaryToBytes(text) {
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
    return bytes;
  }

  // ---- UTF-8 --------------------------------------------------------------------------------
  function utf8Length(text) {
    let length = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) length += 1;
      else if (c < 0x800) length += 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { length += 4; i++; }
      else length += 3;
    }
    return length;
  }

  function encodeUtf8Into(text, bytes, offset, limit) {
    let at = offset;
    let read = 0;
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      let pair = false;
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && (next & 0xfc00) === 0xdc00) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          pair = true;
        } else {
          c = 0xfffd; // a lone surrogate becomes U+FFFD, as the encoding standard says
        }
      }
      const size = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
      if (at + size > limit) break;
      if (size === 1) bytes[at++] = c;
      else if (size === 2) { bytes[at++] = 0xc0 | (c >> 6); bytes[at++] = 0x80 | (c & 63); }
      else if (size === 3) { bytes[at++] = 0xe0 | (c >> 12); bytes[at++] = 0x80 | ((c >> 6) & 63); bytes[at++] = 0x80 | (c & 63); }
      else { bytes[at++] = 0xf0 | (c >> 18); bytes[at++] = 0x80 | ((c >> 12) & 63); bytes[at++] = 0x80 | ((c >> 6) & 63); bytes[at++] = 0x80 | (c & 63); }
      read += pair ? 2 : 1;
      if (pair) i++;
    }
    return { read, written: at - offset };
  }

  function encodeUtf8(text) {
    if (text.length > HOST_THRESHOLD) return rt.compute('utf8encode', forHost(text));
    const bytes = new Uint8Array(utf8Length(text));
    encodeUtf8Into(text, bytes, 0, bytes.length);
    return bytes;
  }

  function invalidData() {
    const e = new TypeError('The encoded data was not valid for encoding utf-8');
    e.code = 'ERR_ENCODING_INVALID_ENCODED_DATA';
    return e;
  }

  // Decodes bytes[start, end): returns the text and where an incomplete trailing sequence begins.
  function decodeUtf8Range(bytes, start, end, fatal, stream) {
    let text = '';
    const units = [];
    let i = start;
    while (i < end) {
      const b = bytes[i];
      let c = 0xfffd;
      let size = 1;
      if (b < 0x80) { c = b; }
      else {
        const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
        if (need > 0) {
          const lower = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
          const upper = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
          let code = need === 1 ? b & 0x1f : need === 2 ? b & 0x0f : b & 0x07;
          let k = 1;
          for (; k <= need; k++) {
            if (i + k >= end) break;
            const next = bytes[i + k];
            if (next < (k === 1 ? lower : 0x80) || next > (k === 1 ? upper : 0xbf)) break;
            code = (code << 6) | (next & 0x3f);
          }
          if (k > need) { c = code; size = need + 1; }
          else if (i + k >= end && stream) { break; }
          else size = k;
        }
        if (c === 0xfffd && fatal) throw invalidData();
      }
      if (c >= 0x10000) { c -= 0x10000; units.push(0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff)); }
      else units.push(c);
      if (units.length >= CHUNK) { text += fromCharCode.apply(null, units); units.length = 0; }
      i += size;
    }
    if (units.length) text += fromCharCode.apply(null, units);
    return { text, rest: i };
  }

  function decodeUtf8(input) {
    const bytes = toBytes(input);
    if (bytes.length > HOST_THRESHOLD) return rt.compute('utf8decode', forHost(bytes), false);
    return decodeUtf8Range(bytes, 0, bytes.length, false, false).text;
  }

  function toBytes(input) {
    if (input instanceof Uint8Array) return input;
    if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    if (input instanceof ArrayBuffer || input instanceof SharedArrayBuffer) return new Uint8Array(input);
    throw new TypeError('The "input" argument must be an instance of ArrayBuffer or ArrayBufferView.');
  }

  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(input = '') { return encodeUtf8(String(input)); }
    encodeInto(source, destination) {
      if (!(destination instanceof Uint8Array)) throw new TypeError('The "dest" argument must be an instance of Uint8Array.');
      return encodeUtf8Into(String(source), destination, 0, destination.length);
    }
  }

  const LABELS = {
    'utf-8': 'utf-8', utf8: 'utf-8', 'unicode-1-1-utf-8': 'utf-8',
    'utf-16le': 'utf-16le', 'utf-16': 'utf-16le', ucs2: 'utf-16le', 'ucs-2': 'utf-16le',
    latin1: 'windows-1252', 'iso-8859-1': 'windows-1252', ascii: 'windows-1252', 'us-ascii': 'windows-1252', 'windows-1252': 'windows-1252',
  };

  class TextDecoder {
    #encoding;
    #fatal;
    #ignoreBOM;
    #pending = null;
    #started = false;
    constructor(label = 'utf-8', options = {}) {
      const encoding = LABELS[String(label).trim().toLowerCase()];
      if (encoding === undefined) {
        const e = new RangeError(`The "${label}" encoding is not supported`);
        e.code = 'ERR_ENCODING_NOT_SUPPORTED';
        throw e;
      }
      this.#encoding = encoding;
      this.#fatal = Boolean(options && options.fatal);
      this.#ignoreBOM = Boolean(options && options.ignoreBOM);
    }
    get encoding() { return this.#encoding; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input, options = {}) {
      const stream = Boolean(options && options.stream);
      let bytes = input === undefined ? new Uint8Array(0) : toBytes(input);
      if (this.#pending) {
        const joined = new Uint8Array(this.#pending.length + bytes.length);
        joined.set(this.#pending);
        joined.set(bytes, this.#pending.length);
        bytes = joined;
        this.#pending = null;
      }
      let text;
      if (this.#encoding === 'utf-8') {
        if (!stream && bytes.length > HOST_THRESHOLD && !this.#started) {
          text = rt.compute('utf8decode', forHost(bytes), this.#fatal);
        } else {
          const { text: decoded, rest } = decodeUtf8Range(bytes, 0, bytes.length, this.#fatal, stream);
          if (rest < bytes.length) this.#pending = bytes.slice(rest);
          text = decoded;
        }
        if (!this.#ignoreBOM && !this.#started && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      } else if (this.#encoding === 'utf-16le') {
        const even = stream ? bytes.length & ~1 : bytes.length;
        if (even < bytes.length) this.#pending = bytes.slice(even);
        text = '';
        for (let i = 0; i + 1 < even; i += 2) text += fromCharCode(bytes[i] | (bytes[i + 1] << 8));
        if (!this.#ignoreBOM && !this.#started && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      } else {
        text = bytesToBinary(bytes, 0, bytes.length);
      }
      this.#started = stream;
      return text;
    }
  }

  // ---- base64 and hex -------------------------------------------------------------------------
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const DECODE = new Int16Array(256).fill(-1);
  for (let i = 0; i < 64; i++) {
    DECODE[ALPHABET.charCodeAt(i)] = i;
    DECODE[URL_ALPHABET.charCodeAt(i)] = i;
  }

  function base64Encode(bytes, url) {
    const alphabet = url ? URL_ALPHABET : ALPHABET;
    let out = '';
    let i = 0;
    const parts = [];
    for (; i + 2 < bytes.length; i += 3) {
      const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
      out += alphabet[n >> 18] + alphabet[(n >> 12) & 63] + alphabet[(n >> 6) & 63] + alphabet[n & 63];
      if (out.length >= 65536) { parts.push(out); out = ''; }
    }
    if (i < bytes.length) {
      const n = (bytes[i] << 16) | ((i + 1 < bytes.length ? bytes[i + 1] : 0) << 8);
      out += alphabet[n >> 18] + alphabet[(n >> 12) & 63];
      if (i + 1 < bytes.length) out += alphabet[(n >> 6) & 63] + (url ? '' : '=');
      else out += url ? '' : '==';
    }
    parts.push(out);
    return parts.join('');
  }

  // Node's lenient decoder: skips characters outside both alphabets, stops at '='.
  function base64Decode(text) {
    const bytes = new Uint8Array(Math.ceil((text.length * 3) / 4));
    let at = 0;
    let bits = 0;
    let count = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === 61) break;
      const value = code < 256 ? DECODE[code] : -1;
      if (value < 0) continue;
      bits = (bits << 6) | value;
      count += 6;
      if (count >= 8) {
        count -= 8;
        bytes[at++] = (bits >> count) & 0xff;
      }
    }
    return bytes.subarray(0, at);
  }

  function hexDecode(text) {
    const bytes = new Uint8Array(text.length >> 1);
    let at = 0;
    for (; at < bytes.length; at++) {
      const n = parseInt(text.substr(at * 2, 2), 16);
      if (Number.isNaN(n) || !/^[0-9a-fA-F]{2}$/.test(text.substr(at * 2, 2))) break;
      bytes[at] = n;
    }
    return bytes.subarray(0, at);
  }

  const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
  function hexEncode(bytes, start, end) {
    let out = '';
    for (let i = start; i < end; i++) out += HEX[bytes[i]];
    return out;
  }

  function invalidCharacter(message) {
    return new (rt.lib('web').DOMException)(message, 'InvalidCharacterError');
  }

  function btoa(data) {
    if (arguments.length === 0) throw new TypeError('The "data" argument must be specified');
    const text = String(data);
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) throw invalidCharacter('Invalid character');
    return base64Encode(binaryToBytes(text), false);
  }

  function atob(data) {
    if (arguments.length === 0) throw new TypeError('The "data" argument must be specified');
    let text = String(data).replace(/[\t\n\f\r ]/g, '');
    if (text.length % 4 === 0) text = text.replace(/==?$/, '');
    if (text.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(text)) throw invalidCharacter('The string to be decoded is not correctly encoded.');
    return bytesToBinary(base64Decode(text), 0, Math.floor((text.length * 3) / 4));
  }

  // ---- Buffer -----------------------------------------------------------------------------
  function normalizeEncoding(encoding) {
    if (encoding === undefined || encoding === null) return 'utf8';
    switch (String(encoding).toLowerCase()) {
      case 'utf8': case 'utf-8': return 'utf8';
      case 'hex': return 'hex';
      case 'base64': return 'base64';
      case 'base64url': return 'base64url';
      case 'latin1': case 'binary': return 'latin1';
      case 'ascii': return 'ascii';
      case 'ucs2': case 'ucs-2': case 'utf16le': case 'utf-16le': return 'utf16le';
      default: {
        const e = new TypeError(`Unknown encoding: ${encoding}`);
        e.code = 'ERR_UNKNOWN_ENCODING';
        throw e;
      }
    }
  }

  function encodeString(text, encoding) {
    switch (normalizeEncoding(encoding)) {
      case 'utf8': return encodeUtf8(text);
      case 'hex': return hexDecode(text);
      case 'base64': case 'base64url': return base64Decode(text);
      case 'latin1': case 'ascii': return binaryToBytes(text);
      case 'utf16le': {
        const bytes = new Uint8Array(text.length * 2);
        for (let i = 0; i < text.length; i++) { const c = text.charCodeAt(i); bytes[i * 2] = c & 0xff; bytes[i * 2 + 1] = c >> 8; }
        return bytes;
      }
    }
  }

  function decodeString(bytes, encoding, start, end) {
    switch (normalizeEncoding(encoding)) {
      case 'utf8': return start === 0 && end === bytes.length ? decodeUtf8(bytes) : decodeUtf8(bytes.subarray(start, end));
      case 'hex': return hexEncode(bytes, start, end);
      case 'base64': return base64Encode(bytes.subarray(start, end), false);
      case 'base64url': return base64Encode(bytes.subarray(start, end), true);
      case 'latin1': return bytesToBinary(bytes, start, end);
      case 'ascii': return bytesToBinary(bytes.subarray(start, end).map((b) => b & 0x7f), 0, end - start);
      case 'utf16le': {
        let text = '';
        for (let i = start; i + 1 < end; i += 2) text += fromCharCode(bytes[i] | (bytes[i + 1] << 8));
        return text;
      }
    }
  }

  function argumentType(name, expected, value) {
    const e = new TypeError(`The "${name}" argument must be ${expected}. Received ${value === null ? 'null' : typeof value}`);
    e.code = 'ERR_INVALID_ARG_TYPE';
    return e;
  }

  const MAX_LENGTH = 2 ** 32;

  function checkSize(size) {
    if (typeof size !== 'number') throw argumentType('size', 'of type number', size);
    if (!(size >= 0 && size <= MAX_LENGTH)) {
      const e = new RangeError(`The value of "size" is out of range. It must be >= 0 && <= ${MAX_LENGTH}. Received ${size}`);
      e.code = 'ERR_OUT_OF_RANGE';
      throw e;
    }
  }

  class Buffer extends Uint8Array {
    // `new Buffer(…)` is deprecated in Node but still works; typed-array methods (subarray, map)
    // also construct through here with (ArrayBuffer, offset, length) or (length).
    constructor(value, encodingOrOffset, length) {
      if (typeof value === 'number' || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) {
        super(value, encodingOrOffset, length);
      } else {
        const bytes = Buffer.from(value, encodingOrOffset, length);
        super(bytes.buffer, bytes.byteOffset, bytes.length);
      }
    }

    static from(value, encodingOrOffset, length) {
      if (typeof value === 'string') {
        const bytes = encodeString(value, encodingOrOffset);
        return new Buffer(bytes.buffer, bytes.byteOffset, bytes.length);
      }
      if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) {
        const offset = encodingOrOffset === undefined ? 0 : +encodingOrOffset || 0;
        return new Buffer(value, offset, length === undefined ? value.byteLength - offset : +length || 0);
      }
      if (ArrayBuffer.isView(value)) {
        const source = value instanceof Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
        const copy = new Buffer(source.length);
        copy.set(source);
        return copy;
      }
      if (value !== null && typeof value === 'object') {
        if (typeof value.valueOf === 'function') {
          const primitive = value.valueOf();
          if (primitive !== value && primitive !== null && primitive !== undefined) return Buffer.from(primitive, encodingOrOffset, length);
        }
        if (value.type === 'Buffer' && Array.isArray(value.data)) return Buffer.from(value.data);
        if (typeof value.length === 'number' || Array.isArray(value)) {
          const copy = new Buffer(value.length >>> 0);
          for (let i = 0; i < copy.length; i++) copy[i] = value[i];
          return copy;
        }
        if (typeof value[Symbol.toPrimitive] === 'function') return Buffer.from(value[Symbol.toPrimitive]('string'), encodingOrOffset, length);
      }
      throw argumentType('first', 'of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object', value);
    }

    static alloc(size, fill, encoding) {
      checkSize(size);
      const buffer = new Buffer(size);
      if (fill !== undefined && fill !== 0 && size > 0) buffer.fill(fill, 0, size, encoding);
      return buffer;
    }

    static allocUnsafe(size) {
      checkSize(size);
      return new Buffer(size);
    }

    static allocUnsafeSlow(size) {
      return Buffer.allocUnsafe(size);
    }

    static isBuffer(value) {
      return value instanceof Buffer;
    }

    static isEncoding(encoding) {
      try { normalizeEncoding(encoding); return typeof encoding === 'string'; } catch { return false; }
    }

    static byteLength(value, encoding) {
      if (typeof value !== 'string') {
        if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return value.byteLength;
        throw argumentType('string', 'of type string or an instance of Buffer or ArrayBuffer', value);
      }
      switch (normalizeEncoding(encoding)) {
        case 'utf8': return utf8Length(value);
        case 'hex': return value.length >>> 1;
        case 'base64': case 'base64url': return base64Decode(value).length;
        case 'latin1': case 'ascii': return value.length;
        case 'utf16le': return value.length * 2;
      }
    }

    static concat(list, totalLength) {
      if (!Array.isArray(list)) throw argumentType('list', 'an instance of Array', list);
      let total = totalLength;
      if (total === undefined) {
        total = 0;
        for (const item of list) {
          if (!(item instanceof Uint8Array)) throw argumentType('list[0]', 'an instance of Buffer or Uint8Array', item);
          total += item.length;
        }
      }
      const result = Buffer.alloc(total);
      let at = 0;
      for (const item of list) {
        if (!(item instanceof Uint8Array)) throw argumentType('list[0]', 'an instance of Buffer or Uint8Array', item);
        if (at >= total) break;
        const part = item.length > total - at ? item.subarray(0, total - at) : item;
        result.set(part, at);
        at += part.length;
      }
      return result;
    }

    static compare(a, b) {
      if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array)) throw argumentType('buf1', 'an instance of Buffer or Uint8Array', a);
      const length = Math.min(a.length, b.length);
      for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
      return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
    }

    get parent() { return this.buffer; }
    get offset() { return this.byteOffset; }

    toString(encoding, start, end) {
      const from = Math.max(0, start === undefined ? 0 : start | 0);
      const to = Math.min(this.length, end === undefined ? this.length : end | 0);
      if (to <= from) return '';
      return decodeString(this, encoding, from, to);
    }

    toLocaleString(encoding, start, end) {
      return this.toString(encoding, start, end);
    }

    toJSON() {
      return { type: 'Buffer', data: Array.from(this) };
    }

    equals(other) {
      if (!(other instanceof Uint8Array)) throw argumentType('otherBuffer', 'an instance of Buffer or Uint8Array', other);
      return Buffer.compare(this, other) === 0;
    }

    compare(target, targetStart = 0, targetEnd = target.length, sourceStart = 0, sourceEnd = this.length) {
      return Buffer.compare(this.subarray(sourceStart, sourceEnd), target.subarray(targetStart, targetEnd));
    }

    // Node's slice shares memory, unlike Uint8Array's.
    slice(start, end) {
      return this.subarray(start, end);
    }

    write(string, offset, length, encoding) {
      if (typeof offset === 'string') { encoding = offset; offset = 0; length = undefined; }
      else if (typeof length === 'string') { encoding = length; length = undefined; }
      const at = offset === undefined ? 0 : offset >>> 0;
      const room = Math.min(this.length - at, length === undefined ? Infinity : length >>> 0);
      if (room <= 0) return 0;
      if (normalizeEncoding(encoding) === 'utf8') return encodeUtf8Into(String(string), this, at, at + room).written;
      const bytes = encodeString(String(string), encoding);
      const count = Math.min(room, bytes.length);
      this.set(bytes.subarray(0, count), at);
      return count;
    }

    fill(value, offset, end, encoding) {
      if (typeof offset === 'string') { encoding = offset; offset = 0; end = this.length; }
      else if (typeof end === 'string') { encoding = end; end = this.length; }
      const from = offset === undefined ? 0 : offset >>> 0;
      const to = end === undefined ? this.length : Math.min(this.length, end >>> 0);
      if (typeof value === 'number' || typeof value === 'boolean') return Uint8Array.prototype.fill.call(this, Number(value) & 255, from, to);
      const pattern = typeof value === 'string' ? encodeString(value, encoding) : value instanceof Uint8Array ? value : new Uint8Array(0);
      if (pattern.length === 0) return Uint8Array.prototype.fill.call(this, 0, from, to);
      for (let i = from; i < to; i++) this[i] = pattern[(i - from) % pattern.length];
      return this;
    }

    copy(target, targetStart = 0, sourceStart = 0, sourceEnd = this.length) {
      if (!(target instanceof Uint8Array)) throw argumentType('target', 'an instance of Buffer or Uint8Array', target);
      const start = Math.max(0, sourceStart | 0);
      const end = Math.min(this.length, sourceEnd | 0, start + (target.length - (targetStart | 0)));
      if (end <= start) return 0;
      target.set(this.subarray(start, end), targetStart | 0);
      return end - start;
    }

    indexOf(value, byteOffset = 0, encoding) {
      return search(this, value, byteOffset, encoding, false);
    }

    lastIndexOf(value, byteOffset = this.length, encoding) {
      return search(this, value, byteOffset, encoding, true);
    }

    includes(value, byteOffset = 0, encoding) {
      return this.indexOf(value, byteOffset, encoding) !== -1;
    }

    swap16() {
      for (let i = 0; i + 1 < this.length; i += 2) { const t = this[i]; this[i] = this[i + 1]; this[i + 1] = t; }
      return this;
    }
  }

  function search(buffer, value, byteOffset, encoding, last) {
    if (typeof byteOffset === 'string') { encoding = byteOffset; byteOffset = last ? buffer.length : 0; }
    let from = +byteOffset || 0;
    if (from < 0) from = Math.max(0, buffer.length + from);
    if (typeof value === 'number') {
      return last ? Uint8Array.prototype.lastIndexOf.call(buffer, value & 255, from) : Uint8Array.prototype.indexOf.call(buffer, value & 255, from);
    }
    const needle = typeof value === 'string' ? encodeString(value, encoding) : value instanceof Uint8Array ? value : null;
    if (needle === null) throw argumentType('value', 'one of type number or string or an instance of Buffer or Uint8Array', value);
    if (needle.length === 0) return Math.min(from, buffer.length);
    const step = last ? -1 : 1;
    for (let i = last ? Math.min(from, buffer.length - needle.length) : from; last ? i >= 0 : i <= buffer.length - needle.length; i += step) {
      let match = true;
      for (let j = 0; j < needle.length; j++) if (buffer[i + j] !== needle[j]) { match = false; break; }
      if (match) return i;
    }
    return -1;
  }

  // read/write of numbers, through a DataView over the same memory.
  const view = (buffer) => new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const NUMBERS = [
    ['UInt8', 'Uint8', 1], ['Int8', 'Int8', 1],
    ['UInt16', 'Uint16', 2], ['Int16', 'Int16', 2],
    ['UInt32', 'Uint32', 4], ['Int32', 'Int32', 4],
    ['Float', 'Float32', 4], ['Double', 'Float64', 8],
    ['BigUInt64', 'BigUint64', 8], ['BigInt64', 'BigInt64', 8],
  ];
  function outOfRange(offset, size, length) {
    const e = new RangeError(`The value of "offset" is out of range. It must be >= 0 and <= ${length - size}. Received ${offset}`);
    e.code = 'ERR_OUT_OF_RANGE';
    return e;
  }
  for (const [name, dataView, size] of NUMBERS) {
    const get = DataView.prototype[`get${dataView}`];
    const set = DataView.prototype[`set${dataView}`];
    const suffixes = size === 1 ? [''] : ['LE', 'BE'];
    for (const suffix of suffixes) {
      const little = suffix === 'LE';
      const read = function (offset = 0) {
        if (!(offset >= 0 && offset + size <= this.length) || offset !== Math.floor(offset)) throw outOfRange(offset, size, this.length);
        return get.call(view(this), offset, little);
      };
      const write = function (value, offset = 0) {
        if (!(offset >= 0 && offset + size <= this.length) || offset !== Math.floor(offset)) throw outOfRange(offset, size, this.length);
        set.call(view(this), offset, value, little);
        return offset + size;
      };
      for (const alias of name.startsWith('UInt') || name.startsWith('BigUInt') ? [name, name.replace('UInt', 'Uint')] : [name]) {
        Object.defineProperty(Buffer.prototype, `read${alias}${suffix}`, { value: read, writable: true, configurable: true });
        Object.defineProperty(Buffer.prototype, `write${alias}${suffix}`, { value: write, writable: true, configurable: true });
      }
    }
  }

  Buffer.poolSize = 8192;
  const constants = { MAX_LENGTH, MAX_STRING_LENGTH: 2 ** 29 - 24 };

  return { TextEncoder, TextDecoder, atob, btoa, Buffer, constants, encodeUtf8, decodeUtf8, toBytes, bytesToBinary, binaryToBytes, base64Encode, base64Decode };
}
