// auth0-spa-js 2.x, unchanged (its UMD bundle from node_modules), in Chromium against Gatehouse: the
// page a new user writes from Auth0's SPA quickstart, served from a loopback port.
//
//   loginWithRedirect → hosted login → handleRedirectCallback; getTokenSilently with the cache off
//   (hidden iframe, response_mode=web_message, prompt=none) returns a fresh token; a reload with the
//   default settings is signed in within seconds; the same with useRefreshTokens (rotation seen);
//   logout, then getTokenSilently rejects with login_required at once; a page on an origin the
//   application does not list gets no token; loginWithPopup (web_message to the opener).
//
// Needs Gatehouse (GATEHOUSE_DEV_TENANT, NODE_EXTRA_CA_CERTS); serves its pages on :3100 (listed)
// and :3101 (not listed). The tests run in order and share the signed-in browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  audience, createClient, decodeJwt, domain, issuer, launchAllowingThirdPartyCookies, shot, signInOnHostedPage,
  userAccount,
} from './tenant.js';

const require = createRequire(import.meta.url);
const SDK_BUNDLE = readFileSync(require.resolve('@auth0/auth0-spa-js/dist/auth0-spa-js.production.js'));
const SDK_VERSION = require('@auth0/auth0-spa-js/package.json').version;
const SPA = 'http://localhost:3100';
const UNLISTED = 'http://localhost:3101';

// The page: the quickstart's calls, with its state made readable to the test (window.spa) and
// visible in screenshots. `/` uses the SDK's defaults; `/rt/` adds useRefreshTokens with the
// localStorage cache (with the default in-memory cache a reload has no refresh token to use).
function pageHTML(origin, path, clientId) {
  const config = {
    domain,
    clientId,
    authorizationParams: { audience, redirect_uri: `${origin}${path}` },
    ...(path === '/rt/' ? { useRefreshTokens: true, cacheLocation: 'localstorage' } : {}),
    // Long enough for a loaded CI machine; on the unlisted origin, where no answer ever comes (and
    // the SDK's cookie saying "signed in before" is there, as cookies ignore ports), short.
    authorizeTimeoutInSeconds: origin === SPA ? 10 : 4,
  };
  return `<!doctype html><html><head><meta charset="utf-8"><title>SPA ${path}</title>
<script src="/auth0-spa-js.production.js"></script></head>
<body style="font-family:sans-serif;margin:2em">
<h1>auth0-spa-js ${SDK_VERSION} on ${origin}${path}</h1>
<p id="status">starting…</p><pre id="log" style="white-space:pre-wrap"></pre>
<script>
const CONFIG = ${JSON.stringify(config)};
const log = (s) => { document.getElementById('log').textContent += s + '\\n'; };
window.spa = { ready: false, messages: [] };
window.addEventListener('message', (e) => window.spa.messages.push({ origin: e.origin, data: e.data }));
window.spa.token = async (opts) => {
  const t0 = performance.now();
  try {
    const token = await window.client.getTokenSilently(opts);
    log('getTokenSilently: token issued');
    return { token, ms: performance.now() - t0 };
  } catch (e) {
    log('getTokenSilently: ' + e.error + ' ' + e.message);
    return { error: e.error || String(e), message: e.message, ms: performance.now() - t0 };
  }
};
(async () => {
  const t0 = performance.now();
  window.client = await auth0.createAuth0Client(CONFIG);
  window.spa.initMs = performance.now() - t0;
  const q = new URLSearchParams(location.search);
  if (q.has('code') || q.has('error')) {
    try { await window.client.handleRedirectCallback(); window.spa.callback = 'ok'; }
    catch (e) { window.spa.callback = { error: e.error, message: e.message }; }
    history.replaceState({}, '', location.pathname);
  }
  window.spa.authenticated = await window.client.isAuthenticated();
  window.spa.user = await window.client.getUser();
  document.getElementById('status').textContent = window.spa.authenticated
    ? 'Signed in as ' + window.spa.user.name + ' <' + window.spa.user.email + '> (createAuth0Client took ' +
      Math.round(window.spa.initMs) + ' ms)'
    : 'Signed out (createAuth0Client took ' + Math.round(window.spa.initMs) + ' ms)';
  window.spa.ready = true;
})();
</script></body></html>`;
}

function serve(origin, clientId) {
  const server = createServer((req, res) => {
    const path = new URL(req.url, origin).pathname;
    if (path === '/auth0-spa-js.production.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(SDK_BUNDLE);
    } else if (path === '/' || path === '/rt/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(pageHTML(origin, path, clientId));
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(new URL(origin).port), '127.0.0.1', () => resolve(server));
  });
}

let browser; // one profile, as one person's browser
let spaClient;
const servers = [];
let signedIn; // the browser context that signed in

