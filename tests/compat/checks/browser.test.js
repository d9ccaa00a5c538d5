// The seed guide's Next.js app (nextjs-auth0 v3) and Express API, driven in Chromium against Gatehouse:
// sign-in on the hosted page, session cookie, role-gated middleware, access tokens on the step-7 API,
// forced refresh with rotation and reuse refusal, and logout through /v2/logout.
//
// Needs run.sh's processes: Gatehouse (dev tenant), `next start` on :3000, the Express API on :3001.
// The tests in this file run in order and share the browser contexts they sign in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { Issuer } from 'openid-client';
import {
  API, APP, adminAccount, audience, bearer, decodeJwt, issuer, issuerBaseURL, tamper, tenant, userAccount,
} from './env.js';

const ROLES_CLAIM = 'https://yourapp.com/roles';
const NAV_TIMEOUT = 20_000;

let browser;
const sessions = {};

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.GATEHOUSE_TEST_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
    timeout: NAV_TIMEOUT,
  });
});

after(async () => {
  await browser?.close();
});

// A fresh browser (own cookies for the app and for Gatehouse) signs in through `loginPath`.
async function signIn(account, loginPath = '/api/auth/login') {
  // The dev CA is not in Chromium's store; Node trusts it through NODE_EXTRA_CA_CERTS.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  context.setDefaultTimeout(NAV_TIMEOUT);
  const page = await context.newPage();
  const seen = [];
  const consoleErrors = [];
  page.on('request', (r) => { if (r.isNavigationRequest()) seen.push(r.url()); });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });

  try {
    await page.goto(`${APP}${loginPath}`);
    await page.waitForURL((u) => u.href.startsWith(`${issuer}u/login`));
    await page.fill('input[name="username"]', account.email);
    await page.fill('input[name="password"]', account.password);
    await Promise.all([
      page.waitForURL(`${APP}/dashboard`),
      page.press('input[name="password"]', 'Enter'),
    ]);
  } catch (err) {
    // Say where the browser got stuck and what it complained about (CSP violations land in the console).
    err.message += `\n  at ${page.url()}\n  navigations: ${seen.join(' -> ')}` +
      `\n  browser console errors: ${consoleErrors.join(' | ') || 'none'}`;
    await context.close();
    throw err;
  }
  return { context, page, seen };
}

// Tests after a sign-in use its browser; say so plainly when that sign-in failed.
function need(name) {
  assert.ok(sessions[name], `needs the "${name}" sign-in of an earlier test, which failed`);
  return sessions[name];
}

async function appJson(context, path) {
  const res = await context.request.get(`${APP}${path}`, { maxRedirects: 0 });
  return { status: res.status(), body: res.status() === 200 ? await res.json() : await res.text() };
}

test('login redirects to /authorize with PKCE, state, nonce, audience and the guide scope', async () => {
  const res = await fetch(`${APP}/api/auth/login`, { redirect: 'manual' });
  assert.equal(res.status, 302);
  const loc = new URL(res.headers.get('location'));
  assert.equal(`${loc.origin}${loc.pathname}`, `${issuer}authorize`);
  const q = loc.searchParams;
  assert.equal(q.get('client_id'), tenant.web_app.client_id);
  assert.equal(q.get('response_type'), 'code');
  assert.equal(q.get('redirect_uri'), tenant.web_app.callback);
  assert.equal(q.get('scope'), 'openid profile email offline_access');
  assert.equal(q.get('audience'), audience);
  assert.equal(q.get('code_challenge_method'), 'S256');
  assert.ok(q.get('code_challenge') && q.get('state') && q.get('nonce'));

  // Gatehouse answers the SDK's request by showing its hosted sign-in page.
  const authz = await fetch(loc, { redirect: 'manual' });
  assert.ok([200, 302, 303].includes(authz.status), `/authorize answered ${authz.status}`);
  if (authz.status !== 200) {
    assert.match(new URL(authz.headers.get('location'), issuer).pathname, /^\/u\/login/);
  }
});

