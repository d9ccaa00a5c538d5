// auth0-spa-js 2.x with `useDpop: true`, unchanged (its UMD bundle from node_modules), in Chromium
// against Gatehouse: the SDK makes a key pair in the browser (kept in IndexedDB), signs a DPoP proof
// for each call to /oauth/token, and gets DPoP-bound tokens (token_type DPoP, cnf.jkt = its key's
// thumbprint); `createFetcher().fetchWithAuth()` calls an API protected by express-oauth2-jwt-bearer
// (its default dpop options) with the `DPoP` scheme and a fresh proof; `getTokenSilently` with the
// cache off refreshes through the refresh_token grant, bound to the same key. The same token sent as
// a bearer token, or its proof replayed, is refused by the API.
//
// Needs Gatehouse (GATEHOUSE_DEV_TENANT, NODE_EXTRA_CA_CERTS); serves the page and the API on :3240
// (one origin: the API is the page's own, as with a backend-for-frontend).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import express from 'express';
import { auth } from 'express-oauth2-jwt-bearer';
import {
  audience, createClient, decodeJwt, domain, issuer, launchChromium, newContext, shot, signInOnHostedPage,
  userAccount,
} from './tenant.js';

const require = createRequire(import.meta.url);
const SDK_BUNDLE = readFileSync(require.resolve('@auth0/auth0-spa-js/dist/auth0-spa-js.production.js'));
const SDK_VERSION = require('@auth0/auth0-spa-js/package.json').version;
const SPA = 'http://localhost:3240';

function pageHTML(clientId) {
  const config = {
    domain,
    clientId,
    useDpop: true,
    useRefreshTokens: true,
    authorizationParams: { audience, redirect_uri: `${SPA}/`, scope: 'openid profile email offline_access' },
  };
  return `<!doctype html><html><head><meta charset="utf-8"><title>SPA with DPoP</title>
<script src="/auth0-spa-js.production.js"></script></head>
<body style="font-family:sans-serif;margin:2em">
<h1>auth0-spa-js ${SDK_VERSION} with useDpop on ${SPA}</h1>
<p id="status">starting…</p><pre id="log" style="white-space:pre-wrap"></pre>
<script>
const CONFIG = ${JSON.stringify(config)};
const log = (s) => { document.getElementById('log').textContent += s + '\\n'; };
window.spa = { ready: false };
const fail = (e) => ({ error: e.error || e.name || String(e), message: e.message });
window.spa.token = async (opts) => {
  try {
    const r = await window.client.getTokenSilently({ ...opts, detailedResponse: true });
    log('getTokenSilently: ' + r.token_type + ' token');
    return r;
  } catch (e) { log('getTokenSilently: ' + e.message); return fail(e); }
};
window.spa.callApi = async () => {
  try {
    // The API's audience, named: the fetcher asks getTokenSilently for exactly what it is given.
    const res = await window.client.createFetcher({ dpopNonceId: 'api' })
      .fetchWithAuth('/api/private', {}, { audience: CONFIG.authorizationParams.audience });
    const body = await res.json();
    log('fetchWithAuth /api/private: ' + res.status + ' ' + JSON.stringify(body));
    return { status: res.status, body };
  } catch (e) { log('fetchWithAuth: ' + e.message); return fail(e); }
};
// A proof the SDK makes for one call, for the test to replay and to send with the wrong scheme.
window.spa.proof = async (accessToken) => window.client.generateDpopProof({ url: location.origin + '/api/private', method: 'GET', accessToken });
(async () => {
  window.client = await auth0.createAuth0Client(CONFIG);
  const q = new URLSearchParams(location.search);
  if (q.has('code') || q.has('error')) {
    try { await window.client.handleRedirectCallback(); window.spa.callback = 'ok'; }
    catch (e) { window.spa.callback = fail(e); }
    history.replaceState({}, '', location.pathname);
  }
  window.spa.authenticated = await window.client.isAuthenticated();
  window.spa.user = await window.client.getUser();
  document.getElementById('status').textContent = window.spa.authenticated
    ? 'Signed in as ' + window.spa.user.name + ' <' + window.spa.user.email + '>, tokens bound to this browser\\'s key (DPoP)'
    : 'Signed out';
  window.spa.ready = true;
})();
</script></body></html>`;
}

let server;
let spaClient;
let browser;
let b;

