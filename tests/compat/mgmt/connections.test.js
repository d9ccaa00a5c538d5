// Database connections, their password policy, signup through the Authentication API, and
// brute-force blocks lifted by an administrator — driven by the auth0 SDK's ManagementClient
// (connections, users, userBlocks) and its AuthenticationClient (auth0/legacy, where v7 keeps it: the only
// client with /dbconnections/signup and the password-realm grant; @auth0/auth0-auth-js sends `password`
// with a realm instead), unchanged. Works on its own connection
// and application, so the seeded tenant keeps its configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthClient } from '@auth0/auth0-auth-js';
import { management, tenant, domain, authenticationClient, expectApiError } from './tenant.js';

const suffix = Date.now().toString(36);
const connName = `Compat-DB-${suffix}`;

test('connections: the default database connection, a new one, its policy, its clients, its users', async (t) => {
  const { data: defaults } = await management.connections.list({ name: 'Username-Password-Authentication' });
  assert.equal(defaults.length, 1);
  assert.equal(defaults[0].strategy, 'auth0');
  assert.equal(defaults[0].options.passwordPolicy, 'good');
  assert.ok(defaults[0].enabled_clients.includes(tenant.web_app.client_id));

  const app = await management.clients.create({
    name: `Compat signup app ${suffix}`, app_type: 'regular_web', callbacks: ['http://localhost:3000/cb'],
    grant_types: ['authorization_code', 'http://auth0.com/oauth/grant-type/password-realm'],
  });
  t.after(() => management.clients.delete(app.client_id));

  const conn = await management.connections.create({
    name: connName, strategy: 'auth0', enabled_clients: [app.client_id],
    options: {
      passwordPolicy: 'excellent',
      password_complexity_options: { min_length: 12 },
      password_history: { enable: true, size: 3 },
      password_no_personal_info: { enable: true },
      password_dictionary: { enable: true, dictionary: ['gatehouse-compat-word'] },
      brute_force_protection: true,
    },
  });
  t.after(() => management.connections.delete(conn.id).catch(() => {}));
  assert.match(conn.id, /^con_[A-Za-z0-9]{16}$/);
  assert.deepEqual(conn.realms, [connName]);
  assert.equal(conn.options.password_complexity_options.min_length, 12);

  const got = await management.connections.get(conn.id);
  assert.equal(got.name, connName);
  // v7 pages connections by checkpoint only (take/from): one at a time, then the SDK walks the rest.
  const byStrategy = await management.connections.list({ strategy: ['auth0'], take: 1 });
  assert.equal(byStrategy.data.length, 1);
  assert.ok(byStrategy.response.next, 'a second page is announced');
  const auth0Conns = [];
  for await (const c of byStrategy) auth0Conns.push(c);
  assert.ok(auth0Conns.length >= 2);
  assert.ok(auth0Conns.every((c) => c.strategy === 'auth0'));
  assert.equal(new Set(auth0Conns.map((c) => c.id)).size, auth0Conns.length, 'pages do not overlap');
  assert.ok(auth0Conns.some((c) => c.id === conn.id) && auth0Conns.some((c) => c.id === defaults[0].id));

  const clients = await management.connections.clients.get(conn.id);
  assert.deepEqual(clients.data, [{ client_id: app.client_id }]);
  await management.connections.clients.update(conn.id, [{ client_id: tenant.web_app.client_id, status: true }]);
  const two = await management.connections.clients.get(conn.id, { take: 1 });
  assert.equal(two.data.length, 1);
  assert.ok(two.response.next, 'a second page is announced');
  assert.ok(two.hasNextPage());
  const first = two.data[0].client_id;
  const second = await two.getNextPage(); // the same Page, now holding the next one
  assert.equal(second.data.length, 1);
  assert.deepEqual([first, second.data[0].client_id].sort(), [app.client_id, tenant.web_app.client_id].sort());

  // The Management API's users endpoint enforces the policy with Auth0's messages.
  const user = (password, extra = {}) =>
    management.users.create({ connection: connName, email: `ada-${suffix}@example.com`, password, name: 'Adaline', ...extra });
  await assert.rejects(user('Short-1!'), expectApiError(400, 'invalid_password', /^PasswordStrengthError: Password is too weak$/));
  await assert.rejects(user('Gatehouse-Compat-Word'), expectApiError(400, 'invalid_password', /^PasswordDictionaryError: Password is too common$/));
  await assert.rejects(user('GATEHOUSE-COMPAT-WORD'), expectApiError(400, 'invalid_password', /^PasswordStrengthError/)); // 2 classes
  await assert.rejects(user('Adaline-Lovelace-1'), expectApiError(400, 'invalid_password', /^PasswordNoUserInfoError: Password contains user information$/));
  const created = await user('Blue-Lamp-Forty-2');
  await assert.rejects(
    management.users.update(created.user_id, { password: 'Blue-Lamp-Forty-2' }),
    expectApiError(400, 'invalid_password', /^PasswordHistoryError: Password has previously been used$/),
  );
  await management.users.update(created.user_id, { password: 'Green-Door-Seven-7' });

  // PATCH replaces options; name cannot change.
  const patched = await management.connections.update(conn.id, {
    options: { passwordPolicy: 'low', password_dictionary: { enable: true, dictionary: ['gatehouse-compat-word'] } },
  });
  assert.equal(patched.options.passwordPolicy, 'low');
  assert.equal(patched.options.password_history, undefined);
  await assert.rejects(
    management.connections.update(conn.id, { name: 'Renamed' }),
    expectApiError(400, 'invalid_body', /name/),
  );

  // auth0's AuthenticationClient signs up through /dbconnections/signup under the same policy.
  const auth = await authenticationClient(app.client_id, app.client_secret);
  const { data: signedUp } = await auth.database.signUp({ connection: connName, email: `sig-${suffix}@example.com`, password: 'Tree-House-Nine' });
  assert.match(signedUp._id, /^[0-9a-f]{24}$/);
  assert.equal(signedUp.email, `sig-${suffix}@example.com`);
  assert.equal(signedUp.email_verified, false);
  await assert.rejects(
    auth.database.signUp({ connection: connName, email: `dict-${suffix}@example.com`, password: 'Gatehouse-Compat-Word' }),
    (err) => {
      assert.equal(err.name, 'AuthApiError');
      assert.equal(err.statusCode, 400);
      assert.equal(err.error, 'invalid_password');
      assert.equal(JSON.parse(err.body).name, 'PasswordDictionaryError');
      return true;
    },
  );
  await assert.rejects(auth.database.signUp({ connection: connName, email: `weak-${suffix}@example.com`, password: 'abc' }), (err) => {
    const body = JSON.parse(err.body);
    assert.equal(body.name, 'PasswordStrengthError');
    assert.equal(body.description.rules[0].code, 'lengthAtLeast');
    assert.match(body.policy, /^\* At least 6 characters in length$/);
    return true;
  });
  // The new connection signs in by name: auth0's password-realm grant with realm, and @auth0/auth0-auth-js's
  // getTokenByPassword, which sends `password` with a realm instead of the tenant's default directory.
  const signedUpId = `auth0|${signedUp._id}`;
  const { data: viaRealmGrant } = await auth.oauth.passwordGrant({ username: `sig-${suffix}@example.com`, password: 'Tree-House-Nine', realm: connName, scope: 'openid' });
  assert.equal(JSON.parse(Buffer.from(viaRealmGrant.id_token.split('.')[1], 'base64url')).sub, signedUpId);
  await management.clients.update(app.client_id, { grant_types: [...app.grant_types, 'password'] });
  const authJs = new AuthClient({ domain, clientId: app.client_id, clientSecret: app.client_secret });
  const viaPassword = await authJs.getTokenByPassword({ username: `sig-${suffix}@example.com`, password: 'Tree-House-Nine', realm: connName, scope: 'openid' });
  assert.equal(viaPassword.claims.sub, signedUpId);
  await assert.rejects(
    authJs.getTokenByPassword({ username: `sig-${suffix}@example.com`, password: 'Tree-House-Nine', scope: 'openid' }),
    (err) => {
      // Without a realm the default directory is checked, where this user is not.
      assert.equal(err.name, 'TokenByPasswordError');
      assert.ok(['invalid_grant', 'unauthorized_client'].includes(err.cause.error), err.cause.error);
      return true;
    },
  );
  await assert.rejects(
    authJs.getTokenByPassword({ username: `sig-${suffix}@example.com`, password: 'Tree-House-Nine', realm: `Nowhere-${suffix}` }),
    (err) => err.cause.error === 'invalid_request' && err.cause.error_description === 'Unknown realm.',
  );

  await management.connections.update(conn.id, { options: { passwordPolicy: 'low', disable_signup: true } });
  await assert.rejects(auth.database.signUp({ connection: connName, email: `off-${suffix}@example.com`, password: 'Tree-House-Nine' }), (err) => {
    assert.equal(err.error, 'operation_not_allowed');
    assert.equal(err.error_description, 'public signup is disabled');
    return true;
  });

  // DELETE /connections/{id}/users?email= and the connection itself (202, its users with it).
  await management.connections.users.deleteByEmail(conn.id, { email: `sig-${suffix}@example.com` });
  const { rawResponse: deleted } = await management.connections.delete(conn.id).withRawResponse();
  assert.equal(deleted.status, 202);
  await assert.rejects(management.users.get(created.user_id), expectApiError(404, 'inexistent_user'));
  await assert.rejects(management.connections.get(conn.id), expectApiError(404, 'inexistent_connection'));
});

