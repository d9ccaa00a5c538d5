// auth0-react 2.x, unchanged, in a small React app (react-app/app.jsx) bundled once here with
// esbuild, in Chromium against Gatehouse: withAuthenticationRequired sends a visitor to the hosted
// login and back to the page they asked for; useAuth0 shows the user; getAccessTokenSilently's token
// is accepted by the guide's Express API (express-oauth2-jwt-bearer); logout.
//
// Needs Gatehouse (GATEHOUSE_DEV_TENANT, NODE_EXTRA_CA_CERTS) and the guide's Express API on :3001
// (run.sh starts both); serves the app on :3102, with /api proxied to :3001.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';
import {
  audience, createClient, domain, issuer, launchAllowingThirdPartyCookies, shot, signInOnHostedPage, userAccount,
} from './tenant.js';

const require = createRequire(import.meta.url);
const APP = 'http://localhost:3102';
const API = { host: '127.0.0.1', port: 3001 };
const VERSION = require('@auth0/auth0-react/package.json').version;

let client;
let server;
let b; // one browser profile, shared by the tests in order

async function bundle() {
  const out = await esbuild.build({
    entryPoints: [fileURLToPath(new URL('./react-app/app.jsx', import.meta.url))],
    bundle: true,
    format: 'iife',
    jsx: 'automatic',
    minify: true,
    target: 'es2020',
    define: { 'process.env.NODE_ENV': '"production"' },
    write: false,
    logLevel: 'error',
  });
  return out.outputFiles[0].contents;
}

function serve(js) {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>auth0-react ${VERSION}</title></head>
<body><div id="root"></div><script>window.CONFIG = ${JSON.stringify({ domain, clientId: client.client_id, audience })};</script>
<script src="/app.js"></script></body></html>`;
  const s = createServer((req, res) => {
    if (req.url.startsWith('/api/')) {
      const up = request({ ...API, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end('the guide\'s Express API is not running on :3001'));
      req.pipe(up);
    } else if (req.url === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    } else {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    }
  });
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen(3102, '127.0.0.1', () => resolve(s));
  });
}

before(async () => {
  client = await createClient({
    name: 'auth0-react compat',
    app_type: 'spa',
    token_endpoint_auth_method: 'none',
    callbacks: [APP],
    allowed_logout_urls: [APP],
    web_origins: [APP],
    grant_types: ['authorization_code', 'refresh_token'],
  });
  const started = Date.now();
  const js = await bundle();
  console.log(`esbuild ${esbuild.version}: app bundled in ${Date.now() - started} ms (${js.length} bytes)`);
  server = await serve(js);
  b = await launchAllowingThirdPartyCookies();
});

after(async () => {
  await b?.close();
  server?.close();
});

async function step(name, fn) {
  try {
    await fn();
  } catch (err) {
    err.message += b.where();
    await shot(b.page, `react-${name}-failed`).catch(() => {});
    throw err;
  }
}

test('withAuthenticationRequired: hosted login, then back on the protected page', () => step('protected', async () => {
  await b.page.goto(`${APP}/protected`);
  await signInOnHostedPage(b.page, userAccount, (u) => u.href.startsWith(`${APP}/?code=`) || u.href === `${APP}/protected`);
  await b.page.waitForSelector('#protected');
  assert.equal(b.page.url(), `${APP}/protected`, 'onRedirectCallback went back to appState.returnTo');
  assert.equal((await b.page.textContent('#protected')).trim(), `Protected page for ${userAccount.email}`);
  const authorize = new URL(b.seen.find((u) => u.startsWith(`${issuer}authorize`)));
  assert.equal(authorize.searchParams.get('audience'), audience);
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  await shot(b.page, 'react-1-protected');
}));

test("useAuth0 shows the user; getAccessTokenSilently's token passes the guide's Express API", () => step('api', async () => {
  // A new page load: the SDK's default in-memory cache is empty, so Auth0Provider signs in again
  // silently (iframe, web_message).
  await b.page.goto(`${APP}/`);
  await b.page.waitForFunction(() => {
    const s = document.querySelector('#status');
    return s && s.textContent !== 'Loading…';
  });
  const status = (await b.page.textContent('#status')).trim();
  assert.match(status, new RegExp(`^Signed in as .+ <${userAccount.email.replace('.', '\\.')}>$`), status);
  await b.page.click('#call-api');
  await b.page.waitForSelector('#api-result');
  const result = JSON.parse(await b.page.textContent('#api-result'));
  assert.equal(result.status, 200, JSON.stringify(result));
  assert.equal(result.body.message, 'Protected endpoint');
  assert.match(result.body.userId, /^auth0\|/);
  await shot(b.page, 'react-2-api');
}));

test('logout ends the session: the app shows Log in, the protected page asks to sign in', () => step('logout', async () => {
  await Promise.all([
    b.page.waitForRequest((r) => r.url().startsWith(`${issuer}v2/logout`)),
    b.page.click('#logout'),
  ]);
  await b.page.waitForSelector('#login');
  assert.equal((await b.page.textContent('#status')).trim(), 'Signed out');
  await shot(b.page, 'react-3-logged-out');
  await b.page.goto(`${APP}/protected`);
  await b.page.waitForURL((u) => u.href.startsWith(`${issuer}u/login`));
}));
