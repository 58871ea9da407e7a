// URL and URLSearchParams in the action isolate. Parsing and the setters follow the WHATWG URL
// standard by asking the host's own URL implementation (the pure, synchronous `compute` callback:
// a string in, the URL's parts out), so edge cases match Node exactly without shipping a parser.
// URLSearchParams (form encoding) is plain code here.
function urlLibrary(rt) {
  const SETTABLE = ['href', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'];

  function invalidUrl(input) {
    const e = new TypeError('Invalid URL');
    e.code = 'ERR_INVALID_URL';
    e.input = input;
    return e;
  }

  function parse(input, base) {
    return rt.compute('url', input, base);
  }

  let linking;

  class URL {
    #parts;
    #params = undefined;

    constructor(url, base) {
      if (arguments.length === 0) throw new TypeError('The "url" argument must be specified');
      const input = String(url);
      const parts = parse(input, base === undefined ? undefined : String(base));
      if (parts === null) throw invalidUrl(input);
      this.#parts = parts;
    }

    static canParse(url, base) {
      return parse(String(url), base === undefined ? undefined : String(base)) !== null;
    }

    static parse(url, base) {
      try { return new URL(url, base); } catch { return null; }
    }

    #set(name, value) {
      const parts = rt.compute('urlset', this.#parts.href, name, String(value));
      if (parts === null) {
        if (name === 'href') throw invalidUrl(String(value));
        return;
      }
      this.#parts = parts;
      if (this.#params !== undefined && name !== 'hash') this.#params._replace(parts.search);
    }

    get href() { return this.#parts.href; }
    set href(value) { this.#set('href', value); }
    get origin() { return this.#parts.origin; }
    get protocol() { return this.#parts.protocol; }
    set protocol(value) { this.#set('protocol', value); }
    get username() { return this.#parts.username; }
    set username(value) { this.#set('username', value); }
    get password() { return this.#parts.password; }
    set password(value) { this.#set('password', value); }
    get host() { return this.#parts.host; }
    set host(value) { this.#set('host', value); }
    get hostname() { return this.#parts.hostname; }
    set hostname(value) { this.#set('hostname', value); }
    get port() { return this.#parts.port; }
    set port(value) { this.#set('port', value); }
    get pathname() { return this.#parts.pathname; }
    set pathname(value) { this.#set('pathname', value); }
    get search() { return this.#parts.search; }
    set search(value) { this.#set('search', value); }
    get hash() { return this.#parts.hash; }
    set hash(value) { this.#set('hash', value); }

    get searchParams() {
      if (this.#params === undefined) {
        linking = (search) => this.#set('search', search);
        try { this.#params = new URLSearchParams(this.#parts.search); } finally { linking = undefined; }
      }
      return this.#params;
    }

    toString() { return this.#parts.href; }
    toJSON() { return this.#parts.href; }
    get [Symbol.toStringTag]() { return 'URL'; }
  }

  // ---- application/x-www-form-urlencoded ------------------------------------------------------
  const SAFE = /[A-Za-z0-9*\-._]/;

  function formEncode(text) {
    const bytes = rt.lib('encoding').encodeUtf8(text);
    let out = '';
    for (const byte of bytes) {
      if (byte === 0x20) out += '+';
      else if (byte < 0x80 && SAFE.test(String.fromCharCode(byte))) out += String.fromCharCode(byte);
      else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    return out;
  }

  function formDecode(text) {
    const plain = text.replace(/\+/g, ' ');
    if (!plain.includes('%')) return plain;
    const bytes = [];
    for (let i = 0; i < plain.length; i++) {
      const c = plain.charCodeAt(i);
      if (c === 0x25 && /^[0-9A-Fa-f]{2}$/.test(plain.substr(i + 1, 2))) {
        bytes.push(parseInt(plain.substr(i + 1, 2), 16));
        i += 2;
      } else if (c < 0x80) {
        bytes.push(c);
      } else {
        for (const b of rt.lib('encoding').encodeUtf8(plain[i] + (c >= 0xd800 && c <= 0xdbff && i + 1 < plain.length ? plain[++i] : ''))) bytes.push(b);
      }
    }
    return rt.lib('encoding').decodeUtf8(new Uint8Array(bytes));
  }

  function parseForm(text) {
    const list = [];
    for (const piece of text.split('&')) {
      if (piece === '') continue;
      const eq = piece.indexOf('=');
      list.push(eq < 0 ? [formDecode(piece), ''] : [formDecode(piece.slice(0, eq)), formDecode(piece.slice(eq + 1))]);
    }
    return list;
  }

  class URLSearchParams {
    #list = [];
    #onChange = linking;

    constructor(init = '') {
      if (typeof init === 'object' && init !== null) {
        if (init instanceof URLSearchParams) {
          this.#list = init.#list.map(([k, v]) => [k, v]);
        } else if (typeof init[Symbol.iterator] === 'function') {
          for (const pair of init) {
            const entry = Array.from(pair);
            if (entry.length !== 2) throw new TypeError('Each query pair must be an iterable [name, value] tuple');
            this.#list.push([String(entry[0]), String(entry[1])]);
          }
        } else {
          for (const key of Object.keys(init)) this.#list.push([key, String(init[key])]);
        }
      } else {
        const text = String(init);
        this.#list = parseForm(text.startsWith('?') ? text.slice(1) : text);
      }
    }

    /** Called by the owning URL when its search changes. */
    _replace(search) {
      this.#list = parseForm(search.startsWith('?') ? search.slice(1) : search);
    }

    #update() {
      if (this.#onChange) this.#onChange(this.toString());
    }

    get size() { return this.#list.length; }

    append(name, value) {
      this.#list.push([String(name), String(value)]);
      this.#update();
    }

    delete(name, value) {
      const key = String(name);
      const match = value === undefined ? (pair) => pair[0] === key : (pair) => pair[0] === key && pair[1] === String(value);
      this.#list = this.#list.filter((pair) => !match(pair));
      this.#update();
    }

    get(name) {
      const key = String(name);
      const found = this.#list.find((pair) => pair[0] === key);
      return found === undefined ? null : found[1];
    }

    getAll(name) {
      const key = String(name);
      return this.#list.filter((pair) => pair[0] === key).map((pair) => pair[1]);
    }

    has(name, value) {
      const key = String(name);
      return this.#list.some((pair) => pair[0] === key && (value === undefined || pair[1] === String(value)));
    }

    set(name, value) {
      const key = String(name);
      const index = this.#list.findIndex((pair) => pair[0] === key);
      if (index < 0) this.#list.push([key, String(value)]);
      else {
        this.#list[index] = [key, String(value)];
        this.#list = this.#list.filter((pair, i) => i <= index || pair[0] !== key);
      }
      this.#update();
    }

    sort() {
      this.#list = this.#list.map((pair, i) => [pair, i]).sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1])).map(([pair]) => pair);
      this.#update();
    }

    forEach(callback, thisArg) {
      if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be of type function');
      for (const [name, value] of this.#list.slice()) callback.call(thisArg, value, name, this);
    }

    *entries() { for (const [name, value] of this.#list.slice()) yield [name, value]; }
    *keys() { for (const [name] of this.#list.slice()) yield name; }
    *values() { for (const [, value] of this.#list.slice()) yield value; }
    [Symbol.iterator]() { return this.entries(); }

    toString() {
      return this.#list.map(([name, value]) => `${formEncode(name)}=${formEncode(value)}`).join('&');
    }

    get [Symbol.toStringTag]() { return 'URLSearchParams'; }
  }

  return { URL, URLSearchParams, SETTABLE };
}