before(async () => {
  // A Single Page Application as the guide registers one, with refresh token rotation.
  spaClient = await createClient({
    name: 'auth0-spa-js DPoP compat',
    app_type: 'spa',
    token_endpoint_auth_method: 'none',
    callbacks: [`${SPA}/`],
    allowed_logout_urls: [`${SPA}/`],
    web_origins: [SPA],
    grant_types: ['authorization_code', 'refresh_token'],
    refresh_token: { rotation_type: 'rotating', expiration_type: 'expiring' },
  });
  const app = express();
  app.get('/auth0-spa-js.production.js', (req, res) => res.type('text/javascript').send(SDK_BUNDLE));
  app.get('/', (req, res) => res.type('html').send(pageHTML(spaClient.client_id)));
  // The API: express-oauth2-jwt-bearer unchanged, with its default dpop options (enabled, not
  // required: a DPoP-bound token needs its proof, and a bearer token stays a bearer token).
  app.use('/api/private', auth({ issuerBaseURL: issuer, audience }), (req, res) =>
    res.json({ sub: req.auth.payload.sub, jkt: req.auth.payload.cnf?.jkt ?? null }));
  app.use((err, req, res, next) => res.status(err.status || 500).set(err.headers || {}).json({ error: err.code || 'error' }));
  await new Promise((resolve, reject) => {
    server = app.listen(3240, '127.0.0.1', resolve);
    server.once('error', reject);
  });
  browser = await launchChromium();
  b = await newContext(browser);
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function load(url) {
  await b.page.goto(url);
  await b.page.waitForFunction(() => window.spa && window.spa.ready, null, { timeout: 20_000 });
  return b.page.evaluate(() => ({ authenticated: window.spa.authenticated, user: window.spa.user, callback: window.spa.callback }));
}

async function step(name, fn) {
  try {
    await fn();
  } catch (err) {
    err.message += b.where();
    await shot(b.page, `spa-dpop-${name}-failed`).catch(() => {});
    throw err;
  }
}

let first; // the first token set

test('useDpop: sign-in through the hosted login gives DPoP-bound tokens', () => step('login', async () => {
  const state = await load(`${SPA}/`);
  assert.equal(state.authenticated, false);
  await Promise.all([
    b.page.waitForURL((u) => u.href.startsWith(`${issuer}u/login`)),
    b.page.evaluate(() => window.client.loginWithRedirect()),
  ]);
  await signInOnHostedPage(b.page, userAccount, (u) => u.href.startsWith(`${SPA}/?`) || u.href === `${SPA}/`);
  await b.page.waitForFunction(() => window.spa && window.spa.ready, null, { timeout: 20_000 });
  const after = await b.page.evaluate(() => ({ authenticated: window.spa.authenticated, user: window.spa.user, callback: window.spa.callback }));
  assert.equal(after.callback, 'ok', JSON.stringify(after.callback));
  assert.equal(after.authenticated, true);
  assert.equal(after.user.email, userAccount.email);

  // The code exchange carried a proof: Gatehouse answered token_type DPoP and bound the token.
  const tokenCall = b.seen.filter((u) => u === `${issuer}oauth/token`);
  assert.ok(tokenCall.length >= 1, 'the SDK called /oauth/token');
  first = await b.page.evaluate(() => window.spa.token());
  assert.equal(first.token_type, 'DPoP', JSON.stringify(first));
  const at = decodeJwt(first.access_token).payload;
  assert.ok([at.aud].flat().includes(audience), `aud ${JSON.stringify(at.aud)}`);
  assert.match(at.cnf?.jkt ?? '', /^[A-Za-z0-9_-]{43}$/, `cnf ${JSON.stringify(at.cnf)}`);
  await shot(b.page, 'spa-dpop-1-signed-in');
}));

test('fetchWithAuth calls the DPoP-protected API with the DPoP scheme and a fresh proof', () => step('api', async () => {
  const r = await b.page.evaluate(() => window.spa.callApi());
  assert.equal(r.status, 200, JSON.stringify(r));
  assert.equal(r.body.jkt, decodeJwt(first.access_token).payload.cnf.jkt);
  assert.equal(r.body.sub, decodeJwt(first.access_token).payload.sub);
  // Twice: each call signs a new proof (a proof is single use at a careful API).
  assert.equal((await b.page.evaluate(() => window.spa.callApi())).status, 200);

  // The same token as a bearer token, or with no proof, is refused by the API.
  const asBearer = await fetch(`${SPA}/api/private`, { headers: { authorization: `Bearer ${first.access_token}` } });
  assert.equal(asBearer.status, 401);
  const noProof = await fetch(`${SPA}/api/private`, { headers: { authorization: `DPoP ${first.access_token}` } });
  assert.ok([400, 401].includes(noProof.status), `no proof: ${noProof.status}`);
  // A proof made by the browser's key works from anywhere only with its token, for its URL and method.
  const proof = await b.page.evaluate((t) => window.spa.proof(t), first.access_token);
  const ok = await fetch(`${SPA}/api/private`, { headers: { authorization: `DPoP ${first.access_token}`, dpop: proof } });
  assert.equal(ok.status, 200);
  const other = await fetch(`${SPA}/api/private`, { method: 'POST', headers: { authorization: `DPoP ${first.access_token}`, dpop: proof } });
  assert.equal(other.status, 400, 'a proof for GET is not one for POST');
  assert.match(other.headers.get('www-authenticate') ?? '', /invalid_dpop_proof/);
}));

test('getTokenSilently with the cache off refreshes with a proof; the new token keeps the key', () => step('refresh', async () => {
  await new Promise((resolve) => setTimeout(resolve, 1100)); // a new second, so a new token differs
  const refreshed = await b.page.evaluate(() => window.spa.token({ cacheMode: 'off' }));
  assert.equal(refreshed.token_type, 'DPoP', JSON.stringify(refreshed));
  assert.notEqual(refreshed.access_token, first.access_token, 'a new access token');
  assert.equal(decodeJwt(refreshed.access_token).payload.cnf.jkt, decodeJwt(first.access_token).payload.cnf.jkt);
  assert.ok(b.seen.filter((u) => u === `${issuer}oauth/token`).length >= 2, 'the refresh went to /oauth/token');
  assert.equal((await b.page.evaluate(() => window.spa.callApi())).status, 200);
  await shot(b.page, 'spa-dpop-2-refreshed');
}));
