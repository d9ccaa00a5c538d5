// The same calls, run in the sandbox and in Node (TestModulesMatchNode): the results must be equal.
const crypto = require('crypto');
const qs = require('querystring');
const url = require('url');
const out = {};
out.sha256 = crypto.createHash('sha256').update('hello ').update('wörld').digest('hex');
out.sha1b64 = crypto.createHash('sha1').update(Buffer.from('abc')).digest('base64');
out.md5 = crypto.createHash('md5').update('x').digest('hex');
out.sha512 = crypto.createHash('sha512').update('a').digest('base64url');
out.sha384buf = crypto.createHash('SHA384').update('61', 'hex').digest().toString('hex');
out.hmac = crypto.createHmac('sha256', 'key').update('The quick brown fox').digest('hex');
out.hmacBuf = crypto.createHmac('sha384', Buffer.from('6b6579', 'hex')).update('data', 'utf8').digest('base64');
out.tse = [crypto.timingSafeEqual(Buffer.from('abc'), Buffer.from('abc')), crypto.timingSafeEqual(Buffer.from('abc'), Buffer.from('abd'))];
try { crypto.timingSafeEqual(Buffer.from('a'), Buffer.from('ab')); } catch (e) { out.tseErr = e.name; }
try { crypto.createHash('sha3-999'); } catch (e) { out.badHash = e.message.slice(0, 29); }
out.rb = crypto.randomBytes(16).length;
out.uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID());
out.b64 = Buffer.from('héllo wörld').toString('base64');
out.fromB64 = Buffer.from('aMOpbGxvIHfDtnJsZA==', 'base64').toString();
out.fromB64url = Buffer.from('_-8', 'base64url').toString('hex');
out.hex = Buffer.from('ff00ab', 'hex').toString('base64url');
out.latin1 = Buffer.from('é', 'latin1').toString('hex');
out.len = Buffer.byteLength('wörld');
out.concat = Buffer.concat([Buffer.from('a'), Buffer.from('bc')]).toString();
out.slice = Buffer.from('abcdef').slice(1, 3).toString();
out.json = JSON.stringify(Buffer.from('hi'));
out.isBuf = [Buffer.isBuffer(Buffer.from('x')), Buffer.isBuffer('x')];
out.equals = Buffer.from('ab').equals(Buffer.from('ab'));
out.te = Array.from(new TextEncoder().encode('ü€'));
out.td = new TextDecoder().decode(Buffer.from([0xe2, 0x82, 0xac]));
out.btoa = btoa('hello');
out.atob = atob('aGVsbG8=');
out.qsStr = qs.stringify({ a: 'b c', d: ['e', 'f&g'], h: 1, i: true, j: null, k: "!'()*~" });
out.qsParse = qs.parse('a=b+c&d=e&d=f%26g&x');
const u = new URL('https://Example.COM:443/a/../b/./c?x=1&y=a+b#frag');
out.url = [u.href, u.host, u.hostname, u.port, u.pathname, u.search, u.hash, u.origin, u.searchParams.get('y')];
u.searchParams.append('z', 'ä ö');
out.url2 = u.href;
const sp = new URLSearchParams({ q: "a b!'()~*", r: 'é' });
sp.append('q', '2');
out.sp = [sp.toString(), sp.getAll('q'), sp.has('r'), [...sp.keys()]];
out.rel = new URL('../x?y#z', 'http://h.test/a/b/c').href;
out.port = new URL('http://h.test:8080').host;
try { new URL('not a url'); } catch (e) { out.badURL = e.name; }
const legacy = url.parse('http://u.test:8080/p/a?t=1&t=2#h', true);
out.legacy = [legacy.protocol, legacy.host, legacy.pathname, legacy.search, legacy.query.t, legacy.hash];
out.fmt = url.format({ protocol: 'https', hostname: 'h.test', pathname: '/p', query: { a: '1 2' } });
