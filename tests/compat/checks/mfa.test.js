// The guide's Next.js app (nextjs-auth0 v3) with a post-login Action that asks every sign-in for a
// second factor (api.multifactor.enable('any')), bound after the guide's roles Action: the admin signs
// in with the password, enrolls an authenticator app on the hosted page with a code computed here from
// the key shown (RFC 6238), keeps the recovery code, and lands on /dashboard with the guide's roles
// claim still in the session and amr/acr saying MFA passed. A second browser gets the challenge and
// the next step's code. The bindings and the admin's factors are put back afterwards.
//
// Needs run.sh's processes: Gatehouse (dev tenant) and `next start` on :3000.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { chromium } from 'playwright-core';
import { APP, adminAccount, clientCredentialsToken, issuer, tenant } from './env.js';

const ROLES_CLAIM = 'https://yourapp.com/roles';
const MFA_ACR = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';
const NAV_TIMEOUT = 20_000;

let browser;
let mgmtToken;
let originalBindings;
let actionID;
let adminID;

async function mgmt(method, path, body) {
  const res = await fetch(`${issuer}api/v2/${path}`, {
    method, headers: { authorization: `Bearer ${mgmtToken}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

// totp is RFC 6238 with the authenticator-app defaults (SHA-1, 30 s, 6 digits) over a base32 key.
function totp(base32, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32.replace(/[\s=]/g, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    assert.ok(v >= 0, `base32 character ${c}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const off = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

before(async () => {
  mgmtToken = await clientCredentialsToken(tenant.management_api, tenant.management_api.audience);
  const bindings = await mgmt('GET', 'actions/triggers/post-login/bindings');
  assert.equal(bindings.status, 200, JSON.stringify(bindings.body));
  originalBindings = bindings.body.bindings.map((b) => ({ ref: { type: 'action_id', value: b.action.id } }));
  const created = await mgmt('POST', 'actions/actions', {
    name: 'compat: MFA for every sign-in', supported_triggers: [{ id: 'post-login', version: 'v3' }],
    code: "exports.onExecutePostLogin = async (event, api) => { api.multifactor.enable('any', { allowRememberBrowser: false }); };",
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  actionID = created.body.id;
  const deployed = await mgmt('POST', `actions/actions/${actionID}/deploy`);
  assert.equal(deployed.status, 200, JSON.stringify(deployed.body));
  const bound = await mgmt('PATCH', 'actions/triggers/post-login/bindings',
    { bindings: [...originalBindings, { ref: { type: 'action_id', value: actionID } }] });
  assert.equal(bound.status, 200, JSON.stringify(bound.body));
  const found = await mgmt('GET', `users-by-email?email=${encodeURIComponent(adminAccount.email)}`);
  adminID = found.body[0].user_id;

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
  if (mgmtToken) {
    if (originalBindings) await mgmt('PATCH', 'actions/triggers/post-login/bindings', { bindings: originalBindings });
    if (adminID) await mgmt('DELETE', `users/${encodeURIComponent(adminID)}/authentication-methods`);
    if (actionID) await mgmt('DELETE', `actions/actions/${actionID}?force=true`);
  }
});

async function passwordStep(account) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  context.setDefaultTimeout(NAV_TIMEOUT);
  const page = await context.newPage();
  await page.goto(`${APP}/api/auth/login`);
  await page.waitForURL((u) => u.href.startsWith(`${issuer}u/login`));
  await page.fill('input[name="username"]', account.email);
  await page.fill('input[name="password"]', account.password);
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(`${issuer}u/mfa-`)),
    page.press('input[name="password"]', 'Enter'),
  ]);
  return { context, page };
}

async function sessionUser(context) {
  const res = await context.request.get(`${APP}/api/compat/tokens`, { maxRedirects: 0 });
  assert.equal(res.status(), 200, await res.text());
  return (await res.json()).user;
}

let secret;

test('the admin enrolls an authenticator app and keeps the guide roles claim', async () => {
  const { context, page } = await passwordStep(adminAccount);
  try {
    assert.ok(page.url().startsWith(`${issuer}u/mfa-otp-enrollment-qr`), `sent to ${page.url()}`);
    await page.click('.manual summary');
    secret = (await page.textContent('.secret')).replace(/\s/g, '');
    await page.fill('input[name="code"]', totp(secret));
    await Promise.all([page.waitForSelector('.recovery-code'), page.press('input[name="code"]', 'Enter')]);
    assert.equal((await page.textContent('.recovery-code')).trim().length, 24);
    await page.check('input[name="saved"]');
    await Promise.all([page.waitForURL(`${APP}/dashboard`), page.click('button[type="submit"]')]);
    const user = await sessionUser(context);
    assert.deepEqual(user[ROLES_CLAIM], ['admin'], "the guide's Action still put the roles in the ID token");
    assert.deepEqual(user.amr, ['pwd', 'mfa', 'otp']);
    assert.equal(user.acr, MFA_ACR);
  } finally {
    await context.close();
  }
});

test('a second browser is challenged and passes with the next code', async () => {
  assert.ok(secret, 'needs the enrollment of the previous test');
  const { context, page } = await passwordStep(adminAccount);
  try {
    assert.ok(page.url().startsWith(`${issuer}u/mfa-otp-challenge`), `sent to ${page.url()}`);
    await page.fill('input[name="code"]', '000000');
    await Promise.all([page.waitForSelector('#form-error p'), page.press('input[name="code"]', 'Enter')]);
    assert.match(await page.textContent('#form-error'), /Invalid code/);
    await page.fill('input[name="code"]', totp(secret, Date.now() + 30_000)); // the step after the one used
    await Promise.all([page.waitForURL(`${APP}/dashboard`), page.press('input[name="code"]', 'Enter')]);
    const user = await sessionUser(context);
    assert.deepEqual(user[ROLES_CLAIM], ['admin']);
    assert.deepEqual(user.amr, ['pwd', 'mfa', 'otp']);
  } finally {
    await context.close();
  }
});
