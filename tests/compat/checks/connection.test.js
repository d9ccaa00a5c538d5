// nextjs-auth0 v3 with authorizationParams.connection (app/api/github-login) in Chromium: the app's
// login goes to Gatehouse's /authorize with connection=compat-github, straight on to a GitHub-shaped
// provider on loopback (:3241, run here), back through /login/callback to the app's callback, and
// the session's user is github|<id> with the provider's profile; the hosted login page is never shown.
//
// Needs run.sh's processes: Gatehouse (dev tenant) and `next start` on :3000.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';
import { APP, issuer, tenant, clientCredentialsToken, decodeJwt } from './env.js';

const GH = 'http://127.0.0.1:3241';
const GH_ID = 77000 + Math.floor(Math.random() * 1000);
const NAV_TIMEOUT = 20_000;

let browser;
let server;
let mgmtToken;
let connectionID;

async function mgmt(method, path, body) {
  const res = await fetch(`${issuer}api/v2/${path}`, {
    method, headers: { authorization: `Bearer ${mgmtToken}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

before(async () => {
  const codes = new Map();
  server = http.createServer((req, res) => {
    const u = new URL(req.url, GH);
    if (req.method === 'GET' && u.pathname === '/login/oauth/authorize') {
      const code = randomBytes(8).toString('hex');
      codes.set(code, u.searchParams.get('code_challenge'));
      const back = new URL(u.searchParams.get('redirect_uri'));
      back.searchParams.set('code', code);
      back.searchParams.set('state', u.searchParams.get('state'));
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (req.method === 'POST' && u.pathname === '/login/oauth/access_token') {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        const p = new URLSearchParams(body);
        const challenge = codes.get(p.get('code'));
        codes.delete(p.get('code'));
        const ok = challenge && p.get('client_secret') === 'gh-secret' &&
          createHash('sha256').update(p.get('code_verifier') || '').digest('base64url') === challenge;
        res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' })
          .end(ok ? 'access_token=gho_next&token_type=bearer' : 'error=bad_verification_code');
      });
      return;
    }
    if (req.headers.authorization !== 'Bearer gho_next') {
      res.writeHead(401).end();
      return;
    }
    if (u.pathname === '/user') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: GH_ID, login: 'nextocto', name: 'Next Octo',
        avatar_url: 'https://avatars.example/nextocto.png' }));
      return;
    }
    if (u.pathname === '/user/emails') {
      res.writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify([{ email: `nextocto-${GH_ID}@example.com`, primary: true, verified: true }]));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(3241, '127.0.0.1', resolve));

  mgmtToken = await clientCredentialsToken(tenant.management_api, tenant.management_api.audience);
  const created = await mgmt('POST', 'connections', {
    name: 'compat-github', strategy: 'github', enabled_clients: [tenant.web_app.client_id],
    options: { client_id: 'gh-id', client_secret: 'gh-secret', authorizationURL: `${GH}/login/oauth/authorize`,
      tokenURL: `${GH}/login/oauth/access_token`, profileURL: `${GH}/user` },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  connectionID = created.body.id;

  browser = await chromium.launch({
    executablePath: process.env.GATEHOUSE_TEST_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
    timeout: NAV_TIMEOUT,
  });
});

after(async () => {
  await browser?.close();
  if (connectionID) await mgmt('DELETE', `connections/${connectionID}`);
  if (mgmtToken) await mgmt('DELETE', `users/${encodeURIComponent(`github|${GH_ID}`)}`);
  server?.close();
});

test('authorizationParams.connection goes straight to the provider and back to the app signed in', async () => {
  const res = await fetch(`${APP}/api/github-login`, { redirect: 'manual' });
  assert.equal(res.status, 302);
  const authorize = new URL(res.headers.get('location'));
  assert.equal(`${authorize.origin}${authorize.pathname}`, `${issuer}authorize`);
  assert.equal(authorize.searchParams.get('connection'), 'compat-github');

  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  context.setDefaultTimeout(NAV_TIMEOUT);
  const page = await context.newPage();
  const seen = [];
  page.on('request', (r) => { if (r.isNavigationRequest()) seen.push(r.url()); });
  try {
    await page.goto(`${APP}/api/github-login`);
    await page.waitForURL(`${APP}/dashboard`);
    if (process.env.GATEHOUSE_COMPAT_SHOTS) {
      await page.screenshot({ path: `${process.env.GATEHOUSE_COMPAT_SHOTS}/nextjs-connection-dashboard.png`, fullPage: true });
    }
    assert.ok(seen.some((u) => u.startsWith(`${GH}/login/oauth/authorize?`)), seen.join(' -> '));
    assert.ok(seen.some((u) => u.startsWith(`${issuer}login/callback?`)), seen.join(' -> '));
    assert.ok(!seen.some((u) => u.startsWith(`${issuer}u/login`)), `the hosted login page was shown: ${seen.join(' -> ')}`);

    const tokens = await context.request.get(`${APP}/api/compat/tokens`, { maxRedirects: 0 });
    assert.equal(tokens.status(), 200);
    const { user, accessToken } = await tokens.json();
    assert.equal(user.sub, `github|${GH_ID}`);
    assert.equal(user.nickname, 'nextocto');
    assert.equal(user.name, 'Next Octo');
    assert.equal(user.email, `nextocto-${GH_ID}@example.com`);
    assert.equal(decodeJwt(accessToken).payload.sub, `github|${GH_ID}`);
  } finally {
    await context.close();
  }
});
