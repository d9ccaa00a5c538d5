// What the SDK suites need from the dev tenant `gatehouse dev` wrote (GATEHOUSE_DEV_TENANT), and the
// applications they register for themselves through the Management API, as a tenant admin would in
// the dashboard. Every suite registers its own client, so the suites run in any order against one
// Gatehouse.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const path = process.env.GATEHOUSE_DEV_TENANT;
if (!path) {
  throw new Error('GATEHOUSE_DEV_TENANT must name the dev-tenant.json written by `gatehouse dev`');
}

export const tenant = JSON.parse(readFileSync(path, 'utf8'));
export const issuer = tenant.issuer; // with the trailing slash, as in every token's iss
export const domain = new URL(issuer).host; // what Auth0's SDKs call the domain: host[:port]
export const audience = tenant.api.identifier;
export const userAccount = tenant.users.find((u) => u.roles.includes('user') && !u.roles.includes('admin'));
export const NAV_TIMEOUT = 20_000;

// Where screenshots go: run.sh's work directory, else the system's temporary directory.
export const SHOTS = process.env.GATEHOUSE_COMPAT_SHOTS || '/tmp';

let mgmtToken;
async function managementToken() {
  if (mgmtToken) return mgmtToken;
  const res = await fetch(`${issuer}oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: tenant.management_api.client_id,
      client_secret: tenant.management_api.client_secret,
      audience: tenant.management_api.audience,
    }),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`management token: ${res.status} ${JSON.stringify(body)}`);
  mgmtToken = body.access_token;
  return mgmtToken;
}

// createClient registers an application (POST /api/v2/clients) and returns Gatehouse's answer,
// client_id and client_secret included.
export async function createClient(body) {
  const res = await fetch(`${issuer}api/v2/clients`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await managementToken()}` },
    body: JSON.stringify(body),
  });
  const created = await res.json();
  if (res.status !== 201) throw new Error(`create client ${body.name}: ${res.status} ${JSON.stringify(created)}`);
  return created;
}

// management calls the Management API as the dev tenant's automation client and returns the status
// and the parsed body (null when empty).
export async function management(method, path, body) {
  const res = await fetch(`${issuer}api/v2/${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await managementToken()}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export function decodeJwt(jwt) {
  const [header, payload] = jwt.split('.').slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
  return { header, payload };
}

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

export async function launchChromium() {
  return chromium.launch({
    executablePath: process.env.GATEHOUSE_TEST_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: NAV_TIMEOUT,
  });
}

// newContext is a fresh browser profile; the dev CA is not in Chromium's store (Node trusts it
// through NODE_EXTRA_CA_CERTS). It records requests and console errors for failure messages.
export async function newContext(browser) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 900, height: 700 } });
  return watch(context, await context.newPage());
}

// launchAllowingThirdPartyCookies is Chromium with a profile that does not restrict third-party
// cookies: a fresh Chromium profile does; Chrome and Edge as most people run them do not (Safari,
// Brave and Firefox's strict mode do, and there an SPA needs refresh tokens, as with Auth0). Only
// then does the silent-authentication iframe carry Gatehouse's SameSite=None session cookie.
export async function launchAllowingThirdPartyCookies() {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-compat-profile-'));
  mkdirSync(join(dir, 'Default'));
  writeFileSync(join(dir, 'Default', 'Preferences'),
    JSON.stringify({ profile: { cookie_controls_mode: 0, block_third_party_cookies: false } }));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.GATEHOUSE_TEST_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: NAV_TIMEOUT,
    ignoreHTTPSErrors: true,
    viewport: { width: 900, height: 700 },
  });
  const b = watch(context, context.pages()[0] || await context.newPage());
  const close = b.context.close.bind(b.context);
  b.close = async () => { await close(); rmSync(dir, { recursive: true, force: true }); };
  return b;
}

function watch(context, page) {
  context.setDefaultTimeout(NAV_TIMEOUT);
  const seen = [];
  const consoleErrors = [];
  page.on('request', (r) => seen.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  const where = () => `\n  at ${page.url()}\n  requests: ${seen.slice(-12).join(' -> ')}` +
    `\n  browser console errors: ${consoleErrors.join(' | ') || 'none'}`;
  return { context, page, seen, consoleErrors, where, close: () => context.close() };
}

// signInOnHostedPage fills Gatehouse's /u/login once the browser is on it, and submits.
export async function signInOnHostedPage(page, account, landed) {
  await page.waitForURL((u) => u.href.startsWith(`${issuer}u/login`));
  await page.fill('input[name="username"]', account.email);
  await page.fill('input[name="password"]', account.password);
  await Promise.all([page.waitForURL(landed), page.press('input[name="password"]', 'Enter')]);
}

export async function shot(page, name) {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}