before(async () => {
  // What the guide tells the reader to register for a pure SPA: a Single Page Application with its
  // callback, logout URL and Allowed Web Origins, refresh token rotation on.
  spaClient = await createClient({
    name: 'auth0-spa-js compat',
    app_type: 'spa',
    token_endpoint_auth_method: 'none',
    callbacks: [`${SPA}/`, `${SPA}/rt/`],
    allowed_logout_urls: [`${SPA}/`],
    web_origins: [SPA],
    grant_types: ['authorization_code', 'refresh_token'],
    refresh_token: { rotation_type: 'rotating', expiration_type: 'expiring' },
  });
  servers.push(await serve(SPA, spaClient.client_id), await serve(UNLISTED, spaClient.client_id));
  browser = await launchAllowingThirdPartyCookies();
});

after(async () => {
  await browser?.close();
  for (const s of servers) s.close();
});

async function load(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => window.spa && window.spa.ready, null, { timeout: 20_000 });
  return page.evaluate(() => ({
    authenticated: window.spa.authenticated, user: window.spa.user, initMs: window.spa.initMs,
    callback: window.spa.callback,
  }));
}

const getToken = (page, opts) => page.evaluate((o) => window.spa.token(o), opts);

function need() {
  assert.ok(signedIn, 'needs the sign-in of the first test, which failed');
  return signedIn;
}

test('loginWithRedirect → hosted login → handleRedirectCallback signs the user in', async () => {
  const b = browser;
  try {
    const first = await load(b.page, `${SPA}/`);
    assert.equal(first.authenticated, false);
    await b.page.evaluate(() => { window.client.loginWithRedirect(); });
    await signInOnHostedPage(b.page, userAccount, (u) => u.href.startsWith(`${SPA}/?`) || u.href === `${SPA}/`);
    await b.page.waitForFunction(() => window.spa && window.spa.ready);
    const state = await b.page.evaluate(() => ({ callback: window.spa.callback, authenticated: window.spa.authenticated, user: window.spa.user }));
    assert.equal(state.callback, 'ok');
    assert.equal(state.authenticated, true);
    assert.equal(state.user.email, userAccount.email);
    assert.equal(b.page.url(), `${SPA}/`, 'the SDK removed code and state from the address');
    const authorize = new URL(b.seen.find((u) => u.startsWith(`${issuer}authorize`)));
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authorize.searchParams.get('response_mode'), 'query');

    const { token, error, message } = await getToken(b.page);
    assert.ok(token, `getTokenSilently: ${error} ${message}`);
    const { payload } = decodeJwt(token);
    assert.equal(payload.iss, issuer);
    assert.ok([payload.aud].flat().includes(audience), `aud ${JSON.stringify(payload.aud)}`);
    assert.equal(payload.azp, spaClient.client_id);
    await shot(b.page, 'spa-1-signed-in');
    signedIn = b;
  } catch (err) {
    err.message += b.where();
    await shot(b.page, 'spa-1-failed').catch(() => {});
    throw err;
  }
});

test('getTokenSilently with the cache off goes through the iframe (web_message) and returns a fresh token', async () => {
  const { page, seen } = need();
  const before = (await getToken(page)).token;
  const from = seen.length;
  const fresh = await getToken(page, { cacheMode: 'off' });
  assert.ok(fresh.token, `getTokenSilently: ${fresh.error} ${fresh.message}`);
  assert.notEqual(fresh.token, before, 'a new token, not the cached one');
  assert.ok(decodeJwt(fresh.token).payload.iat >= decodeJwt(before).payload.iat);

  const frames = seen.slice(from).filter((u) => u.startsWith(`${issuer}authorize`)).map((u) => new URL(u));
  assert.equal(frames.length, 1, `one silent /authorize, saw ${frames.length}`);
  assert.equal(frames[0].searchParams.get('response_mode'), 'web_message');
  assert.equal(frames[0].searchParams.get('prompt'), 'none');
  const messages = await page.evaluate(() => window.spa.messages);
  const answer = messages.find((m) => m.data && m.data.type === 'authorization_response');
  assert.ok(answer, 'the frame posted an authorization_response');
  assert.equal(answer.origin, new URL(issuer).origin);
  assert.ok(answer.data.response.code && answer.data.response.state);
});

test('a reload with the default settings is signed in within a few seconds', async (t) => {
  const { page } = need();
  const state = await load(page, `${SPA}/`);
  t.diagnostic(`createAuth0Client after the reload: ${Math.round(state.initMs)} ms`);
  assert.equal(state.authenticated, true, 'signed in after the reload');
  assert.equal(state.user.email, userAccount.email);
  assert.ok(state.initMs < 5000, `createAuth0Client took ${Math.round(state.initMs)} ms`);
  await shot(page, 'spa-2-reloaded');
});

