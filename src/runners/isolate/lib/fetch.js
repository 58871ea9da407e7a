// fetch() in the action isolate, with Headers, Request, Response, Blob and FormData. The request
// itself is performed by the host on the action's behalf (src/egress/fetch.ts, under the server's
// egress policy and response-size cap) through the `fetch` host request; the answer comes back as
// status, headers and the complete body. Pending fetches end with their activation.
function fetchLibrary(rt) {
  const encoding = () => rt.lib('encoding');
  const web = () => rt.lib('web');

  // ---- Headers ------------------------------------------------------------------------------
  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

  function headerName(name) {
    const text = String(name);
    if (!TOKEN.test(text)) throw new TypeError(`Header name must be a valid HTTP token ["${text}"]`);
    return text.toLowerCase();
  }

  function headerValue(value) {
    const text = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
    if (/[\0\r\n]/.test(text)) throw new TypeError(`Invalid header value: "${text}"`);
    return text;
  }

  class Headers {
    #list = [];

    constructor(init) {
      if (init === undefined || init === null) return;
      if (init instanceof Headers) {
        this.#list = init.#list.map(([k, v]) => [k, v]);
      } else if (typeof init === 'object' && typeof init[Symbol.iterator] === 'function') {
        for (const pair of init) {
          const entry = Array.from(pair);
          if (entry.length !== 2) throw new TypeError('Header pairs must contain exactly two items');
          this.append(entry[0], entry[1]);
        }
      } else if (typeof init === 'object') {
        for (const key of Object.keys(init)) this.append(key, init[key]);
      } else {
        throw new TypeError('The provided value is not of type \'(record<ByteString, ByteString> or sequence<sequence<ByteString>>)\'');
      }
    }

    append(name, value) {
      this.#list.push([headerName(name), headerValue(value)]);
    }

    delete(name) {
      const key = headerName(name);
      this.#list = this.#list.filter(([k]) => k !== key);
    }

    get(name) {
      const key = headerName(name);
      const values = this.#list.filter(([k]) => k === key).map(([, v]) => v);
      return values.length === 0 ? null : values.join(', ');
    }

    getSetCookie() {
      return this.#list.filter(([k]) => k === 'set-cookie').map(([, v]) => v);
    }

    has(name) {
      const key = headerName(name);
      return this.#list.some(([k]) => k === key);
    }

    set(name, value) {
      const key = headerName(name);
      const text = headerValue(value);
      const index = this.#list.findIndex(([k]) => k === key);
      if (index < 0) this.#list.push([key, text]);
      else this.#list = this.#list.filter(([k], i) => i === index || k !== key).map((pair) => (pair[0] === key ? [key, text] : pair));
    }

    forEach(callback, thisArg) {
      for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
    }

    *entries() {
      const names = [...new Set(this.#list.map(([k]) => k))].sort();
      for (const name of names) {
        if (name === 'set-cookie') for (const cookie of this.getSetCookie()) yield [name, cookie];
        else yield [name, this.get(name)];
      }
    }

    *keys() { for (const [name] of this.entries()) yield name; }
    *values() { for (const [, value] of this.entries()) yield value; }
    [Symbol.iterator]() { return this.entries(); }
    get [Symbol.toStringTag]() { return 'Headers'; }

    /** The raw pairs, in insertion order, for the host. */
    _pairs() { return this.#list.map(([k, v]) => [k, v]); }
  }

  // ---- Blob and FormData ----------------------------------------------------------------------
  function partBytes(part) {
    if (part instanceof Blob) return part._bytes();
    if (part instanceof ArrayBuffer) return new Uint8Array(part);
    if (ArrayBuffer.isView(part)) return new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
    return encoding().encodeUtf8(String(part));
  }

  function concatBytes(chunks) {
    let total = 0;
    for (const chunk of chunks) total += chunk.length;
    const out = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) { out.set(chunk, at); at += chunk.length; }
    return out;
  }

  class Blob {
    #bytes;
    #type;
    constructor(parts = [], options = {}) {
      this.#bytes = concatBytes(Array.from(parts, partBytes));
      const type = options && options.type !== undefined ? String(options.type) : '';
      this.#type = /^[\x20-\x7e]*$/.test(type) ? type.toLowerCase() : '';
    }
    get size() { return this.#bytes.length; }
    get type() { return this.#type; }
    _bytes() { return this.#bytes; }
    slice(start = 0, end = this.#bytes.length, type = '') {
      const blob = new Blob([], { type });
      blob.#bytes = this.#bytes.slice(start, end);
      return blob;
    }
    text() { return Promise.resolve(encoding().decodeUtf8(this.#bytes)); }
    arrayBuffer() { return Promise.resolve(this.#bytes.slice().buffer); }
    bytes() { return Promise.resolve(this.#bytes.slice()); }
    get [Symbol.toStringTag]() { return 'Blob'; }
  }

  class File extends Blob {
    #name;
    #lastModified;
    constructor(parts, name, options = {}) {
      super(parts, options);
      this.#name = String(name);
      this.#lastModified = options && options.lastModified !== undefined ? Number(options.lastModified) : Date.now();
    }
    get name() { return this.#name; }
    get lastModified() { return this.#lastModified; }
    get [Symbol.toStringTag]() { return 'File'; }
  }

  class FormData {
    #entries = [];
    #entry(name, value, filename) {
      if (value instanceof Blob) {
        const file = value instanceof File && filename === undefined ? value : new File([value], filename === undefined ? (value instanceof File ? value.name : 'blob') : filename, { type: value.type });
        return [String(name), file];
      }
      return [String(name), String(value)];
    }
    append(name, value, filename) { this.#entries.push(this.#entry(name, value, filename)); }
    delete(name) { this.#entries = this.#entries.filter(([k]) => k !== String(name)); }
    get(name) { const found = this.#entries.find(([k]) => k === String(name)); return found ? found[1] : null; }
    getAll(name) { return this.#entries.filter(([k]) => k === String(name)).map(([, v]) => v); }
    has(name) { return this.#entries.some(([k]) => k === String(name)); }
    set(name, value, filename) {
      const entry = this.#entry(name, value, filename);
      const index = this.#entries.findIndex(([k]) => k === entry[0]);
      if (index < 0) this.#entries.push(entry);
      else this.#entries = this.#entries.filter(([k], i) => i === index || k !== entry[0]).map((e, i) => (i === index ? entry : e));
    }
    forEach(callback, thisArg) { for (const [k, v] of this.#entries.slice()) callback.call(thisArg, v, k, this); }
    *entries() { yield* this.#entries.slice(); }
    *keys() { for (const [k] of this.#entries.slice()) yield k; }
    *values() { for (const [, v] of this.#entries.slice()) yield v; }
    [Symbol.iterator]() { return this.entries(); }
    get [Symbol.toStringTag]() { return 'FormData'; }
  }

  function multipart(form) {
    const boundary = `----edgewhisk${web().randomUUID().replace(/-/g, '')}`;
    const escape = (text) => text.replace(/\r?\n|\r/g, '\r\n').replace(/"/g, '%22').replace(/\r\n/g, '%0D%0A');
    const chunks = [];
    for (const [name, value] of form) {
      let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escape(name)}"`;
      if (typeof value === 'string') {
        chunks.push(encoding().encodeUtf8(`${head}\r\n\r\n${value.replace(/\r?\n|\r/g, '\r\n')}\r\n`));
      } else {
        head += `; filename="${escape(value.name)}"\r\nContent-Type: ${value.type || 'application/octet-stream'}\r\n\r\n`;
        chunks.push(encoding().encodeUtf8(head), value._bytes(), encoding().encodeUtf8('\r\n'));
      }
    }
    chunks.push(encoding().encodeUtf8(`--${boundary}--\r\n`));
    return { bytes: concatBytes(chunks), type: `multipart/form-data; boundary=${boundary}` };
  }

  // ---- bodies -------------------------------------------------------------------------------
  function extractBody(body) {
    if (body === undefined || body === null) return { bytes: null, type: null };
    if (typeof body === 'string') return { bytes: encoding().encodeUtf8(body), type: 'text/plain;charset=UTF-8' };
    const URLSearchParams = rt.lib('url').URLSearchParams;
    if (body instanceof URLSearchParams) return { bytes: encoding().encodeUtf8(body.toString()), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
    if (body instanceof ArrayBuffer) return { bytes: new Uint8Array(body.slice(0)), type: null };
    if (ArrayBuffer.isView(body)) return { bytes: new Uint8Array(body.buffer, body.byteOffset, body.byteLength).slice(), type: null };
    if (body instanceof Blob) return { bytes: body._bytes(), type: body.type || null };
    if (body instanceof FormData) return multipart(body);
    if (typeof body === 'object' && (typeof body.getReader === 'function' || typeof body.pipe === 'function')) {
      throw new TypeError('Streaming request bodies are not supported in edgewhisk actions: pass a string, Buffer, ArrayBuffer, Blob, FormData or URLSearchParams.');
    }
    return { bytes: encoding().encodeUtf8(String(body)), type: 'text/plain;charset=UTF-8' };
  }

  // A one-chunk stand-in for a ReadableStream: enough for getReader() loops and for-await.
  function bodyStream(owner, take) {
    let given = false;
    const next = () => {
      if (given) return Promise.resolve({ done: true, value: undefined });
      given = true;
      const bytes = take();
      return Promise.resolve(bytes.length === 0 ? { done: true, value: undefined } : { done: false, value: bytes });
    };
    return {
      locked: false,
      getReader() { return { read: next, releaseLock() {}, cancel: () => Promise.resolve(), closed: Promise.resolve() }; },
      cancel: () => Promise.resolve(),
      [Symbol.asyncIterator]() { return { next }; },
    };
  }

  class Body {
    #bytes;
    #used = false;
    #stream = undefined;
    constructor(bytes) {
      this.#bytes = bytes;
    }
    _bodyBytes() { return this.#bytes; }
    #consume() {
      if (this.#used) return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
      this.#used = true;
      return Promise.resolve(this.#bytes === null ? new Uint8Array(0) : this.#bytes);
    }
    get body() {
      if (this.#bytes === null) return null;
      if (this.#stream === undefined) this.#stream = bodyStream(this, () => { this.#used = true; return this.#bytes; });
      return this.#stream;
    }
    get bodyUsed() { return this.#used; }
    arrayBuffer() { return this.#consume().then((bytes) => bytes.slice().buffer); }
    bytes() { return this.#consume().then((bytes) => bytes.slice()); }
    text() { return this.#consume().then((bytes) => encoding().decodeUtf8(bytes)); }
    json() { return this.text().then((text) => JSON.parse(text)); }
    blob() { return this.#consume().then((bytes) => new Blob([bytes], { type: this.headers.get('content-type') || '' })); }
    /** node-fetch 2's Buffer-returning reader. */
    buffer() { return this.#consume().then((bytes) => encoding().Buffer.from(bytes)); }
    formData() {
      const type = this.headers.get('content-type') || '';
      if (!/^application\/x-www-form-urlencoded/i.test(type)) {
        return Promise.reject(new TypeError('formData() supports application/x-www-form-urlencoded bodies in edgewhisk actions.'));
      }
      return this.text().then((text) => {
        const form = new FormData();
        for (const [k, v] of new (rt.lib('url').URLSearchParams)(text)) form.append(k, v);
        return form;
      });
    }
  }

  // ---- Request ------------------------------------------------------------------------------
  const METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH'];

  class Request extends Body {
    #url;
    #method;
    #headers;
    #redirect;
    #signal;
    constructor(input, init = {}) {
      const source = input instanceof Request ? input : null;
      const URL = rt.lib('url').URL;
      let url;
      if (source) url = source.url;
      else {
        try { url = new URL(String(input)).href; } catch { throw new TypeError(`Failed to parse URL from ${String(input)}`); }
      }
      const options = init === null || init === undefined ? {} : init;
      let method = options.method !== undefined ? String(options.method) : source ? source.method : 'GET';
      if (!TOKEN.test(method)) throw new TypeError(`'${method}' is not a valid HTTP method.`);
      if (METHODS.includes(method.toUpperCase())) method = method.toUpperCase();
      if (['CONNECT', 'TRACE', 'TRACK'].includes(method.toUpperCase())) throw new TypeError(`'${method}' HTTP method is unsupported.`);
      const headers = new Headers(options.headers !== undefined ? options.headers : source ? source.headers : undefined);
      let bytes = source ? source._bodyBytes() : null;
      if (options.body !== undefined && options.body !== null) {
        if (method === 'GET' || method === 'HEAD') throw new TypeError('Request with GET/HEAD method cannot have body.');
        const extracted = extractBody(options.body);
        bytes = extracted.bytes;
        if (extracted.type !== null && !headers.has('content-type')) headers.set('content-type', extracted.type);
      }
      super(bytes);
      this.#url = url;
      this.#method = method;
      this.#headers = headers;
      const redirect = options.redirect !== undefined ? String(options.redirect) : source ? source.redirect : 'follow';
      if (!['follow', 'manual', 'error'].includes(redirect)) throw new TypeError(`'${redirect}' is not a valid redirect mode.`);
      this.#redirect = redirect;
      this.#signal = options.signal !== undefined ? options.signal : source ? source.signal : null;
    }
    get url() { return this.#url; }
    get method() { return this.#method; }
    get headers() { return this.#headers; }
    get redirect() { return this.#redirect; }
    get signal() { return this.#signal || (this.#signal = new (web().AbortController)().signal); }
    get credentials() { return 'same-origin'; }
    get mode() { return 'cors'; }
    get cache() { return 'default'; }
    get destination() { return ''; }
    get referrer() { return 'about:client'; }
    get keepalive() { return false; }
    clone() {
      if (this.bodyUsed) throw new TypeError('Request.clone: Body has already been consumed.');
      return new Request(this);
    }
    get [Symbol.toStringTag]() { return 'Request'; }
  }

  // ---- Response ------------------------------------------------------------------------------
  const NULL_BODY = [101, 103, 204, 205, 304];
  // Responses made here (from the host's answer, clone, error) pass their state through this.
  let internal = null;

  class Response extends Body {
    #status;
    #statusText;
    #headers;
    #url;
    #redirected;
    #type;
    constructor(body = null, init = {}) {
      if (internal !== null) {
        const state = internal;
        internal = null;
        super(state.bytes);
        this.#status = state.status;
        this.#statusText = state.statusText;
        this.#headers = state.headers;
        this.#url = state.url;
        this.#redirected = state.redirected;
        this.#type = state.type;
        return;
      }
      const options = init === null || init === undefined ? {} : init;
      const status = options.status === undefined ? 200 : Number(options.status);
      if (!Number.isInteger(status) || status < 200 || status > 599) throw new RangeError('init["status"] must be in the range of 200 to 599, inclusive.');
      const headers = new Headers(options.headers);
      let bytes = null;
      if (body !== null && body !== undefined) {
        if (NULL_BODY.includes(status)) throw new TypeError(`Response constructor: Invalid response status code ${status}`);
        const extracted = extractBody(body);
        bytes = extracted.bytes;
        if (extracted.type !== null && !headers.has('content-type')) headers.set('content-type', extracted.type);
      }
      super(bytes);
      this.#status = status;
      this.#statusText = options.statusText === undefined ? '' : String(options.statusText);
      this.#headers = headers;
      this.#url = '';
      this.#redirected = false;
      this.#type = 'default';
    }
    static _fromHost(meta, bytes) {
      const status = Number(meta.status);
      internal = {
        bytes: NULL_BODY.includes(status) ? null : bytes,
        status,
        statusText: String(meta.statusText),
        headers: new Headers(meta.headers),
        url: String(meta.url),
        redirected: Boolean(meta.redirected),
        type: 'basic',
      };
      return new Response();
    }
    static json(data, init = {}) {
      const text = JSON.stringify(data);
      if (text === undefined) throw new TypeError('Value is not JSON serializable');
      const headers = new Headers(init && init.headers);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      return new Response(text, { ...init, headers });
    }
    static error() {
      internal = { bytes: null, status: 0, statusText: '', headers: new Headers(), url: '', redirected: false, type: 'error' };
      return new Response();
    }
    static redirect(url, status = 302) {
      if (![301, 302, 303, 307, 308].includes(status)) throw new RangeError(`Invalid status code ${status}`);
      return new Response(null, { status, headers: { location: new (rt.lib('url').URL)(String(url)).href } });
    }
    get status() { return this.#status; }
    get statusText() { return this.#statusText; }
    get ok() { return this.#status >= 200 && this.#status <= 299; }
    get headers() { return this.#headers; }
    get url() { return this.#url; }
    get redirected() { return this.#redirected; }
    get type() { return this.#type; }
    clone() {
      if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.');
      const bytes = this._bodyBytes();
      internal = {
        bytes: bytes === null ? null : bytes.slice(),
        status: this.#status,
        statusText: this.#statusText,
        headers: new Headers(this.#headers),
        url: this.#url,
        redirected: this.#redirected,
        type: this.#type,
      };
      return new Response();
    }
    get [Symbol.toStringTag]() { return 'Response'; }
  }

  // ---- fetch --------------------------------------------------------------------------------
  const MAX_REQUEST_BYTES = 64 * 1024 * 1024;

  function fetch(input, init) {
    let request;
    try {
      request = new Request(input, init);
    } catch (e) {
      return Promise.reject(e);
    }
    const signal = init && init.signal !== undefined ? init.signal : input instanceof Request ? input.signal : null;
    if (signal && signal.aborted) return Promise.reject(signal.reason);
    const body = request._bodyBytes();
    if (body !== null && body.length > MAX_REQUEST_BYTES) return Promise.reject(new TypeError(`fetch failed: request bodies are limited to ${MAX_REQUEST_BYTES} bytes`));
    const description = { url: request.url, method: request.method, headers: request.headers._pairs(), redirect: request.redirect };
    return new Promise((resolve, reject) => {
      let call;
      try {
        call = rt.hostCall('fetch', description, body === null ? null : body);
      } catch (e) {
        reject(e);
        return;
      }
      if (signal && typeof signal.addEventListener === 'function') {
        signal.addEventListener('abort', () => {
          rt.hostCancel(call.id);
          reject(signal.reason);
        }, { once: true });
      }
      call.promise.then(
        ({ a, b }) => resolve(Response._fromHost(a, b)),
        (message) => reject(new TypeError(String(message))),
      );
    });
  }

  // require('node-fetch'): the same fetch, shaped like node-fetch's module (default export too).
  class FetchError extends Error {
    constructor(message, type) {
      super(message);
      this.name = 'FetchError';
      this.type = type;
    }
  }
  const nodeFetch = (input, init) => fetch(input, init);
  Object.assign(nodeFetch, { default: nodeFetch, Headers, Request, Response, Blob, FormData, FetchError, AbortError: web().DOMException, isRedirect: (code) => [301, 302, 303, 307, 308].includes(code) });

  return { fetch, nodeFetch, Headers, Request, Response, Blob, File, FormData };
}
