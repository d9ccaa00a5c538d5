// The seed guide's whole configuration (steps 1 and 8: application, API, permissions, roles, users), built
// through the Management API with Auth0's own Node SDK and read back the way an Auth0 customer's tooling
// reads it. Every assertion states Auth0's behaviour (spec §3, §4); none is bent to fit Gatehouse.
//
// The tests in this file run in order and share what they created.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { management, tenant, authenticationClient } from './tenant.js';

const API_IDENTIFIER = 'https://api.compat.test';
const PERMISSIONS = [
  { value: 'read:own_data', description: 'Read own data' },
  { value: 'write:own_data', description: 'Write own data' },
  { value: 'admin:read', description: 'Read all data' },
  { value: 'admin:write', description: 'Modify all data' },
];
const ROLE_PERMISSIONS = {
  user: ['read:own_data', 'write:own_data'],
  admin: PERMISSIONS.map((p) => p.value),
};
const CONNECTION = 'Username-Password-Authentication';
const USERS = [
  { email: 'ada.compat@example.org', name: 'Ada Compat', role: 'user' },
  { email: 'grace.compat@example.org', name: 'Grace Compat', role: 'admin' },
];
const PASSWORD = 'Compat-Suite-Passw0rd!';

// Step 1 of the guide, as a Management API body.
const WEB_APP = {
  name: 'Compat Regular Web App',
  app_type: 'regular_web',
  callbacks: ['http://localhost:3000/api/auth/callback', 'https://yourapp.com/api/auth/callback'],
  allowed_logout_urls: ['http://localhost:3000', 'https://yourapp.com'],
  web_origins: ['http://localhost:3000', 'https://yourapp.com'],
  token_endpoint_auth_method: 'client_secret_post',
  grant_types: ['authorization_code', 'refresh_token'],
  refresh_token: {
    rotation_type: 'rotating',
    expiration_type: 'expiring',
    token_lifetime: 2592000,
    infinite_token_lifetime: false,
    leeway: 0,
  },
  jwt_configuration: { alg: 'RS256', lifetime_in_seconds: 36000 },
  oidc_conformant: true,
};

const created = { roles: {}, users: {} };

const sorted = (xs) => [...xs].sort();

function assertWebApp(client) {
  assert.equal(client.name, WEB_APP.name);
  assert.equal(client.app_type, 'regular_web');
  assert.match(client.client_id, /^[A-Za-z0-9]{32}$/);
  assert.deepEqual(client.callbacks, WEB_APP.callbacks);
  assert.deepEqual(client.allowed_logout_urls, WEB_APP.allowed_logout_urls);
  assert.deepEqual(client.web_origins, WEB_APP.web_origins);
  assert.equal(client.token_endpoint_auth_method, 'client_secret_post');
  assert.deepEqual(sorted(client.grant_types), ['authorization_code', 'refresh_token']);
  assert.ok(!client.grant_types.includes('implicit'), 'implicit must stay disabled');
  assert.equal(client.refresh_token.rotation_type, 'rotating');
  assert.equal(client.refresh_token.expiration_type, 'expiring');
  assert.equal(client.refresh_token.token_lifetime, 2592000);
  assert.equal(client.jwt_configuration.lifetime_in_seconds, 36000);
  assert.equal(client.jwt_configuration.alg, 'RS256');
}

test('step 1: create the Regular Web App with exact URLs, Post auth, rotation and lifetimes', async () => {
  const res = await management.clients.create(WEB_APP);
  assert.equal(res.status, 201);
  assertWebApp(res.data);
  assert.ok(res.data.client_secret && res.data.client_secret.length >= 32, 'the secret is shown on create');
  created.client = res.data;
});

test('step 1: the application reads back with every setting', async () => {
  const res = await management.clients.get({ client_id: created.client.client_id });
  assert.equal(res.status, 200);
  assertWebApp(res.data);
});

