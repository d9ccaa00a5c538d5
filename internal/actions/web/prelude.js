(function (N, setTimeout, clearTimeout) {
  'use strict';
  // The web platform globals an action may use (fetch, Headers, Request, Response,
  // AbortController, AbortSignal, URL, URLSearchParams, TextEncoder, TextDecoder, Buffer,
  // atob, btoa, crypto.randomUUID, queueMicrotask). Everything that touches bytes, the
  // network or randomness is a Go native in N, which checks its own arguments: nothing
  // here is trusted to enforce a limit.
  const G = globalThis;
  const S = Symbol('internal');
  const defineProperty = Object.defineProperty;
  const setPrototypeOf = Object.setPrototypeOf;
  const isArray = Array.isArray;
  const ArrayProto = Array.prototype;
  const PromiseCtor = Promise;
  const def = (obj, name, value) => defineProperty(obj, name, { value: value, writable: true, configurable: true, enumerable: false });

  // ---- Buffer: an Array of byte values with Node's Buffer methods ----
  function Buffer() { throw new TypeError('Buffer() is not available; use Buffer.from or Buffer.alloc'); }
  Buffer.prototype = Object.create(ArrayProto);
  def(Buffer.prototype, 'constructor', Buffer);
  const mk = (arr) => setPrototypeOf(arr, Buffer.prototype);
  const isBuffer = (b) => b != null && typeof b === 'object' && Object.getPrototypeOf(b) === Buffer.prototype;
  const normEnc = (enc) => {
    const e = String(enc === undefined ? 'utf8' : enc).toLowerCase();
    if (e === 'utf-8') return 'utf8';
    if (e === 'binary') return 'latin1';
    if (['utf8', 'hex', 'base64', 'base64url', 'latin1', 'ascii'].indexOf(e) < 0) throw new TypeError('Unknown encoding: ' + enc);
    return e;
  };
  const toBytes = (v, enc) => {
    if (isBuffer(v)) return v;
    if (typeof v === 'string') return mk(N.decode(v, normEnc(enc)));
    if (isArray(v)) return mk(N.bytes(v));
    if (v && typeof v === 'object' && v.type === 'Buffer' && isArray(v.data)) return mk(N.bytes(v.data));
    throw new TypeError('The first argument must be of type string, Buffer or Array');
  };
  def(Buffer, 'from', (v, enc) => isBuffer(v) ? mk(ArrayProto.slice.call(v)) : toBytes(v, enc));
  def(Buffer, 'alloc', (n, fill) => mk(N.alloc(n, fill === undefined ? 0 : fill)));
  def(Buffer, 'isBuffer', isBuffer);
  def(Buffer, 'isEncoding', (e) => { try { normEnc(e); return true; } catch (_) { return false; } });
  def(Buffer, 'byteLength', (v, enc) => toBytes(v, enc).length);
  def(Buffer, 'concat', (list) => mk(N.concat(list)));
  def(Buffer, 'compare', (a, b) => N.compare(toBytes(a), toBytes(b)));
  def(Buffer.prototype, 'toString', function (enc, start, end) {
    let b = this;
    if (start !== undefined || end !== undefined) b = ArrayProto.slice.call(this, start, end);
    return N.encode(b, normEnc(enc));
  });
  def(Buffer.prototype, 'toJSON', function () { return { type: 'Buffer', data: ArrayProto.slice.call(this) }; });
  def(Buffer.prototype, 'equals', function (o) { return N.compare(this, toBytes(o)) === 0; });
  def(Buffer.prototype, 'compare', function (o) { return N.compare(this, toBytes(o)); });
  def(Buffer.prototype, 'slice', function (s, e) { return mk(ArrayProto.slice.call(this, s, e)); });
  def(Buffer.prototype, 'subarray', function (s, e) { return mk(ArrayProto.slice.call(this, s, e)); });
  G.Buffer = Buffer;
  G.btoa = (s) => N.encode(N.decode(String(s), 'latin1'), 'base64');
  G.atob = (s) => N.encode(N.decode(String(s), 'base64'), 'latin1');

  // ---- TextEncoder / TextDecoder (bytes are Buffers: typed arrays are not in the sandbox) ----
  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(s) { return mk(N.decode(s === undefined ? '' : String(s), 'utf8')); }
  }
  class TextDecoder {
    constructor(label) {
      const l = String(label === undefined ? 'utf-8' : label).toLowerCase();
      if (l !== 'utf-8' && l !== 'utf8') throw new RangeError('The "' + label + '" encoding is not supported');
    }
    get encoding() { return 'utf-8'; }
    decode(b) { return b === undefined ? '' : N.encode(toBytes(b), 'utf8'); }
  }
  G.TextEncoder = TextEncoder;
  G.TextDecoder = TextDecoder;

  // ---- URLSearchParams and URL (parsed in Go) ----
  const formEncode = (s) => encodeURIComponent(s).replace(/[!'()~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()).replace(/%20/g, '+');
  const formDecode = (s) => { try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch (_) { return s; } };
  class URLSearchParams {
    constructor(init) {
      this[S] = { list: [], url: null };
      const list = this[S].list;
      if (init == null) return;
      if (typeof init === 'object' && init[S] && isArray(init[S].list)) {
        init[S].list.forEach((p) => list.push([p[0], p[1]]));
      } else if (typeof init === 'object' && typeof init[Symbol.iterator] === 'function') {
        for (const p of init) {
          const a = Array.from(p);
          if (a.length !== 2) throw new TypeError('Each query pair must be an iterable [name, value] tuple');
          list.push([String(a[0]), String(a[1])]);
        }
      } else if (typeof init === 'object') {
        Object.keys(init).forEach((k) => list.push([k, String(init[k])]));
      } else {
        let s = String(init);
        if (s[0] === '?') s = s.slice(1);
        s.split('&').forEach((part) => {
          if (part === '') return;
          const i = part.indexOf('=');
          list.push(i < 0 ? [formDecode(part), ''] : [formDecode(part.slice(0, i)), formDecode(part.slice(i + 1))]);
        });
      }
    }
    _changed() { const u = this[S].url; if (u) { const q = this.toString(); u[S].search = q ? '?' + q : ''; } }
    get size() { return this[S].list.length; }
    append(k, v) { this[S].list.push([String(k), String(v)]); this._changed(); }
    delete(k) { k = String(k); this[S].list = this[S].list.filter((p) => p[0] !== k); this._changed(); }
    get(k) { k = String(k); const p = this[S].list.find((q) => q[0] === k); return p ? p[1] : null; }
    getAll(k) { k = String(k); return this[S].list.filter((p) => p[0] === k).map((p) => p[1]); }
    has(k) { k = String(k); return this[S].list.some((p) => p[0] === k); }
    set(k, v) {
      k = String(k); v = String(v);
      const list = this[S].list; const i = list.findIndex((p) => p[0] === k);
      if (i < 0) list.push([k, v]); else { list[i] = [k, v]; this[S].list = list.filter((p, j) => j <= i || p[0] !== k); }
      this._changed();
    }
    sort() { this[S].list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)); this._changed(); }
    forEach(fn, thisArg) { this[S].list.slice().forEach((p) => fn.call(thisArg, p[1], p[0], this)); }
    entries() { return this[S].list.map((p) => [p[0], p[1]])[Symbol.iterator](); }
    keys() { return this[S].list.map((p) => p[0])[Symbol.iterator](); }
    values() { return this[S].list.map((p) => p[1])[Symbol.iterator](); }
    [Symbol.iterator]() { return this.entries(); }
    toString() { return this[S].list.map((p) => formEncode(p[0]) + '=' + formEncode(p[1])).join('&'); }
  }
  G.URLSearchParams = URLSearchParams;

  class URL {
    constructor(input, base) {
      const p = N.parseURL(String(input), base === undefined ? '' : String(base));
      this[S] = p;
      const sp = new URLSearchParams(p.search);
      sp[S].url = this;
      defineProperty(this, 'searchParams', { value: sp, enumerable: false });
    }
    static canParse(input, base) { try { new URL(input, base); return true; } catch (_) { return false; } }
    get protocol() { return this[S].protocol; }
    get username() { return this[S].username; }
    get password() { return this[S].password; }
    get hostname() { return this[S].hostname; }
    set hostname(v) { this[S].hostname = String(v); }
    get port() { return this[S].port; }
    set port(v) { this[S].port = String(v); }
    get host() { return this[S].hostname + (this[S].port ? ':' + this[S].port : ''); }
    get origin() { return /^https?:$/.test(this[S].protocol) ? this[S].protocol + '//' + this.host : 'null'; }
    get pathname() { return this[S].pathname; }
    set pathname(v) { v = String(v); this[S].pathname = N.escapePath(v[0] === '/' ? v : '/' + v); }
    get search() { return this[S].search; }
    set search(v) {
      v = String(v); if (v[0] === '?') v = v.slice(1);
      const sp = new URLSearchParams(v);
      this.searchParams[S].list = sp[S].list;
      this[S].search = v ? '?' + N.escapeQuery(v) : '';
    }
    get hash() { return this[S].hash; }
    set hash(v) { v = String(v); if (v[0] === '#') v = v.slice(1); this[S].hash = v ? '#' + N.escapeQuery(v) : ''; }
    get href() {
      const p = this[S];
      const auth = p.username ? p.username + (p.password ? ':' + p.password : '') + '@' : '';
      const slashes = p.hostname !== '' || /^(https?|ftp|wss?|file):$/.test(p.protocol) ? '//' : '';
      return p.protocol + slashes + auth + this.host + p.pathname + p.search + p.hash;
    }
    toString() { return this.href; }
    toJSON() { return this.href; }
  }
  G.URL = URL;

  // ---- DOMException, AbortSignal, AbortController ----
  class DOMException extends Error {
    constructor(message, name) { super(message === undefined ? '' : String(message)); def(this, 'name', name === undefined ? 'Error' : String(name)); }
  }
  G.DOMException = DOMException;
  const newSignal = () => {
    const s = Object.create(AbortSignal.prototype);
    s[S] = { aborted: false, reason: undefined, listeners: [], timeout: 0 };
    s.onabort = null;
    return s;
  };
  const abortSignal = (s, reason) => {
    const st = s[S];
    if (st.aborted) return;
    st.aborted = true;
    st.reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    const ls = st.listeners.slice(); st.listeners = [];
    if (typeof s.onabort === 'function') s.onabort({ type: 'abort', target: s });
    ls.forEach((fn) => fn({ type: 'abort', target: s }));
  };
  class AbortSignal {
    constructor() { throw new TypeError('Illegal constructor'); }
    get aborted() { return this[S].aborted; }
    get reason() { return this[S].reason; }
    throwIfAborted() { if (this[S].aborted) throw this[S].reason; }
    addEventListener(type, fn) { if (type === 'abort' && typeof fn === 'function') this[S].listeners.push(fn); }
    removeEventListener(type, fn) { this[S].listeners = this[S].listeners.filter((f) => f !== fn); }
    static abort(reason) { const s = newSignal(); abortSignal(s, reason); return s; }
    static timeout(ms) {
      ms = Number(ms);
      if (!(ms >= 0)) throw new RangeError('The "delay" argument must be a non-negative number');
      const s = newSignal();
      s[S].timeout = Math.max(ms, 1);
      s[S].timer = setTimeout(() => abortSignal(s, new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
      return s;
    }
    static any(signals) {
      const s = newSignal();
      for (const o of signals) {
        if (o.aborted) { abortSignal(s, o.reason); return s; }
        if (o[S].timeout && (!s[S].timeout || o[S].timeout < s[S].timeout)) s[S].timeout = o[S].timeout;
        o.addEventListener('abort', () => abortSignal(s, o.reason));
      }
      return s;
    }
  }
  G.AbortSignal = AbortSignal;
  class AbortController {
    constructor() { defineProperty(this, 'signal', { value: newSignal(), enumerable: true }); }
    abort(reason) { abortSignal(this.signal, reason); }
  }
  G.AbortController = AbortController;

  // ---- Headers, Request, Response, fetch ----
  const checkName = (n) => { n = String(n); if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(n)) throw new TypeError('Invalid header name: "' + n + '"'); return n.toLowerCase(); };
  const checkValue = (v) => { v = String(v).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, ''); if (/[\0\r\n]/.test(v)) throw new TypeError('Invalid header value'); return v; };
  class Headers {
    constructor(init) {
      this[S] = {};
      if (init == null) return;
      if (init instanceof Headers) { init.forEach((v, k) => this.append(k, v)); return; }
      if (typeof init[Symbol.iterator] === 'function') {
        for (const p of init) { const a = Array.from(p); if (a.length !== 2) throw new TypeError('Header pairs must be [name, value]'); this.append(a[0], a[1]); }
        return;
      }
      Object.keys(init).forEach((k) => this.append(k, init[k]));
    }
    append(k, v) { k = checkName(k); v = checkValue(v); const m = this[S]; if (Object.prototype.hasOwnProperty.call(m, k)) m[k].push(v); else m[k] = [v]; }
    set(k, v) { this[S][checkName(k)] = [checkValue(v)]; }
    get(k) { k = checkName(k); const m = this[S]; return Object.prototype.hasOwnProperty.call(m, k) ? m[k].join(', ') : null; }
    getSetCookie() { const v = this[S]['set-cookie']; return v ? v.slice() : []; }
    has(k) { return Object.prototype.hasOwnProperty.call(this[S], checkName(k)); }
    delete(k) { delete this[S][checkName(k)]; }
    forEach(fn, thisArg) { Object.keys(this[S]).sort().forEach((k) => fn.call(thisArg, this[S][k].join(', '), k, this)); }
    entries() { return Object.keys(this[S]).sort().map((k) => [k, this[S][k].join(', ')])[Symbol.iterator](); }
    keys() { return Object.keys(this[S]).sort()[Symbol.iterator](); }
    values() { return Object.keys(this[S]).sort().map((k) => this[S][k].join(', '))[Symbol.iterator](); }
    [Symbol.iterator]() { return this.entries(); }
  }
  G.Headers = Headers;

  class Request {
    constructor(input, init) {
      init = init || {};
      const from = input instanceof Request ? input : null;
      const url = new URL(from ? from.url : String(input)).href;
      const method = String(init.method !== undefined ? init.method : from ? from.method : 'GET').toUpperCase();
      const body = init.body !== undefined ? init.body : from ? from[S].body : null;
      if (body != null && (method === 'GET' || method === 'HEAD')) throw new TypeError('Request with GET/HEAD method cannot have body.');
      const redirect = init.redirect !== undefined ? String(init.redirect) : from ? from.redirect : 'follow';
      if (['follow', 'error', 'manual'].indexOf(redirect) < 0) throw new TypeError("Failed to construct 'Request': redirect must be follow, error or manual");
      this[S] = { body: body };
      defineProperty(this, 'url', { value: url, enumerable: true });
      defineProperty(this, 'method', { value: method, enumerable: true });
      defineProperty(this, 'headers', { value: new Headers(init.headers !== undefined ? init.headers : from ? from.headers : undefined), enumerable: true });
      defineProperty(this, 'redirect', { value: redirect, enumerable: true });
      defineProperty(this, 'signal', { value: init.signal !== undefined ? init.signal : from ? from.signal : null, enumerable: true });
    }
  }
  G.Request = Request;

  const readBody = (r) => {
    const st = r[S];
    if (st.used) return PromiseCtor.reject(new TypeError('Body is unusable: Body has already been read'));
    st.used = true;
    return PromiseCtor.resolve(st.body);
  };
  class Response {
    constructor(body, init) {
      init = init || {};
      const status = init.status === undefined ? 200 : Number(init.status);
      if (!(status >= 200 && status <= 599) || status !== Math.floor(status)) throw new RangeError('init["status"] must be in the range of 200 to 599, inclusive.');
      const text = body == null ? '' : typeof body === 'string' ? body : isBuffer(body) ? N.encode(body, 'utf8') : body instanceof URLSearchParams ? body.toString() : String(body);
      this[S] = { body: text, used: false, bin: null };
      this.status = status;
      this.statusText = init.statusText === undefined ? '' : String(init.statusText);
      this.ok = status >= 200 && status < 300;
      this.headers = new Headers(init.headers);
      this.url = '';
      this.redirected = false;
      this.type = 'default';
    }
    get bodyUsed() { return this[S].used; }
    text() { return readBody(this); }
    json() { return readBody(this).then((t) => JSON.parse(t)); }
    arrayBuffer() {
      const bin = this[S].bin;
      return readBody(this).then((t) => (bin ? mk(N.decode(bin(), 'base64')) : mk(N.decode(t, 'utf8'))));
    }
    clone() {
      if (this[S].used) throw new TypeError('Response.clone: Body has already been consumed.');
      const c = Object.create(Response.prototype);
      Object.assign(c, this);
      c.headers = new Headers(this.headers);
      c[S] = { body: this[S].body, used: false, bin: this[S].bin };
      return c;
    }
    static json(data, init) {
      const r = new Response(JSON.stringify(data), init);
      if (!r.headers.has('content-type')) r.headers.set('content-type', 'application/json');
      return r;
    }
    static error() { const r = new Response(null, { status: 200 }); r.status = 0; r.ok = false; r.type = 'error'; return r; }
  }
  G.Response = Response;

  const fromNative = (x) => {
    const r = Object.create(Response.prototype);
    r[S] = { body: x.body, used: false, bin: x.bodyBase64 };
    r.status = x.status;
    r.statusText = x.statusText;
    r.ok = x.status >= 200 && x.status < 300;
    r.headers = new Headers(x.headers);
    r.url = x.url;
    r.redirected = x.redirected;
    r.type = 'basic';
    return r;
  };

  function fetch(input, init) {
    return new PromiseCtor((resolve, reject) => {
      const req = input instanceof Request && init === undefined ? input : new Request(input, init);
      let kind = 'none';
      let body = '';
      const b = req[S].body;
      if (b != null) {
        if (isBuffer(b)) { kind = 'base64'; body = N.encode(b, 'base64'); } else {
          kind = 'text';
          if (b instanceof URLSearchParams) {
            body = b.toString();
            if (!req.headers.has('content-type')) req.headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
          } else { body = String(b); }
          if (!req.headers.has('content-type')) req.headers.set('content-type', 'text/plain;charset=UTF-8');
        }
      }
      const sig = req.signal;
      if (sig && sig.aborted) { reject(sig.reason); return; }
      const headers = [];
      req.headers.forEach((v, k) => headers.push([k, v]));
      const pending = N.fetch(req.url, req.method, headers, kind, body, req.redirect, sig && sig[S] ? sig[S].timeout : 0);
      if (sig && sig[S]) sig.addEventListener('abort', () => N.abort(pending.id));
      pending.promise.then((x) => resolve(fromNative(x)), (e) => reject(sig && sig.aborted ? sig.reason : e));
    });
  }
  G.fetch = fetch;

  G.crypto = {
    randomUUID: () => N.randomUUID(),
    getRandomValues: (a) => {
      if (!a || typeof a.length !== 'number' || a.length > 65536) throw new TypeError('getRandomValues takes an array of at most 65536 elements');
      const r = N.randomBytes(a.length);
      for (let i = 0; i < r.length; i++) a[i] = r[i];
      return a;
    },
  };
  G.queueMicrotask = (fn) => {
    if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
    PromiseCtor.resolve().then(() => fn());
  };

  return { natives: N, S: S, mk: mk, toBytes: toBytes, isBuffer: isBuffer, normEnc: normEnc, formEncode: formEncode, formDecode: formDecode, fetch: fetch };
})