test('a modified callback URL is refused (guide: "Test callback URL validation")', async () => {
  const res = await fetch(`${APP}/api/auth/login`, { redirect: 'manual' });
  const tampered = new URL(res.headers.get('location'));
  for (const cb of ['https://attacker.example/api/auth/callback', `${tenant.web_app.callback}/`,
    tenant.web_app.callback.replace('http:', 'https:')]) {
    tampered.searchParams.set('redirect_uri', cb);
    const authz = await fetch(tampered, { redirect: 'manual' });
    assert.equal(authz.status, 400, `redirect_uri ${cb} answered ${authz.status}`);
    assert.equal(authz.headers.get('location'), null, 'never redirects to an unregistered callback');
  }
});

test('a user signs in on the hosted page and lands on /dashboard with their name', async () => {
  sessions.user = await signIn(userAccount);
  const { page, seen } = sessions.user;
  assert.ok(seen.some((u) => u.startsWith(`${issuer}authorize`)), 'went through /authorize');
  assert.ok(seen.some((u) => u.startsWith(`${APP}/api/auth/callback`)), 'came back through the callback');

  const me = await appJson(need('user').context, '/api/compat/tokens');
  assert.equal(me.status, 200, String(me.body));
  assert.equal(me.body.user.email, userAccount.email);
  assert.ok(me.body.user.name, 'the ID token carries a name');
  assert.equal((await page.textContent('h1')).trim(), `Welcome, ${me.body.user.name}`);
  assert.match(await page.textContent('body'), new RegExp(`Email: ${userAccount.email.replace('.', '\\.')}`));
  assert.deepEqual(me.body.user[ROLES_CLAIM], ['user'], "the guide's Action put the roles in the ID token");
});

test('the session cookie is HttpOnly and no token is in web storage', async () => {
  const { context, page } = need('user');
  const cookies = await context.cookies(APP);
  const session = cookies.find((c) => c.name === 'appSession');
  assert.ok(session, `appSession among ${cookies.map((c) => c.name).join(', ')}`);
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Lax');
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
  assert.doesNotMatch(stored, /eyJ/, 'no JWT in localStorage/sessionStorage');
});

test('the protected API route answers the signed-in user and refuses anonymous callers', async () => {
  const own = await appJson(need('user').context, '/api/protected/data');
  assert.equal(own.status, 200);
  assert.deepEqual(own.body, [], 'the in-memory store holds nothing for this user');

  const anon = await fetch(`${APP}/api/protected/data`);
  assert.equal(anon.status, 401);
});

test('/admin is denied to the user role', async () => {
  const { page } = need('user');
  await page.goto(`${APP}/admin`);
  assert.equal(page.url(), `${APP}/unauthorized`);
});

test("the SDK's access token passes the Express API; none or a tampered one is refused", async () => {
  const me = await appJson(need('user').context, '/api/compat/tokens');
  const token = me.body.accessToken;
  const { payload } = decodeJwt(token);
  assert.equal(payload.iss, issuer);
  assert.ok([].concat(payload.aud).includes(audience));
  assert.deepEqual(payload[ROLES_CLAIM], ['user'], "the guide's Action put the roles in the access token");

  const ok = await fetch(`${API}/api/private`, bearer(token));
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { message: 'Protected endpoint', userId: me.body.user.sub });

  assert.equal((await fetch(`${API}/api/private`)).status, 401);
  assert.equal((await fetch(`${API}/api/private`, bearer(tamper(token)))).status, 401);
  assert.equal((await fetch(`${API}/api/admin`, bearer(token))).status, 403, 'no admin:read');
});