test('clients list pages with include_totals and per_page', async () => {
  const first = await management.clients.getAll({ include_totals: true, per_page: 2, page: 0 });
  assert.equal(first.status, 200);
  assert.equal(first.data.start, 0);
  assert.equal(first.data.limit, 2);
  assert.ok(Array.isArray(first.data.clients));
  assert.equal(first.data.clients.length, 2);
  // dev seeds the web app, the M2M app and the Management API client; this suite added one more.
  assert.ok(first.data.total >= 4, `total ${first.data.total}`);

  const ids = [];
  for (let page = 0; page * 2 < first.data.total; page++) {
    const res = await management.clients.getAll({ include_totals: true, per_page: 2, page });
    assert.equal(res.data.start, page * 2);
    ids.push(...res.data.clients.map((c) => c.client_id));
  }
  assert.equal(ids.length, first.data.total);
  assert.equal(new Set(ids).size, ids.length, 'pages do not overlap');
  assert.ok(ids.includes(created.client.client_id));

  const bare = await management.clients.getAll({ per_page: 100 });
  assert.ok(Array.isArray(bare.data), 'without include_totals the list is a bare array');
});

test('step 8: create the API with RS256 and the four permissions', async () => {
  const res = await management.resourceServers.create({
    name: 'Compat App API',
    identifier: API_IDENTIFIER,
    signing_alg: 'RS256',
    scopes: PERMISSIONS,
    enforce_policies: true,
    token_dialect: 'access_token_authz',
    allow_offline_access: true,
  });
  assert.equal(res.status, 201);
  assert.match(res.data.id, /^[0-9a-f]{24}$/);
  assert.equal(res.data.identifier, API_IDENTIFIER);
  assert.equal(res.data.signing_alg, 'RS256');
  assert.deepEqual(res.data.scopes, PERMISSIONS);
  created.api = res.data;
});

test('step 8: the API reads back by id and by its url-encoded identifier', async () => {
  const byId = await management.resourceServers.get({ id: created.api.id });
  assert.equal(byId.status, 200);
  assert.equal(byId.data.identifier, API_IDENTIFIER);
  assert.deepEqual(byId.data.scopes, PERMISSIONS);
  assert.equal(byId.data.enforce_policies, true);
  assert.equal(byId.data.token_dialect, 'access_token_authz');
  assert.equal(byId.data.allow_offline_access, true);

  // The SDK url-encodes the path parameter; Auth0 accepts the identifier in place of the id.
  const byIdentifier = await management.resourceServers.get({ id: API_IDENTIFIER });
  assert.equal(byIdentifier.data.id, created.api.id);

  const list = await management.resourceServers.getAll({ include_totals: true, per_page: 1, page: 0 });
  assert.equal(list.data.limit, 1);
  assert.equal(list.data.resource_servers.length, 1);
  // the Management API itself, the dev tenant's API and this one
  assert.ok(list.data.total >= 3, `total ${list.data.total}`);
});

test('step 8: create roles user and admin with their permissions', async () => {
  for (const [name, perms] of Object.entries(ROLE_PERMISSIONS)) {
    // "compat-" keeps the names apart from the dev tenant's own user/admin roles.
    const res = await management.roles.create({ name: `compat-${name}`, description: `Compat ${name}` });
    assert.equal(res.status, 200, 'Auth0 answers POST /roles with 200');
    assert.match(res.data.id, /^rol_[A-Za-z0-9]{16}$/);
    assert.equal(res.data.name, `compat-${name}`);
    created.roles[name] = res.data;

    const add = await management.roles.addPermissions(
      { id: res.data.id },
      { permissions: perms.map((p) => ({ resource_server_identifier: API_IDENTIFIER, permission_name: p })) },
    );
    assert.equal(add.status, 201, 'Auth0 answers POST /roles/{id}/permissions with 201');
  }
});

