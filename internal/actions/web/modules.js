(function (N, web) {
  'use strict';
  // The modules an action may require: pure JavaScript over the sandbox's natives, shaped as
  // the npm and Node modules of the same name for the calls Auth0 Actions commonly make.
  const S = web.S, mk = web.mk, toBytes = web.toBytes, isBuffer = web.isBuffer, normEnc = web.normEnc;
  const out = (bytes, enc) => (enc === undefined ? mk(bytes) : N.encode(bytes, normEnc(enc)));

  // ---- node:crypto ----
  function cryptoModule() {
    const piece = (data, enc) => (typeof data === 'string' ? toBytes(data, enc) : toBytes(data));
    class Hash {
      constructor(alg) { N.hash(alg, []); this[S] = { alg: String(alg), parts: [], done: false }; }
      update(data, enc) {
        if (this[S].done) throw new Error('Digest already called');
        this[S].parts.push(piece(data, enc));
        return this;
      }
      digest(enc) {
        if (this[S].done) throw new Error('Digest already called');
        this[S].done = true;
        return out(N.hash(this[S].alg, N.concat(this[S].parts)), enc);
      }
    }
    class Hmac {
      constructor(alg, key) { N.hmac(alg, [], []); this[S] = { alg: String(alg), key: piece(key), parts: [], done: false }; }
      update(data, enc) {
        if (this[S].done) throw new Error('Digest already called');
        this[S].parts.push(piece(data, enc));
        return this;
      }
      digest(enc) {
        if (this[S].done) throw new Error('Digest already called');
        this[S].done = true;
        return out(N.hmac(this[S].alg, this[S].key, N.concat(this[S].parts)), enc);
      }
    }
    return {
      createHash: (alg) => new Hash(alg),
      createHmac: (alg, key) => new Hmac(alg, key),
      randomBytes: (n, cb) => {
        const b = mk(N.randomBytes(n));
        if (typeof cb === 'function') { setTimeout(() => cb(null, b), 0); return undefined; }
        return b;
      },
      randomUUID: () => N.randomUUID(),
      randomInt: (min, max) => {
        if (max === undefined) { max = min; min = 0; }
        const range = max - min;
        if (!(range > 0) || range > 2 ** 32) throw new RangeError('The value of "max" is out of range');
        const b = N.randomBytes(6);
        let x = 0;
        for (let i = 0; i < 6; i++) x = x * 256 + b[i];
        return min + (x % range);
      },
      timingSafeEqual: (a, b) => N.timingSafeEqual(toBytes(a), toBytes(b)),
      getHashes: () => ['md5', 'sha1', 'sha256', 'sha384', 'sha512'],
    };
  }

  // ---- jsonwebtoken: sign / verify / decode for HS256/384/512 and RS256/384/512 ----
  function jwtModule() {
    class JsonWebTokenError extends Error {
      constructor(message, inner) { super(message); Object.defineProperty(this, 'name', { value: 'JsonWebTokenError', writable: true, configurable: true }); if (inner) this.inner = inner; }
    }
    class TokenExpiredError extends JsonWebTokenError {
      constructor(message, expiredAt) { super(message); this.name = 'TokenExpiredError'; this.expiredAt = expiredAt; }
    }
    class NotBeforeError extends JsonWebTokenError {
      constructor(message, date) { super(message); this.name = 'NotBeforeError'; this.date = date; }
    }
    const b64 = (s) => N.encode(N.decode(s, 'utf8'), 'base64url');
    const unb64 = (s) => N.encode(N.decode(s, 'base64url'), 'utf8');
    const keyBytes = (k) => {
      if (k == null || k === '') return [];
      if (typeof k === 'string') return toBytes(k, 'utf8');
      if (isBuffer(k)) return k;
      if (typeof k === 'object' && k.key !== undefined) return keyBytes(k.key);
      throw new TypeError('secretOrPrivateKey must be a string or buffer');
    };
    const timespan = (v, iat) => {
      if (typeof v === 'number') return iat + v;
      const m = /^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hrs?|hours?|d|days?|w|weeks?|y|yrs?|years?)?\s*$/i.exec(String(v));
      if (!m) throw new Error('"expiresIn" should be a number of seconds or string representing a timespan');
      const n = parseFloat(m[1]);
      const u = (m[2] || 'ms').toLowerCase();
      const secs = u === 'ms' ? n / 1000 : /^s/.test(u) ? n : /^m/.test(u) ? n * 60 : /^h/.test(u) ? n * 3600 : /^d/.test(u) ? n * 86400 : /^w/.test(u) ? n * 604800 : n * 31557600;
      return Math.floor(iat + secs);
    };
    function sign(payload, key, options, callback) {
      if (typeof options === 'function') { callback = options; options = {}; }
      options = options || {};
      const run = () => {
        const alg = options.algorithm || 'HS256';
        if (typeof payload !== 'object' || payload === null) {
          if (options.expiresIn !== undefined || options.notBefore !== undefined) throw new Error('invalid expiresIn option for string payload');
          payload = String(payload);
        }
        let body = payload;
        if (typeof payload === 'object') {
          body = Object.assign({}, payload);
          const iat = body.iat !== undefined ? body.iat : Math.floor(Date.now() / 1000);
          if (!options.noTimestamp) body.iat = iat;
          if (options.expiresIn !== undefined) {
            if (body.exp !== undefined) throw new Error('Bad "options.expiresIn" option the payload already has an "exp" property.');
            body.exp = timespan(options.expiresIn, iat);
          }
          if (options.notBefore !== undefined) body.nbf = timespan(options.notBefore, iat);
          if (options.audience !== undefined) body.aud = options.audience;
          if (options.issuer !== undefined) body.iss = options.issuer;
          if (options.subject !== undefined) body.sub = options.subject;
          if (options.jwtid !== undefined) body.jti = options.jwtid;
          body = JSON.stringify(body);
        }
        const header = Object.assign({ alg: alg, typ: 'JWT' }, options.header || {});
        if (options.keyid !== undefined) header.kid = options.keyid;
        const input = b64(JSON.stringify(header)) + '.' + b64(body);
        return input + '.' + N.jwtSign(alg, input, keyBytes(key));
      };
      if (typeof callback === 'function') {
        let r, e = null;
        try { r = run(); } catch (err) { e = err; }
        setTimeout(() => callback(e, r), 0);
        return undefined;
      }
      return run();
    }
    function decode(token, options) {
      options = options || {};
      const parts = String(token).split('.');
      if (parts.length !== 3) return null;
      let header, payload;
      try { header = JSON.parse(unb64(parts[0])); } catch (_) { return null; }
      const raw = unb64(parts[1]);
      try { payload = JSON.parse(raw); } catch (_) { payload = raw; }
      if (options.complete) return { header: header, payload: payload, signature: parts[2] };
      return payload;
    }
    function verify(token, key, options, callback) {
      if (typeof options === 'function') { callback = options; options = {}; }
      options = options || {};
      const run = () => {
        if (!token) throw new JsonWebTokenError('jwt must be provided');
        if (typeof token !== 'string') throw new JsonWebTokenError('jwt must be a string');
        const parts = token.split('.');
        if (parts.length !== 3) throw new JsonWebTokenError('jwt malformed');
        const d = decode(token, { complete: true });
        if (!d) throw new JsonWebTokenError('invalid token');
        if (parts[2] === '') throw new JsonWebTokenError('jwt signature is required');
        const kb = keyBytes(key);
        if (kb.length === 0) throw new JsonWebTokenError('secret or public key must be provided');
        const pem = typeof key === 'string' && key.indexOf('-----BEGIN') >= 0;
        const algs = options.algorithms || (pem ? ['RS256', 'RS384', 'RS512'] : ['HS256', 'HS384', 'HS512']);
        if (algs.indexOf(d.header.alg) < 0) throw new JsonWebTokenError('invalid algorithm');
        if (!N.jwtVerify(d.header.alg, parts[0] + '.' + parts[1], parts[2], kb)) throw new JsonWebTokenError('invalid signature');
        const p = d.payload;
        const now = options.clockTimestamp !== undefined ? options.clockTimestamp : Math.floor(Date.now() / 1000);
        const tol = options.clockTolerance || 0;
        if (typeof p === 'object' && p !== null) {
          if (p.nbf !== undefined && !options.ignoreNotBefore) {
            if (typeof p.nbf !== 'number') throw new JsonWebTokenError('invalid nbf value');
            if (p.nbf > now + tol) throw new NotBeforeError('jwt not active', new Date(p.nbf * 1000));
          }
          if (p.exp !== undefined && !options.ignoreExpiration) {
            if (typeof p.exp !== 'number') throw new JsonWebTokenError('invalid exp value');
            if (now >= p.exp + tol) throw new TokenExpiredError('jwt expired', new Date(p.exp * 1000));
          }
          if (options.audience !== undefined) {
            const want = [].concat(options.audience);
            const have = [].concat(p.aud);
            const ok = have.some((a) => want.some((w) => (w instanceof RegExp ? w.test(a) : w === a)));
            if (!ok) throw new JsonWebTokenError('jwt audience invalid. expected: ' + want.join(' or '));
          }
          if (options.issuer !== undefined && [].concat(options.issuer).indexOf(p.iss) < 0) throw new JsonWebTokenError('jwt issuer invalid. expected: ' + [].concat(options.issuer).join(','));
          if (options.subject !== undefined && p.sub !== options.subject) throw new JsonWebTokenError('jwt subject invalid. expected: ' + options.subject);
          if (options.jwtid !== undefined && p.jti !== options.jwtid) throw new JsonWebTokenError('jwt jwtid invalid. expected: ' + options.jwtid);
          if (options.maxAge !== undefined) {
            if (typeof p.iat !== 'number') throw new JsonWebTokenError('iat required when maxAge is specified');
            const max = timespan(options.maxAge, p.iat);
            if (now >= max + tol) throw new TokenExpiredError('maxAge exceeded', new Date(max * 1000));
          }
        }
        return options.complete ? d : p;
      };
      if (typeof callback === 'function') {
        let r, e = null;
        try { r = run(); } catch (err) { e = err; }
        setTimeout(() => callback(e, r), 0);
        return undefined;
      }
      return run();
    }
    return { sign: sign, verify: verify, decode: decode, JsonWebTokenError: JsonWebTokenError, TokenExpiredError: TokenExpiredError, NotBeforeError: NotBeforeError };
  }

  // ---- querystring ----
  function querystringModule() {
    const esc = (s) => encodeURIComponent(s);
    const unesc = (s) => { try { return decodeURIComponent(s); } catch (_) { return s; } };
    const prim = (v) => (typeof v === 'string' ? v : typeof v === 'number' && isFinite(v) ? String(v) : typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : '');
    function stringify(obj, sep, eq) {
      sep = sep || '&'; eq = eq || '=';
      if (obj === null || typeof obj !== 'object') return '';
      return Object.keys(obj).map((k) => {
        const v = obj[k];
        if (Array.isArray(v)) return v.map((x) => esc(k) + eq + esc(prim(x))).join(sep);
        return esc(k) + eq + esc(prim(v));
      }).filter((s) => s !== '').join(sep);
    }
    function parse(str, sep, eq, options) {
      sep = sep || '&'; eq = eq || '=';
      const res = Object.create(null);
      if (typeof str !== 'string' || str === '') return res;
      let max = (options && options.maxKeys) || 1000;
      const parts = str.split(sep);
      if (max > 0 && parts.length > max) parts.length = max;
      parts.forEach((part) => {
        if (part === '') return;
        const i = part.indexOf(eq);
        const k = unesc((i < 0 ? part : part.slice(0, i)).replace(/\+/g, ' '));
        const v = i < 0 ? '' : unesc(part.slice(i + eq.length).replace(/\+/g, ' '));
        if (Object.prototype.hasOwnProperty.call(res, k)) res[k] = [].concat(res[k], v); else res[k] = v;
      });
      return res;
    }
    return { stringify: stringify, encode: stringify, parse: parse, decode: parse, escape: esc, unescape: unesc };
  }

  // ---- url ----
  function urlModule() {
    const qs = querystringModule();
    function parse(str, parseQuery) {
      const u = new URL(String(str));
      const search = u.search;
      return {
        protocol: u.protocol, slashes: true, auth: u.username ? u.username + (u.password ? ':' + u.password : '') : null,
        host: u.host, port: u.port || null, hostname: u.hostname, hash: u.hash || null, search: search || null,
        query: parseQuery ? qs.parse(search.slice(1)) : search.slice(1) || null, pathname: u.pathname,
        path: u.pathname + search, href: u.href,
      };
    }
    function format(o) {
      if (o instanceof URL) return o.href;
      if (typeof o === 'string') return o;
      let s = (o.protocol ? (o.protocol.endsWith(':') ? o.protocol : o.protocol + ':') + '//' : '') + (o.auth ? o.auth + '@' : '');
      s += o.host || (o.hostname || '') + (o.port ? ':' + o.port : '');
      s += o.pathname || '';
      if (o.search) s += o.search[0] === '?' ? o.search : '?' + o.search;
      else if (o.query && typeof o.query === 'object') { const q = qs.stringify(o.query); if (q) s += '?' + q; }
      if (o.hash) s += o.hash[0] === '#' ? o.hash : '#' + o.hash;
      return s;
    }
    return { URL: URL, URLSearchParams: URLSearchParams, parse: parse, format: format, resolve: (from, to) => new URL(to, new URL(from, 'resolve://')).href.replace(/^resolve:\/\//, '') };
  }

  // ---- axios over fetch ----
  function axiosModule() {
    class AxiosError extends Error {
      constructor(message, code, config, request, response) {
        super(message);
        this.name = 'AxiosError'; this.code = code; this.config = config; this.request = request; this.response = response;
        this.isAxiosError = true; if (response) this.status = response.status;
      }
      toJSON() { return { message: this.message, name: this.name, code: this.code, status: this.status }; }
    }
    const merge = (a, b) => {
      const o = Object.assign({}, a, b);
      o.headers = Object.assign({}, a && a.headers, b && b.headers);
      return o;
    };
    const buildURL = (c) => {
      let url = c.url || '';
      if (c.baseURL && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) url = c.baseURL.replace(/\/+$/, '') + '/' + url.replace(/^\/+/, '');
      if (c.params) {
        const sp = c.params instanceof URLSearchParams ? c.params : new URLSearchParams();
        if (!(c.params instanceof URLSearchParams)) {
          Object.keys(c.params).forEach((k) => {
            const v = c.params[k];
            if (v === undefined || v === null) return;
            if (Array.isArray(v)) v.forEach((x) => sp.append(k + '[]', x instanceof Date ? x.toISOString() : typeof x === 'object' ? JSON.stringify(x) : x));
            else sp.append(k, v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : v);
          });
        }
        const q = sp.toString();
        if (q) url += (url.indexOf('?') < 0 ? '?' : '&') + q;
      }
      return url;
    };
    function create(defaults) {
      defaults = merge({ timeout: 0, validateStatus: (s) => s >= 200 && s < 300 }, defaults || {});
      function request(configOrUrl, maybe) {
        const config = typeof configOrUrl === 'string' ? merge(defaults, Object.assign({}, maybe, { url: configOrUrl })) : merge(defaults, configOrUrl);
        return new Promise((resolve, reject) => {
          const method = String(config.method || 'get').toUpperCase();
          const headers = {};
          Object.keys(config.headers || {}).forEach((k) => {
            const v = config.headers[k];
            if (['common', 'get', 'post', 'put', 'patch', 'delete', 'head'].indexOf(k.toLowerCase()) >= 0 || v === undefined || v === null) return;
            headers[k.toLowerCase()] = String(v);
          });
          if (!headers.accept) headers.accept = 'application/json, text/plain, */*';
          let body;
          const data = config.data;
          if (data !== undefined && data !== null) {
            if (typeof data === 'string' || isBuffer(data)) body = data;
            else if (data instanceof URLSearchParams) { body = data.toString(); if (!headers['content-type']) headers['content-type'] = 'application/x-www-form-urlencoded;charset=utf-8'; }
            else { body = JSON.stringify(data); if (!headers['content-type']) headers['content-type'] = 'application/json'; }
            if (typeof body === 'string' && !headers['content-type']) headers['content-type'] = 'application/x-www-form-urlencoded';
          }
          if (config.auth) headers.authorization = 'Basic ' + btoa(unescape(encodeURIComponent((config.auth.username || '') + ':' + (config.auth.password || ''))));
          let url;
          try { url = buildURL(config); new URL(url); } catch (e) { reject(new AxiosError('Invalid URL', 'ERR_INVALID_URL', config)); return; }
          const init = { method: method, headers: headers, body: body, redirect: config.maxRedirects === 0 ? 'manual' : 'follow' };
          if (config.signal) init.signal = config.signal;
          else if (config.timeout > 0) init.signal = AbortSignal.timeout(config.timeout);
          const req = { method: method, url: url };
          web.fetch(url, init).then((res) => res.text().then((text) => {
            let d = text;
            const rt = config.responseType || 'json';
            if (rt === 'json' && text !== '') { try { d = JSON.parse(text); } catch (_) { d = text; } }
            const h = {};
            res.headers.forEach((v, k) => { h[k] = v; });
            const response = { data: d, status: res.status, statusText: res.statusText, headers: h, config: config, request: req };
            if (!config.validateStatus || config.validateStatus(res.status)) resolve(response);
            else reject(new AxiosError('Request failed with status code ' + res.status, res.status >= 500 ? 'ERR_BAD_RESPONSE' : 'ERR_BAD_REQUEST', config, req, response));
          }), (e) => {
            if (e && e.name === 'TimeoutError') reject(new AxiosError('timeout of ' + config.timeout + 'ms exceeded', 'ECONNABORTED', config, req));
            else if (e && e.name === 'AbortError') reject(new AxiosError('canceled', 'ERR_CANCELED', config, req));
            else reject(new AxiosError(e && e.message ? e.message : 'Network Error', 'ERR_NETWORK', config, req));
          });
        });
      }
      const instance = (a, b) => request(a, b);
      instance.request = request;
      instance.defaults = defaults;
      ['get', 'delete', 'head', 'options'].forEach((m) => { instance[m] = (url, config) => request(Object.assign({}, config, { url: url, method: m })); });
      ['post', 'put', 'patch'].forEach((m) => { instance[m] = (url, data, config) => request(Object.assign({}, config, { url: url, method: m, data: data })); });
      instance.create = (d) => create(merge(defaults, d));
      instance.isAxiosError = (e) => !!(e && e.isAxiosError);
      instance.AxiosError = AxiosError;
      instance.default = instance;
      return instance;
    }
    return create({});
  }

  const url = urlModule, qs = querystringModule, c = cryptoModule;
  return {
    axios: axiosModule, crypto: c, 'node:crypto': c, jsonwebtoken: jwtModule,
    querystring: qs, 'node:querystring': qs, url: url, 'node:url': url,
  };
})