test('step 10: a forced refresh rotates the refresh token; reusing the old one is refused and revokes the family', async () => {
  const { context } = need('user');
  const before = await appJson(context, '/api/compat/tokens');
  const oldRefresh = before.body.refreshToken;
  assert.ok(oldRefresh, 'offline_access gave the session a refresh token');

  const data = await appJson(context, '/api/data');
  assert.equal(data.status, 200, String(data.body));
  assert.deepEqual(data.body, { message: 'Protected endpoint', userId: before.body.user.sub });

  const afterRefresh = await appJson(context, '/api/compat/tokens');
  assert.ok(afterRefresh.body.refreshToken, 'the refreshed session keeps a refresh token');
  assert.notEqual(afterRefresh.body.refreshToken, oldRefresh, 'rotation issued a new refresh token');
  assert.notEqual(afterRefresh.body.accessToken, before.body.accessToken);

  const gatehouse = await Issuer.discover(issuerBaseURL);
  assert.equal(gatehouse.issuer, issuer);
  const client = new gatehouse.Client({
    client_id: tenant.web_app.client_id,
    client_secret: tenant.web_app.client_secret,
    token_endpoint_auth_method: 'client_secret_post',
  });
  const invalidGrant = (err) => {
    assert.equal(err.error, 'invalid_grant', `${err.name}: ${err.message}`);
    return true;
  };
  await assert.rejects(client.refresh(oldRefresh), invalidGrant);
  // Reuse detection (spec §2.6) revokes the whole family, the session's newest token included.
  await assert.rejects(client.refresh(afterRefresh.body.refreshToken), invalidGrant);
});

test('logout goes through /v2/logout back to / and /dashboard asks for sign-in again', async () => {
  const { context, page, seen } = need('user');
  seen.length = 0;
  await page.goto(`${APP}/api/auth/logout`);
  await page.waitForURL(`${APP}/`);
  const logout = seen.find((u) => u.startsWith(`${issuer}v2/logout`));
  assert.ok(logout, `went through /v2/logout: ${seen.join(' -> ')}`);
  const q = new URL(logout).searchParams;
  assert.equal(q.get('client_id'), tenant.web_app.client_id);
  assert.equal(q.get('returnTo'), `${APP}/`);
  assert.ok(!(await context.cookies(APP)).some((c) => c.name === 'appSession'), 'app session cleared');

  await page.goto(`${APP}/dashboard`);
  await page.waitForURL((u) => u.href.startsWith(`${issuer}u/login`));
  assert.ok(await page.isVisible('input[name="password"]'), 'Gatehouse asks for the password again');
  await context.close();
});

test('/admin is allowed to the admin role; the default login gives no admin:read', async () => {
  sessions.admin = await signIn(adminAccount);
  const { context, page } = sessions.admin;
  await page.goto(`${APP}/admin`);
  assert.equal(page.url(), `${APP}/admin`);
  assert.equal((await page.textContent('h1')).trim(), 'Admin area');

  const me = await appJson(context, '/api/compat/tokens');
  assert.deepEqual(me.body.user[ROLES_CLAIM], ['admin']);
  assert.equal((await fetch(`${API}/api/admin`, bearer(me.body.accessToken))).status, 403);
  await context.close();
});

test('the admin login route: admin gets admin:read and passes /api/admin', async () => {
  const { context } = await signIn(adminAccount, '/api/admin-login');
  const me = await appJson(context, '/api/compat/tokens');
  const scopes = decodeJwt(me.body.accessToken).payload.scope.split(' ');
  assert.ok(scopes.includes('admin:read'), `scope: ${scopes.join(' ')}`);
  const res = await fetch(`${API}/api/admin`, bearer(me.body.accessToken));
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { message: 'Admin endpoint' });
  await context.close();
});

test('the admin login route: a user still gets 403 on /api/admin', async () => {
  const { context } = await signIn(userAccount, '/api/admin-login');
  const me = await appJson(context, '/api/compat/tokens');
  const scopes = (decodeJwt(me.body.accessToken).payload.scope || '').split(' ');
  assert.ok(!scopes.includes('admin:read'), `scope: ${scopes.join(' ')}`);
  assert.equal((await fetch(`${API}/api/admin`, bearer(me.body.accessToken))).status, 403);
  await context.close();
});