test('step 8: roles read back with their permissions', async () => {
  for (const [name, perms] of Object.entries(ROLE_PERMISSIONS)) {
    const role = await management.roles.get({ id: created.roles[name].id });
    assert.equal(role.data.name, `compat-${name}`);
    assert.equal(role.data.description, `Compat ${name}`);

    const res = await management.roles.getPermissions({ id: created.roles[name].id, per_page: 50 });
    assert.equal(res.status, 200);
    assert.deepEqual(sorted(res.data.map((p) => p.permission_name)), sorted(perms));
    for (const p of res.data) {
      assert.equal(p.resource_server_identifier, API_IDENTIFIER);
      assert.equal(p.resource_server_name, 'Compat App API');
      assert.equal(p.description, PERMISSIONS.find((x) => x.value === p.permission_name).description);
    }
  }

  const paged = await management.roles.getPermissions({
    id: created.roles.admin.id, include_totals: true, per_page: 3, page: 1,
  });
  assert.equal(paged.data.total, 4);
  assert.equal(paged.data.permissions.length, 1);

  const filtered = await management.roles.getAll({ name_filter: 'compat-admin', include_totals: true });
  assert.deepEqual(filtered.data.roles.map((r) => r.id), [created.roles.admin.id]);
  assert.equal(filtered.data.total, 1);
});

test('create two users in the database connection', async () => {
  for (const u of USERS) {
    const res = await management.users.create({
      connection: CONNECTION, email: u.email, password: PASSWORD, name: u.name, email_verified: true,
    });
    assert.equal(res.status, 201);
    assert.match(res.data.user_id, /^auth0\|/);
    assert.equal(res.data.email, u.email);
    assert.equal(res.data.name, u.name);
    assert.equal(res.data.email_verified, true);
    assert.equal(res.data.password, undefined, 'the password is never returned');
    assert.equal(res.data.identities[0].connection, CONNECTION);
    assert.equal(res.data.identities[0].provider, 'auth0');
    assert.equal(`auth0|${res.data.identities[0].user_id}`, res.data.user_id);
    created.users[u.role] = res.data;
  }
});

test('assign the roles and read user roles and permissions back', async () => {
  for (const u of USERS) {
    const user = created.users[u.role];
    const res = await management.users.assignRoles({ id: user.user_id }, { roles: [created.roles[u.role].id] });
    assert.equal(res.status, 204, 'Auth0 answers POST /users/{id}/roles with 204');

    const roles = await management.users.getRoles({ id: user.user_id });
    assert.deepEqual(roles.data.map((r) => r.name), [`compat-${u.role}`]);

    const perms = await management.users.getPermissions({ id: user.user_id, per_page: 50 });
    assert.deepEqual(sorted(perms.data.map((p) => p.permission_name)), sorted(ROLE_PERMISSIONS[u.role]));
    for (const p of perms.data) assert.equal(p.resource_server_identifier, API_IDENTIFIER);

    const totals = await management.users.getRoles({ id: user.user_id, include_totals: true, per_page: 100 });
    assert.equal(totals.data.total, 1);
    assert.equal(totals.data.roles.length, 1);
  }
});

test('role users list the members', async () => {
  for (const u of USERS) {
    const res = await management.roles.getUsers({ id: created.roles[u.role].id });
    assert.equal(res.status, 200);
    assert.deepEqual(res.data.map((x) => x.user_id), [created.users[u.role].user_id]);
    assert.equal(res.data[0].email, u.email);
  }
  // Checkpoint paging: take 1 from the start.
  const cp = await management.roles.getUsers({ id: created.roles.admin.id, take: 1 });
  assert.deepEqual(cp.data.users.map((x) => x.user_id), [created.users.admin.user_id]);
});

test('users search by email with q and search_engine v3', async () => {
  const res = await management.users.getAll({ q: `email:"${USERS[0].email}"`, search_engine: 'v3' });
  assert.equal(res.status, 200);
  assert.deepEqual(res.data.map((u) => u.user_id), [created.users.user.user_id]);

  const totals = await management.users.getAll({
    q: `email:"${USERS[1].email}"`, search_engine: 'v3', include_totals: true, per_page: 50,
  });
  assert.equal(totals.data.total, 1);
  assert.equal(totals.data.start, 0);
  assert.equal(totals.data.limit, 50);
  assert.equal(totals.data.users[0].user_id, created.users.admin.user_id);

  const none = await management.users.getAll({ q: 'email:"nobody@example.org"', search_engine: 'v3' });
  assert.deepEqual(none.data, []);
});

