// express-openid-connect 3.x, unchanged, against Gatehouse, in Chromium: once with its default
// settings (response_type=id_token, response_mode=form_post, a nonce: the implicit grant, which
// the application enables) and once with `authorizationParams.response_type: 'code'` (with an
// audience and offline_access). Each: sign-in through requiresAuth, req.oidc.user, logout through
// Gatehouse's end_session_endpoint; the code flow also refreshes its access token.
//
// Needs Gatehouse (GATEHOUSE_DEV_TENANT, NODE_EXTRA_CA_CERTS); serves the apps on :3103 (defaults)
// and :3104 (code).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import express from 'express';
import eoc from 'express-openid-connect';
import {
  audience, createClient, decodeJwt, issuer, launchChromium, newContext, shot, signInOnHostedPage, userAccount,
} from './tenant.js';

const { auth, requiresAuth } = eoc;
const DEFAULTS = 'http://localhost:3103';
const CODE = 'http://localhost:3104';
const NO_IMPLICIT = 'http://localhost:3105';

let browser;
let client;
let codeOnlyClient;
const servers = [];

// The app of the SDK's README: auth() in front, a public home page, a profile behind requiresAuth.
// /token and /refresh show the code flow's tokens (the test reads them).
function app(baseURL, extra, registered = client) {
  const a = express();
  a.use(auth({
    issuerBaseURL: issuer,
    baseURL,
    clientID: registered.client_id,
    secret: randomBytes(32).toString('base64url'),
    authRequired: false,
    idpLogout: true,
    ...extra,
  }));
  const page = (title, body) => `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>
<body style="font-family:sans-serif;margin:2em"><h1>${title}</h1>${body}</body></html>`;
  a.get('/', (req, res) => {
    res.send(page(`express-openid-connect on ${baseURL}`,
      `<p id="status">${req.oidc.isAuthenticated() ? `Signed in as ${req.oidc.user.name}` : 'Signed out'}</p>`));
  });
  a.get('/profile', requiresAuth(), (req, res) => {
    res.send(page('Profile (requiresAuth)', `<pre id="user" style="white-space:pre-wrap">${JSON.stringify(req.oidc.user, null, 2)
      .replace(/</g, '&lt;')}</pre>`));
  });
  a.get('/token', requiresAuth(), (req, res) => {
    res.json({ access_token: req.oidc.accessToken?.access_token, refresh_token: req.oidc.refreshToken });
  });
  a.get('/refresh', requiresAuth(), async (req, res, next) => {
    try {
      const fresh = await req.oidc.accessToken.refresh();
      res.json({ access_token: fresh.access_token, refresh_token: req.oidc.refreshToken });
    } catch (err) {
      next(err);
    }
  });
  // An error handler as the SDK's docs suggest: the authorization server's error and description.
  a.use((err, req, res, next) => { // eslint-disable-line no-unused-vars
    res.status(err.status || 500).send(page('Sign-in failed',
      `<p id="error">${String(err.error)}</p><p id="error-description">${String(err.error_description)
        .replace(/</g, '&lt;')}</p>`));
  });
  return new Promise((resolve, reject) => {
    const s = a.listen(Number(new URL(baseURL).port), '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

before(async () => {
  // A Regular Web Application that enables the implicit grant, as express-openid-connect's
  // default (id_token + form_post) needs.
  client = await createClient({
    name: 'express-openid-connect compat',
    app_type: 'regular_web',
    callbacks: [`${DEFAULTS}/callback`, `${CODE}/callback`],
    allowed_logout_urls: [`${DEFAULTS}`, `${DEFAULTS}/`, `${CODE}`, `${CODE}/`],
    grant_types: ['authorization_code', 'implicit', 'refresh_token'],
  });
  // The same defaults against an application that does not enable implicit.
  codeOnlyClient = await createClient({
    name: 'express-openid-connect compat (no implicit)',
    app_type: 'regular_web',
    callbacks: [`${NO_IMPLICIT}/callback`],
    allowed_logout_urls: [NO_IMPLICIT],
    grant_types: ['authorization_code', 'refresh_token'],
  });
  servers.push(await app(DEFAULTS, {}));
  servers.push(await app(NO_IMPLICIT, {}, codeOnlyClient));
  servers.push(await app(CODE, {
    clientSecret: client.client_secret,
    authorizationParams: { response_type: 'code', audience, scope: 'openid profile email offline_access' },
  }));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const s of servers) s.close();
});

// signIn opens /profile (requiresAuth), signs in on the hosted page and returns the profile shown.
async function signIn(b, base) {
  await b.page.goto(`${base}/profile`);
  await signInOnHostedPage(b.page, userAccount, `${base}/profile`);
  return JSON.parse(await b.page.textContent('#user'));
}

async function logout(b, base) {
  await b.page.goto(`${base}/logout`);
  await b.page.waitForURL(`${base}/`);
  assert.ok(b.seen.some((u) => u.startsWith(`${issuer}oidc/logout`)), 'went through Gatehouse\'s end_session_endpoint');
  assert.equal((await b.page.textContent('#status')).trim(), 'Signed out');
  // Gatehouse's session ended too: requiresAuth lands on the hosted login page again.
  await b.page.goto(`${base}/profile`);
  await b.page.waitForURL((u) => u.href.startsWith(`${issuer}u/login`));
}

async function withBrowser(name, fn) {
  const b = await newContext(browser);
  try {
    await fn(b);
  } catch (err) {
    err.message += b.where();
    await shot(b.page, `${name}-failed`).catch(() => {});
    throw err;
  } finally {
    await b.close();
  }
}

test('default settings (id_token + form_post): sign-in, req.oidc.user, requiresAuth, logout', async () => {
  await withBrowser('express-oidc-defaults', async (b) => {
    const anon = await fetch(`${DEFAULTS}/profile`, { redirect: 'manual' });
    assert.equal(anon.status, 302, 'requiresAuth sends an anonymous visitor to sign in');
    const authorize = new URL(anon.headers.get('location'));
    assert.equal(`${authorize.origin}${authorize.pathname}`, `${issuer}authorize`);
    assert.equal(authorize.searchParams.get('response_type'), 'id_token');
    assert.equal(authorize.searchParams.get('response_mode'), 'form_post');
    assert.ok(authorize.searchParams.get('nonce'));

    const user = await signIn(b, DEFAULTS);
    assert.equal(user.email, userAccount.email);
    assert.ok(user.sub && user.name);
    assert.ok(b.seen.some((u) => u === `${DEFAULTS}/callback`), 'the ID token came by form_post to /callback');
    await shot(b.page, 'express-oidc-1-defaults-profile');
    await b.page.goto(`${DEFAULTS}/`);
    assert.equal((await b.page.textContent('#status')).trim(), `Signed in as ${user.name}`);

    await logout(b, DEFAULTS);
  });
});

test("response_type 'code': sign-in, req.oidc.user, access token for the API, refresh, logout", async () => {
  await withBrowser('express-oidc-code', async (b) => {
    const user = await signIn(b, CODE);
    assert.equal(user.email, userAccount.email);
    await shot(b.page, 'express-oidc-2-code-profile');

    const tokens = async (path) => {
      const res = await b.context.request.get(`${CODE}${path}`, { maxRedirects: 0 });
      assert.equal(res.status(), 200, `${path}: ${res.status()} ${await res.text()}`);
      return res.json();
    };
    const first = await tokens('/token');
    assert.ok(first.refresh_token, 'offline_access gave a refresh token');
    const at = decodeJwt(first.access_token).payload;
    assert.ok([at.aud].flat().includes(audience));
    assert.equal(at.azp, client.client_id);

    const refreshed = await tokens('/refresh');
    assert.ok(refreshed.access_token && refreshed.access_token !== first.access_token, 'a new access token');
    assert.ok([decodeJwt(refreshed.access_token).payload.aud].flat().includes(audience));
    const kept = await tokens('/token');
    assert.equal(kept.access_token, refreshed.access_token, 'the SDK stored the refreshed token in its session');

    await logout(b, CODE);
    await shot(b.page, 'express-oidc-3-logged-out');
  });
});

test('default settings against an application without implicit: the SDK receives a clear error', async () => {
  await withBrowser('express-oidc-no-implicit', async (b) => {
    // Gatehouse refuses before any sign-in and form-posts the error to the callback, where the SDK
    // raises it (400, with the error and its description) to the app's error handler.
    const [callback] = await Promise.all([
      b.page.waitForResponse((r) => r.url() === `${NO_IMPLICIT}/callback` && r.request().method() === 'POST'),
      b.page.goto(`${NO_IMPLICIT}/profile`),
    ]);
    assert.equal(callback.status(), 400);
    assert.equal(b.seen.filter((u) => u.startsWith(`${issuer}u/login`)).length, 0, 'no login page');
    assert.equal((await b.page.textContent('#error')).trim(), 'unauthorized_client');
    assert.match(await b.page.textContent('#error-description'), /enable the implicit grant type/);
    await shot(b.page, 'express-oidc-4-no-implicit');
  });
});
