// Account linking with a database account as the secondary, through the auth0 SDK's
// users.identities (link, delete), unchanged: the secondary's user is gone, its profile is the
// identity's profileData, its address and password sign in as the primary (the password grant,
// through @auth0/auth0-auth-js), no new user can take its address, and unlinking gives it back
// with its password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthClient } from '@auth0/auth0-auth-js';
import { management, domain, expectApiError } from './tenant.js';

const suffix = Date.now().toString(36);
const CONNECTION = 'Username-Password-Authentication';

function sub(tokens) {
  return JSON.parse(Buffer.from(tokens.idToken.split('.')[1], 'base64url').toString()).sub;
}

test('account linking: a database account linked to another database user and unlinked', async (t) => {
  const app = await management.clients.create({
    name: `Compat linking app ${suffix}`, app_type: 'regular_web', grant_types: ['password'],
    callbacks: ['https://localhost:3200/callback'], token_endpoint_auth_method: 'client_secret_post',
  });
  t.after(() => management.clients.delete(app.client_id).catch(() => {}));
  const primaryPw = `Primary-${suffix}-Pw1!`;
  const secondaryPw = `Second-${suffix}-Pw2!`;
  const primary = await management.users.create({ connection: CONNECTION, email: `link-primary-${suffix}@example.com`,
    password: primaryPw, name: 'Link Primary' });
  t.after(() => management.users.delete(primary.user_id).catch(() => {}));
  const secondaryEmail = `link-secondary-${suffix}@example.com`;
  const secondary = await management.users.create({ connection: CONNECTION, email: secondaryEmail,
    password: secondaryPw, name: 'Link Secondary' });
  t.after(() => management.users.delete(secondary.user_id).catch(() => {}));
  const secondaryRaw = secondary.user_id.split('|')[1];

  const auth = new AuthClient({ domain, clientId: app.client_id, clientSecret: app.client_secret });
  const signIn = (username, password) => auth.getTokenByPassword({ username, password, scope: 'openid profile email' });
  assert.equal(sub(await signIn(secondaryEmail, secondaryPw)), secondary.user_id);

  const linked = await management.users.identities.link(primary.user_id, { provider: 'auth0', user_id: secondaryRaw });
  assert.equal(linked.length, 2);
  assert.deepEqual([linked[1].provider, linked[1].user_id, linked[1].connection, linked[1].isSocial],
    ['auth0', secondaryRaw, CONNECTION, false]);
  assert.equal(linked[1].profileData.email, secondaryEmail);
  assert.equal(linked[1].profileData.name, 'Link Secondary');
  assert.ok(!JSON.stringify(linked).includes('argon2'), 'no password hash in identities[]');
  await assert.rejects(management.users.get(secondary.user_id), expectApiError(404));
  const got = await management.users.get(primary.user_id);
  assert.equal(got.name, 'Link Primary');
  assert.equal(got.identities.length, 2);

  // The secondary's address and password sign in as the primary; the primary's own still do.
  assert.equal(sub(await signIn(secondaryEmail, secondaryPw)), primary.user_id);
  assert.equal(sub(await signIn(primary.email, primaryPw)), primary.user_id);
  await assert.rejects(signIn(secondaryEmail, primaryPw), (err) => /invalid_grant|Wrong email or password/.test(`${err.cause?.error} ${err.message}`));

  // Its address stays taken while it is linked.
  await assert.rejects(management.users.create({ connection: CONNECTION, email: secondaryEmail, password: `Other-${suffix}-Pw3!` }),
    expectApiError(409));

  const left = await management.users.identities.delete(primary.user_id, 'auth0', secondaryRaw);
  assert.equal(left.length, 1);
  const back = await management.users.get(secondary.user_id);
  assert.equal(back.email, secondaryEmail);
  assert.equal(sub(await signIn(secondaryEmail, secondaryPw)), secondary.user_id);
});