test('users list pages with include_totals and per_page', async () => {
  const first = await management.users.getAll({ include_totals: true, per_page: 1, page: 0 });
  assert.equal(first.data.users.length, 1);
  assert.equal(first.data.limit, 1);
  // two seeded by dev, two created here
  assert.ok(first.data.total >= 4, `total ${first.data.total}`);
  const ids = [];
  for (let page = 0; page < first.data.total; page++) {
    const res = await management.users.getAll({ include_totals: true, per_page: 1, page });
    ids.push(res.data.users[0].user_id);
  }
  assert.equal(new Set(ids).size, first.data.total);
  for (const u of Object.values(created.users)) assert.ok(ids.includes(u.user_id));
});

test('users-by-email finds the user', async () => {
  const res = await management.usersByEmail.getByEmail({ email: USERS[1].email });
  assert.equal(res.status, 200);
  assert.ok(Array.isArray(res.data));
  assert.deepEqual(res.data.map((u) => u.user_id), [created.users.admin.user_id]);
  assert.equal(res.data[0].name, USERS[1].name);
});

test('client grants: grant the M2M app the API, list it, and use it', async () => {
  const res = await management.clientGrants.create({
    client_id: tenant.m2m_app.client_id, audience: API_IDENTIFIER, scope: ['admin:read'],
  });
  assert.equal(res.status, 201);
  assert.match(res.data.id, /^cgr_/);
  assert.deepEqual(res.data.scope, ['admin:read']);

  const list = await management.clientGrants.getAll({ client_id: tenant.m2m_app.client_id });
  const mine = list.data.find((g) => g.id === res.data.id);
  assert.ok(mine, 'the grant is listed for its client');
  assert.equal(mine.audience, API_IDENTIFIER);

  const byAudience = await management.clientGrants.getAll({ audience: API_IDENTIFIER, include_totals: true });
  assert.equal(byAudience.data.total, 1);
  assert.equal(byAudience.data.client_grants[0].id, res.data.id);

  // The Management client's own grant is visible too.
  const mgmt = await management.clientGrants.getAll({ client_id: tenant.management_api.client_id });
  assert.ok(mgmt.data.some((g) => g.audience === tenant.management_api.audience));

  const upd = await management.clientGrants.update({ id: res.data.id }, { scope: ['admin:read', 'read:own_data'] });
  assert.deepEqual(sorted(upd.data.scope), ['admin:read', 'read:own_data']);

  const auth = authenticationClient(tenant.m2m_app.client_id, tenant.m2m_app.client_secret);
  const tok = await auth.oauth.clientCredentialsGrant({ audience: API_IDENTIFIER });
  assert.equal(tok.data.token_type, 'Bearer');
  const claims = JSON.parse(Buffer.from(tok.data.access_token.split('.')[1], 'base64url').toString());
  assert.equal(claims.iss, tenant.issuer);
  assert.ok([].concat(claims.aud).includes(API_IDENTIFIER));
  assert.deepEqual(sorted(claims.scope.split(' ')), ['admin:read', 'read:own_data']);
});

test('the application can be updated and deleted', async () => {
  const upd = await management.clients.update(
    { client_id: created.client.client_id },
    { callbacks: ['http://localhost:3000/api/auth/callback'] },
  );
  assert.equal(upd.status, 200);
  assert.deepEqual(upd.data.callbacks, ['http://localhost:3000/api/auth/callback']);
  assert.deepEqual(upd.data.allowed_logout_urls, WEB_APP.allowed_logout_urls, 'other fields untouched');

  const del = await management.clients.delete({ client_id: created.client.client_id });
  assert.equal(del.status, 204);
  await assert.rejects(management.clients.get({ client_id: created.client.client_id }), { statusCode: 404 });
});
