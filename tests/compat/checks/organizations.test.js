// Organizations through Auth0's SDKs, in Chromium against Gatehouse: nextjs-auth0 v3's
// handleLogin({ authorizationParams: { organization } }) and handleCallback({ organization }) (its check of the
// ID token's org_name), and express-oauth2-jwt-bearer reading org_id in a claim check (api/org-server.js on
// :3210, started here).
//
// Needs run.sh's processes: Gatehouse (dev tenant) and `next start` on :3000. It changes the tenant as an
// administrator would: two organizations, the guide's user a member of both, names allowed in the
// authentication API (so tokens carry org_name), the web app's organization usage "allow" and its
// /api/org-callback registered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import {
  APP, audience, bearer, clientCredentialsToken, decodeJwt, issuer, issuerBaseURL, tenant, userAccount,
} from './env.js';

const NAV_TIMEOUT = 20_000;
const ORG_API = 'http://localhost:3210';

let browser;
let orgApi;
let mgmtToken;
const orgs = {};

async function mgmt(method, path, body) {
  const res = await fetch(`${issuer}api/v2/${path}`, {
    method,
    headers: { authorization: `Bearer ${mgmtToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) {
    throw new Error(`${method} ${path}: ${res.status} ${text}`);
  }
  return text ? JSON.parse(text) : null;
}

async function waitFor(url) {
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not answer`);
}

before(async () => {
  mgmtToken = await clientCredentialsToken(tenant.management_api, tenant.management_api.audience);
  const [db] = await mgmt('GET', 'connections?name=Username-Password-Authentication');
  const me = await mgmt('GET', `users-by-email?email=${encodeURIComponent(userAccount.email)}`);
  for (const [name, display] of [['compat-org', 'Compat Org'], ['compat-other', 'Compat Other']]) {
    const o = await mgmt('POST', 'organizations', {
      name, display_name: display, enabled_connections: [{ connection_id: db.id }],
    });
    await mgmt('POST', `organizations/${o.id}/members`, { members: [me[0].user_id] });
    orgs[name] = o.id;
  }
  await mgmt('PATCH', 'tenants/settings', { allow_organization_name_in_authentication_api: true });
  const app = await mgmt('GET', `clients/${tenant.web_app.client_id}`);
  await mgmt('PATCH', `clients/${tenant.web_app.client_id}`, {
    organization_usage: 'allow', callbacks: [...app.callbacks, `${APP}/api/org-callback`],
  });

  const apiDir = fileURLToPath(new URL('../api/', import.meta.url));
  orgApi = spawn(process.execPath, ['org-server.js'], {
    cwd: apiDir,
    env: {
      ...process.env, AUTH0_AUDIENCE: audience, AUTH0_ISSUER_BASE_URL: issuerBaseURL,
      COMPAT_ORG_ID: orgs['compat-org'], COMPAT_ORG_API_PORT: '3210',
    },
    stdio: 'inherit',
  });
  await waitFor(`${ORG_API}/api/org/data`);

  browser = await chromium.launch({
    executablePath: process.env.GATEHOUSE_TEST_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
    timeout: NAV_TIMEOUT,
  });
});

after(async () => {
  await browser?.close();
  orgApi?.kill();
});

// A fresh browser signs the guide's user in through the app's login path; returns where it ended up
// and the answer there.
async function signIn(loginPath, { expectOrg } = {}) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  context.setDefaultTimeout(NAV_TIMEOUT);
  const page = await context.newPage();
  await page.goto(`${APP}${loginPath}`);
  await page.waitForURL((u) => u.href.startsWith(`${issuer}u/login`));
  if (expectOrg) {
    assert.match(await page.textContent('.lead'), new RegExp(`Log in to ${expectOrg}`), 'the login page names the organization');
  }
  await page.fill('input[name="username"]', userAccount.email);
  await page.fill('input[name="password"]', userAccount.password);
  const callbacks = [];
  page.on('response', (r) => { if (r.url().startsWith(`${APP}/api/org-callback`)) callbacks.push(r.status()); });
  // Either the app's dashboard, or the callback's own answer when it refuses (a redirect never commits).
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/dashboard' || u.pathname === '/api/org-callback'),
    page.press('input[name="password"]', 'Enter'),
  ]);
  return { context, page, callbacks };
}

async function appTokens(context) {
  const res = await context.request.get(`${APP}/api/compat/tokens`, { maxRedirects: 0 });
  return { status: res.status(), body: res.status() === 200 ? await res.json() : null };
}

test('handleLogin sends organization= to /authorize', async () => {
  const res = await fetch(`${APP}/api/org-login?organization=compat-org`, { redirect: 'manual' });
  assert.equal(res.status, 302);
  const q = new URL(res.headers.get('location')).searchParams;
  assert.equal(q.get('organization'), 'compat-org');
  assert.equal(q.get('redirect_uri'), `${APP}/api/org-callback`);
});

let orgSession;

test('a member signs in through the organization; handleCallback accepts its org_name; tokens carry org_id', async () => {
  orgSession = await signIn('/api/org-login?organization=compat-org', { expectOrg: 'Compat Org' });
  assert.equal(new URL(orgSession.page.url()).pathname, '/dashboard');
  const { status, body } = await appTokens(orgSession.context);
  assert.equal(status, 200);
  assert.equal(body.user.org_id, orgs['compat-org']);
  assert.equal(body.user.org_name, 'compat-org');
  const at = decodeJwt(body.accessToken).payload;
  assert.equal(at.org_id, orgs['compat-org']);
  assert.equal(at.org_name, 'compat-org');
});

test("handleCallback refuses an ID token of another organization, and no session is made", async () => {
  const { context, page, callbacks } = await signIn('/api/org-login?organization=compat-other');
  assert.equal(new URL(page.url()).pathname, '/api/org-callback', `ended at ${page.url()}`);
  assert.deepEqual(callbacks, [400]);
  const body = JSON.parse(await page.textContent('body'));
  assert.match(`${body.error} ${body.cause}`, /Organization Name \(org_name\) claim value mismatch in the ID token; expected "compat-org", found "compat-other"/);
  assert.equal((await appTokens(context)).status, 401, 'no session after the refused callback');
  await context.close();
});

test('express-oauth2-jwt-bearer: the claim check on org_id lets the organization\'s token in and no other', async () => {
  assert.ok(orgSession, 'needs the organization sign-in of the earlier test');
  const { body } = await appTokens(orgSession.context);
  const ok = await fetch(`${ORG_API}/api/org/data`, bearer(body.accessToken));
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { orgId: orgs['compat-org'], userId: body.user.sub });

  // The same user signed in without an organization: a valid token for the API, refused by the claim check.
  const other = await browser.newContext({ ignoreHTTPSErrors: true });
  other.setDefaultTimeout(NAV_TIMEOUT);
  const page = await other.newPage();
  await page.goto(`${APP}/api/auth/login`);
  await page.waitForURL((u) => u.href.startsWith(`${issuer}u/login`));
  await page.fill('input[name="username"]', userAccount.email);
  await page.fill('input[name="password"]', userAccount.password);
  await Promise.all([page.waitForURL(`${APP}/dashboard`), page.press('input[name="password"]', 'Enter')]);
  const plain = (await appTokens(other)).body;
  assert.equal(decodeJwt(plain.accessToken).payload.org_id, undefined, 'a sign-in without organization has no org_id');
  const refused = await fetch(`${ORG_API}/api/org/data`, bearer(plain.accessToken));
  assert.equal(refused.status, 401);
  assert.equal((await refused.json()).error, 'invalid_token');
  await other.close();
  await orgSession.context.close();
});