test('useRefreshTokens: sign-in, rotation on each refresh, signed in after a reload', async () => {
  const { page } = need();
  const first = await load(page, `${SPA}/rt/`);
  assert.equal(first.authenticated, false, 'its own cache starts empty');
  // The SSO session answers /authorize at once: no login page.
  await page.evaluate(() => { window.client.loginWithRedirect(); });
  await page.waitForURL(`${SPA}/rt/`);
  await page.waitForFunction(() => window.spa && window.spa.ready);
  assert.equal(await page.evaluate(() => window.spa.authenticated), true);

  const refreshToken = () => page.evaluate(() => {
    for (let i = 0; i < localStorage.length; i++) {
      const v = JSON.parse(localStorage.getItem(localStorage.key(i)));
      if (v && v.body && v.body.refresh_token) return v.body.refresh_token;
    }
    return null;
  });
  const rt1 = await refreshToken();
  assert.ok(rt1, 'offline_access gave a refresh token');
  const t1 = await getToken(page, { cacheMode: 'off' });
  assert.ok(t1.token, `refresh: ${t1.error} ${t1.message}`);
  const rt2 = await refreshToken();
  assert.ok(rt2 && rt2 !== rt1, 'rotation: a new refresh token replaced the used one');

  const reloaded = await load(page, `${SPA}/rt/`);
  assert.equal(reloaded.authenticated, true);
  assert.ok(reloaded.initMs < 5000, `createAuth0Client took ${Math.round(reloaded.initMs)} ms`);
  const t2 = await getToken(page, { cacheMode: 'off' });
  assert.ok(t2.token, `refresh after reload: ${t2.error} ${t2.message}`);
  const rt3 = await refreshToken();
  assert.ok(rt3 && rt3 !== rt2, 'rotated again after the reload');
  await shot(page, 'spa-3-refresh-tokens');

  // The rotated-out token is refused when presented again (Auth0's reuse detection).
  const reuse = await fetch(`${issuer}oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'refresh_token', client_id: spaClient.client_id, refresh_token: rt1 }),
  });
  assert.equal((await reuse.json()).error, 'invalid_grant', `status ${reuse.status}`);
});

test('a page on an origin the application does not list gets no token', async () => {
  const { page } = need(); // the browser holds a live Gatehouse session
  const state = await load(page, `${UNLISTED}/`);
  assert.equal(state.authenticated, false);
  const res = await getToken(page, { cacheMode: 'off' });
  assert.equal(res.token, undefined, 'no token');
  assert.equal(res.error, 'timeout', 'the SDK gave up waiting for an answer that never came');
  const messages = await page.evaluate(() => window.spa.messages);
  assert.deepEqual(messages.filter((m) => m.origin === new URL(issuer).origin), [],
    'Gatehouse posted nothing to the unlisted origin');
  await shot(page, 'spa-4-unlisted-origin');

  // And the token endpoint's CORS answer does not name it.
  const pre = await fetch(`${issuer}oauth/token`, {
    method: 'OPTIONS',
    headers: { origin: UNLISTED, 'access-control-request-method': 'POST' },
  });
  assert.equal(pre.headers.get('access-control-allow-origin'), null);
});

test('logout, then getTokenSilently rejects with login_required at once', async (t) => {
  const b = need();
  await load(b.page, `${SPA}/`);
  await Promise.all([
    b.page.waitForRequest((r) => r.url().startsWith(`${issuer}v2/logout`)),
    b.page.evaluate(() => {
      window.beforeLogout = true;
      window.client.logout({ logoutParams: { returnTo: location.origin + '/' } });
    }),
  ]);
  // Back on the SPA: a new page, ready.
  await b.page.waitForFunction(() => !window.beforeLogout && window.spa && window.spa.ready);
  assert.equal(b.page.url(), `${SPA}/`);
  const state = await b.page.evaluate(() => ({ authenticated: window.spa.authenticated }));
  assert.equal(state.authenticated, false);
  const res = await getToken(b.page, { cacheMode: 'off' });
  assert.equal(res.error, 'login_required', `${res.error} ${res.message}`);
  t.diagnostic(`login_required after ${Math.round(res.ms)} ms`);
  assert.ok(res.ms < 5000, `rejected after ${Math.round(res.ms)} ms`);
  await shot(b.page, 'spa-5-logged-out');
});

test('loginWithPopup: the hosted login in a popup, the answer by web_message to the opener', async () => {
  const b = need(); // signed out by the test before
  await load(b.page, `${SPA}/`);
  const requests = [];
  const onRequest = (r) => requests.push(r.url());
  b.context.on('request', onRequest);
  try {
    const [popup] = await Promise.all([
      b.context.waitForEvent('page'),
      b.page.evaluate(() => {
        window.spa.popup = window.client.loginWithPopup().then(() => 'ok', (e) => `${e.error}: ${e.message}`);
      }),
    ]);
    await popup.waitForURL((u) => u.href.startsWith(`${issuer}u/login`));
    await popup.fill('input[name="username"]', userAccount.email);
    await popup.fill('input[name="password"]', userAccount.password);
    await Promise.all([popup.waitForEvent('close'), popup.press('input[name="password"]', 'Enter')]);
  } finally {
    b.context.off('request', onRequest);
  }
  const authorize = new URL(requests.find((u) => u.startsWith(`${issuer}authorize`)));
  assert.equal(authorize.searchParams.get('response_mode'), 'web_message');
  assert.equal(await b.page.evaluate(() => window.spa.popup), 'ok', 'the SDK got the answer and closed the popup');
  assert.equal(await b.page.evaluate(() => window.client.isAuthenticated()), true);
  assert.equal((await b.page.evaluate(() => window.client.getUser())).email, userAccount.email);
  const { token } = await getToken(b.page);
  assert.ok(token, 'a token after the popup sign-in');
});
