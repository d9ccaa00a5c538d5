// @auth0/nextjs-auth0 v4, unchanged, in a small App Router app (tests/compat/nextapp4, built once
// by run.sh with `next build`), in Chromium against Gatehouse: the SDK's middleware and its routes
// (/auth/login, /auth/callback, /auth/logout, /auth/access-token), auth0.getSession() in a Server
// Component, getAccessToken() in a Route Handler with a forced refresh (rotation), logout through
// Gatehouse's end_session_endpoint, and back-channel logout: the SDK's /auth/backchannel-logout
// route ends the app's session when the user logs out at Gatehouse itself or an administrator
// ends the Gatehouse session (DELETE /api/v2/sessions/{id}). The guide's v3 app
// (tests/compat/nextapp) stays beside it.
//
// Registers its own Regular Web Application (with its back-channel logout URL) through the
// Management API, runs the session store back-channel logout needs (a key-value service on :3230,
// standing in for the Redis the SDK's docs suggest), then starts `next start` on :3110 with the
// SDK's v4 environment (APP_BASE_URL, AUTH0_DOMAIN, ...) and stops both at the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  SHOTS, audience, createClient, decodeJwt, issuer, launchChromium, management, newContext, shot,
  signInOnHostedPage, userAccount,
} from './tenant.js';

const APP = 'http://localhost:3110';
const STORE = 'http://127.0.0.1:3230';

// The app's session store (nextapp4/lib/auth0.ts): sessions by id, and the logout tokens' claims the
// SDK passed to deleteByLogoutToken, which deletes every session with that sid (or, without a sid,
// that sub), as the SDK's docs ask of a store.
// A session whose sid was logged out stays out: the SDK re-saves a rolling session on each request,
// and a request read before the logout would otherwise write it back after.
const sessions = new Map();
const logoutCalls = [];
const loggedOutSids = new Set();
const storeServer = createServer(async (req, res) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  const url = new URL(req.url, STORE);
  const id = url.pathname.startsWith('/sessions/') ? decodeURIComponent(url.pathname.slice('/sessions/'.length)) : null;
  if (id && req.method === 'GET') {
    if (!sessions.has(id)) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(sessions.get(id));
  }
  if (id && req.method === 'PUT') {
    if (!loggedOutSids.has(JSON.parse(body).internal?.sid)) sessions.set(id, body);
    return res.writeHead(204).end();
  }
  if (id && req.method === 'DELETE') { sessions.delete(id); return res.writeHead(204).end(); }
  if (url.pathname === '/logout' && req.method === 'POST') {
    const claims = JSON.parse(body);
    logoutCalls.push(claims);
    if (claims.sid) loggedOutSids.add(claims.sid);
    for (const [key, raw] of sessions) {
      const s = JSON.parse(raw);
      if (claims.sid ? s.internal?.sid === claims.sid : s.user?.sub === claims.sub) sessions.delete(key);
    }
    return res.writeHead(204).end();
  }
  res.writeHead(404).end();
});

// storedSession is the one session in the app's store (the SDK keeps Gatehouse's sid in it).
function storedSession() {
  const list = [...sessions.values()].map((raw) => JSON.parse(raw));
  assert.equal(list.length, 1, `sessions in the app's store: ${list.length}`);
  return list[0];
}
const APP_DIR = fileURLToPath(new URL('../nextapp4/', import.meta.url));

let client;
let next;
let browser;
let b;