test('user-blocks: an administrator lifts a brute-force block before it runs out', async (t) => {
  const app = await management.clients.create({
    name: `Compat blocks app ${suffix}`, app_type: 'regular_web', callbacks: ['http://localhost:3000/cb'],
    grant_types: ['http://auth0.com/oauth/grant-type/password-realm'],
  });
  t.after(() => management.clients.delete(app.client_id));
  const email = `locked-${suffix}@example.com`;
  const user = await management.users.create({ connection: 'Username-Password-Authentication', email, password: 'Right-Pass-123!' });
  t.after(() => management.users.delete(user.user_id));

  const auth = await authenticationClient(app.client_id, app.client_secret);
  const login = (password) => auth.oauth.passwordGrant({ username: email, password, realm: 'Username-Password-Authentication' });
  for (let i = 0; i < 10; i++) {
    await assert.rejects(login('Wrong-Pass-123!'), (err) => err.statusCode === 403 && err.error === 'invalid_grant');
  }
  await assert.rejects(login('Right-Pass-123!'), (err) => err.statusCode === 429 && err.error === 'too_many_attempts');

  const byId = await management.userBlocks.list(user.user_id);
  assert.equal(byId.blocked_for.length, 1);
  assert.equal(byId.blocked_for[0].identifier, email);
  const byIdentifier = await management.userBlocks.listByIdentifier({ identifier: email });
  assert.equal(byIdentifier.blocked_for.length, 1);

  await management.userBlocks.delete(user.user_id);
  const { data: tokens } = await login('Right-Pass-123!');
  assert.ok(tokens.access_token, 'the right password works once the block is lifted');

  for (let i = 0; i < 10; i++) await login('Wrong-Pass-123!').catch(() => {});
  await management.userBlocks.deleteByIdentifier({ identifier: email });
  const again = await management.userBlocks.listByIdentifier({ identifier: email });
  assert.deepEqual(again.blocked_for, []);
});

test('blocked: true stops the password grant with Auth0\'s "user is blocked"', async (t) => {
  const app = await management.clients.create({
    name: `Compat blocked-user app ${suffix}`, app_type: 'regular_web', callbacks: ['http://localhost:3000/cb'],
    grant_types: ['http://auth0.com/oauth/grant-type/password-realm'],
  });
  t.after(() => management.clients.delete(app.client_id));
  const email = `blocked-${suffix}@example.com`;
  const user = await management.users.create({ connection: 'Username-Password-Authentication', email, password: 'Right-Pass-123!' });
  t.after(() => management.users.delete(user.user_id));
  await management.users.update(user.user_id, { blocked: true });
  const auth = await authenticationClient(app.client_id, app.client_secret);
  await assert.rejects(
    auth.oauth.passwordGrant({ username: email, password: 'Right-Pass-123!', realm: 'Username-Password-Authentication' }),
    (err) => err.statusCode === 401 && err.error === 'unauthorized' && err.error_description === 'user is blocked',
  );
});