async function waitUp(url, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (next.exitCode !== null) throw new Error(`next start exited (${next.exitCode}); see ${SHOTS}/next4-start.log`);
    try {
      await fetch(url, { redirect: 'manual' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

before(async () => {
  // What the SDK's README asks for: a Regular Web Application with /auth/callback and the base URL
  // as a logout URL; refresh tokens rotate.
  client = await createClient({
    name: 'nextjs-auth0 v4 compat',
    app_type: 'regular_web',
    callbacks: [`${APP}/auth/callback`],
    allowed_logout_urls: [APP],
    web_origins: [APP],
    grant_types: ['authorization_code', 'refresh_token'],
    refresh_token: { rotation_type: 'rotating', expiration_type: 'expiring' },
    oidc_logout: { backchannel_logout_urls: [`${APP}/auth/backchannel-logout`] },
  });
  await new Promise((resolve, reject) => {
    storeServer.once('error', reject);
    storeServer.listen(3230, '127.0.0.1', resolve);
  });
  const log = openSync(`${SHOTS}/next4-start.log`, 'a');
  next = spawn(process.execPath, ['node_modules/next/dist/bin/next', 'start', '-p', '3110', '-H', 'localhost'], {
    cwd: APP_DIR,
    detached: true, // its own process group, stopped as a whole in after()
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      AUTH0_DOMAIN: new URL(issuer).origin, // see nextapp4/lib/auth0.ts
      AUTH0_CLIENT_ID: client.client_id,
      AUTH0_CLIENT_SECRET: client.client_secret,
      AUTH0_SECRET: randomBytes(32).toString('hex'),
      APP_BASE_URL: APP,
      AUTH0_AUDIENCE: audience,
      SESSION_STORE_URL: STORE,
    },
  });
  await waitUp(`${APP}/`, 60_000);
  browser = await launchChromium();
  b = await newContext(browser);
});

// stopNext ends `next start` and its children (its own process group): after the tests, and when
// this file is stopped from outside (a timeout), so that no server outlives the run.
function stopNext() {
  if (next && next.exitCode === null) {
    try { process.kill(-next.pid, 'SIGTERM'); } catch { /* already gone */ }
  }
}
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => { stopNext(); process.exit(1); });
}

after(async () => {
  await browser?.close();
  stopNext();
  storeServer.close();
});

async function step(name, fn) {
  try {
    await fn();
  } catch (err) {
    err.message += b.where();
    await shot(b.page, `nextjs4-${name}-failed`).catch(() => {});
    throw err;
  }
}

async function token(refresh) {
  const res = await b.context.request.get(`${APP}/api/token${refresh ? '?refresh=1' : ''}`, { maxRedirects: 0 });
  const body = await res.json();
  assert.equal(res.status(), 200, JSON.stringify(body));
  return body;
}

test('/auth/login → hosted login → /auth/callback; getSession() shows the user', () => step('login', async () => {
  const res = await fetch(`${APP}/auth/login`, { redirect: 'manual' });
  assert.ok([302, 307].includes(res.status), `/auth/login answered ${res.status}`);
  const authorize = new URL(res.headers.get('location'));
  assert.equal(`${authorize.origin}${authorize.pathname}`, `${issuer}authorize`);
  assert.equal(authorize.searchParams.get('client_id'), client.client_id);
  assert.equal(authorize.searchParams.get('redirect_uri'), `${APP}/auth/callback`);
  assert.equal(authorize.searchParams.get('audience'), audience);
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');

  await b.page.goto(`${APP}/`);
  assert.equal((await b.page.textContent('#status')).trim(), 'Signed out');
  await b.page.click('#login');
  await signInOnHostedPage(b.page, userAccount, `${APP}/`);
  assert.ok(b.seen.some((u) => u.startsWith(`${APP}/auth/callback?`)), 'came back through /auth/callback');
  assert.match((await b.page.textContent('#status')).trim(), /^Welcome, .+!$/);
  assert.equal((await b.page.textContent('#email')).trim(), userAccount.email);
  await shot(b.page, 'nextjs4-1-signed-in');

  const profile = await b.context.request.get(`${APP}/auth/profile`);
  assert.equal(profile.status(), 200);
  assert.equal((await profile.json()).email, userAccount.email);
}));

test('getAccessToken() returns the API token, and a forced refresh rotates it', () => step('refresh', async () => {
  const first = await token(false);
  const at = decodeJwt(first.token).payload;
  assert.ok([at.aud].flat().includes(audience), `aud ${JSON.stringify(at.aud)}`);
  assert.equal(at.azp, client.client_id);
  assert.equal((await token(false)).token, first.token, 'a valid token is reused');

  await new Promise((resolve) => setTimeout(resolve, 1100)); // a new second: see below
  const refreshed = await token(true);
  assert.notEqual(refreshed.token, first.token, 'refresh: a new access token');
  assert.ok(refreshed.expiresAt >= first.expiresAt);
  assert.equal((await token(false)).token, refreshed.token, 'the SDK kept the refreshed token set in its session');
  // A second forced refresh works only if the first stored the rotated refresh token (a reused one
  // would be refused and end the family). Access tokens carry no jti, so two issued within the same
  // second for the same claims are byte for byte the same: step into the next second first.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const again = await token(true);
  assert.notEqual(again.token, refreshed.token);

  // The SDK's own route answers the same session.
  const route = await b.context.request.get(`${APP}/auth/access-token`);
  assert.equal(route.status(), 200);
  assert.equal((await route.json()).token, again.token);
}));

test('/auth/logout ends both sessions through the end_session_endpoint', () => step('logout', async () => {
  await b.page.goto(`${APP}/`);
  await Promise.all([
    b.page.waitForRequest((r) => r.url().startsWith(`${issuer}oidc/logout`)),
    b.page.click('#logout'),
  ]);
  await b.page.waitForSelector('#login'); // the signed-out home page
  assert.equal(b.page.url(), `${APP}/`);
  assert.equal((await b.page.textContent('#status')).trim(), 'Signed out');
  const res = await b.context.request.get(`${APP}/api/token`);
  assert.equal(res.status(), 401, 'no session, no token');
  await shot(b.page, 'nextjs4-2-logged-out');
  // The page behind getSession() sends the visitor to /auth/login, and Gatehouse's session ended
  // too: the hosted login page shows again; signing in comes back to the page (returnTo).
  await b.page.goto(`${APP}/profile`);
  await signInOnHostedPage(b.page, userAccount, `${APP}/profile`);
  assert.equal(JSON.parse(await b.page.textContent('#user')).email, userAccount.email);
}));

// signedInApp signs the user in to the app and returns the session the app stored.
async function signedInApp() {
  await b.page.goto(`${APP}/`);
  if ((await b.page.textContent('#status')).trim() === 'Signed out') {
    await b.page.click('#login');
    await signInOnHostedPage(b.page, userAccount, `${APP}/`);
  }
  assert.match((await b.page.textContent('#status')).trim(), /^Welcome, .+!$/);
  return storedSession();
}

// waitSignedOut polls the app until its session is gone (the logout token is delivered by a worker).
async function waitSignedOut() {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await b.context.request.get(`${APP}/api/token`);
    if (res.status() === 401) return;
    assert.ok(Date.now() < deadline, 'the app session outlived the Gatehouse session: no back-channel logout');
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('back-channel logout: a logout at Gatehouse ends the app\'s session through /auth/backchannel-logout', () => step('bcl-logout', async () => {
  const session = await signedInApp();
  assert.ok(session.internal?.sid, 'the SDK keeps the sid of the ID token');
  const idToken = decodeJwt(session.tokenSet.idToken).payload;
  assert.equal(idToken.sid, session.internal.sid);

  // A forged logout token for this very session (Gatehouse's key id, the right claims, a signature
  // that is not Gatehouse's) is refused by the SDK and ends nothing. (The SDK answers a token that
  // fails verification with 500, as jose's error is not caught; what matters is that it is refused.)
  const [header, , signature] = session.tokenSet.idToken.split('.');
  const claims = Buffer.from(JSON.stringify({
    iss: issuer, aud: client.client_id, iat: Math.floor(Date.now() / 1000), jti: 'forged', sid: session.internal.sid,
    events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
  })).toString('base64url');
  const forged = await fetch(`${APP}/auth/backchannel-logout`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: `${header}.${claims}.${signature}` }),
  });
  assert.ok(forged.status >= 400, `forged logout token: ${forged.status}`);
  assert.equal((await b.context.request.get(`${APP}/api/token`)).status(), 200, 'still signed in');
  assert.equal(storedSession().internal.sid, session.internal.sid, 'the session is still in the store');

  // The user logs out at Gatehouse directly, not through the app: the app hears it.
  const calls = logoutCalls.length;
  await b.page.goto(`${issuer}v2/logout?client_id=${client.client_id}`);
  await waitSignedOut();
  assert.equal(logoutCalls.length, calls + 1);
  assert.deepEqual({ sid: logoutCalls.at(-1).sid, sub: logoutCalls.at(-1).sub, iss: logoutCalls.at(-1).iss },
    { sid: session.internal.sid, sub: session.user.sub, iss: issuer });
  await b.page.goto(`${APP}/`);
  assert.equal((await b.page.textContent('#status')).trim(), 'Signed out');
  await shot(b.page, 'nextjs4-3-backchannel-logged-out');
}));

test('back-channel logout: DELETE /api/v2/sessions/{id} ends the app\'s session', () => step('bcl-revoke', async () => {
  const session = await signedInApp();
  const { status } = await management('DELETE', `sessions/${encodeURIComponent(session.internal.sid)}`);
  assert.equal(status, 202);
  await waitSignedOut();
  assert.equal(logoutCalls.at(-1).sid, session.internal.sid);
  // Gatehouse's own session ended too: signing in again shows the hosted login page.
  await b.page.goto(`${APP}/profile`);
  await signInOnHostedPage(b.page, userAccount, `${APP}/profile`);
  assert.equal(JSON.parse(await b.page.textContent('#user')).email, userAccount.email);
}));
