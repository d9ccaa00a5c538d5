// The seed guide's whole configuration (steps 1 and 8: application, API, permissions, roles, users), built
// through the Management API with Auth0's own Node SDK and read back the way an Auth0 customer's tooling
// reads it. Every assertion states Auth0's behaviour (spec §3, §4); none is bent to fit Gatehouse.
//
// The tests in this file run in order and share what they created.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthClient } from '@auth0/auth0-auth-js';
import { management, tenant, domain, withStatus, expectApiError } from './tenant.js';

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
  const [client, status] = await withStatus(management.clients.create(WEB_APP));
  assert.equal(status, 201);
  assertWebApp(client);
  assert.ok(client.client_secret && client.client_secret.length >= 32, 'the secret is shown on create');
  created.client = client;
});

test('step 1: the application reads back with every setting', async () => {
  const [client, status] = await withStatus(management.clients.get(created.client.client_id));
  assert.equal(status, 200);
  assertWebApp(client);
});

test('clients list pages with include_totals and per_page', async () => {
  const first = await management.clients.list({ include_totals: true, per_page: 2, page: 0 });
  assert.equal(first.rawResponse.status, 200);
  assert.equal(first.response.start, 0);
  assert.equal(first.response.limit, 2);
  assert.ok(Array.isArray(first.response.clients));
  assert.equal(first.data.length, 2);
  // dev seeds the web app, the M2M app and the Management API client; this suite added one more.
  const total = first.response.total;
  assert.ok(total >= 4, `total ${total}`);

  const ids = [];
  for (let page = 0; page * 2 < total; page++) {
    const res = await management.clients.list({ include_totals: true, per_page: 2, page });
    assert.equal(res.response.start, page * 2);
    ids.push(...res.data.map((c) => c.client_id));
  }
  assert.equal(ids.length, total);
  assert.equal(new Set(ids).size, ids.length, 'pages do not overlap');
  assert.ok(ids.includes(created.client.client_id));

  // The SDK's own paging (hasNextPage/getNextPage until a short page) walks the same clients.
  const walked = [];
  for await (const c of await management.clients.list({ per_page: 2 })) walked.push(c.client_id);
  assert.deepEqual(sorted(walked), sorted(ids));

  const bare = await management.clients.list({ include_totals: false, per_page: 100 });
  assert.ok(Array.isArray(bare.response), 'without include_totals the list is a bare array');
});

test('step 8: create the API with RS256 and the four permissions', async () => {
  const [api, status] = await withStatus(management.resourceServers.create({
    name: 'Compat App API',
    identifier: API_IDENTIFIER,
    signing_alg: 'RS256',
    scopes: PERMISSIONS,
    enforce_policies: true,
    token_dialect: 'access_token_authz',
    allow_offline_access: true,
  }));
  assert.equal(status, 201);
  assert.match(api.id, /^[0-9a-f]{24}$/);
  assert.equal(api.identifier, API_IDENTIFIER);
  assert.equal(api.signing_alg, 'RS256');
  assert.deepEqual(api.scopes, PERMISSIONS);
  created.api = api;
});

test('step 8: the API reads back by id and by its url-encoded identifier', async () => {
  const [byId, status] = await withStatus(management.resourceServers.get(created.api.id));
  assert.equal(status, 200);
  assert.equal(byId.identifier, API_IDENTIFIER);
  assert.deepEqual(byId.scopes, PERMISSIONS);
  assert.equal(byId.enforce_policies, true);
  assert.equal(byId.token_dialect, 'access_token_authz');
  assert.equal(byId.allow_offline_access, true);

  // The SDK url-encodes the path parameter; Auth0 accepts the identifier in place of the id.
  const byIdentifier = await management.resourceServers.get(API_IDENTIFIER);
  assert.equal(byIdentifier.id, created.api.id);

  const list = await management.resourceServers.list({ include_totals: true, per_page: 1, page: 0 });
  assert.equal(list.response.limit, 1);
  assert.equal(list.data.length, 1);
  // the Management API itself, the dev tenant's API and this one
  assert.ok(list.response.total >= 3, `total ${list.response.total}`);
});

test('step 8: create roles user and admin with their permissions', async () => {
  for (const [name, perms] of Object.entries(ROLE_PERMISSIONS)) {
    // "compat-" keeps the names apart from the dev tenant's own user/admin roles.
    const [role, status] = await withStatus(management.roles.create({ name: `compat-${name}`, description: `Compat ${name}` }));
    assert.equal(status, 200, 'Auth0 answers POST /roles with 200');
    assert.match(role.id, /^rol_[A-Za-z0-9]{16}$/);
    assert.equal(role.name, `compat-${name}`);
    created.roles[name] = role;

    const [, added] = await withStatus(management.roles.permissions.add(role.id, {
      permissions: perms.map((p) => ({ resource_server_identifier: API_IDENTIFIER, permission_name: p })),
    }));
    assert.equal(added, 201, 'Auth0 answers POST /roles/{id}/permissions with 201');
  }
});

test('step 8: roles read back with their permissions', async () => {
  for (const [name, perms] of Object.entries(ROLE_PERMISSIONS)) {
    const role = await management.roles.get(created.roles[name].id);
    assert.equal(role.name, `compat-${name}`);
    assert.equal(role.description, `Compat ${name}`);

    const res = await management.roles.permissions.list(created.roles[name].id, { per_page: 50 });
    assert.equal(res.rawResponse.status, 200);
    assert.deepEqual(sorted(res.data.map((p) => p.permission_name)), sorted(perms));
    for (const p of res.data) {
      assert.equal(p.resource_server_identifier, API_IDENTIFIER);
      assert.equal(p.resource_server_name, 'Compat App API');
      assert.equal(p.description, PERMISSIONS.find((x) => x.value === p.permission_name).description);
    }
  }

  const paged = await management.roles.permissions.list(created.roles.admin.id, {
    include_totals: true, per_page: 3, page: 1,
  });
  assert.equal(paged.response.total, 4);
  assert.equal(paged.data.length, 1);

  const filtered = await management.roles.list({ name_filter: 'compat-admin', include_totals: true });
  assert.deepEqual(filtered.data.map((r) => r.id), [created.roles.admin.id]);
  assert.equal(filtered.response.total, 1);
});

test('create two users in the database connection', async () => {
  for (const u of USERS) {
    const [user, status] = await withStatus(management.users.create({
      connection: CONNECTION, email: u.email, password: PASSWORD, name: u.name, email_verified: true,
    }));
    assert.equal(status, 201);
    assert.match(user.user_id, /^auth0\|/);
    assert.equal(user.email, u.email);
    assert.equal(user.name, u.name);
    assert.equal(user.email_verified, true);
    assert.equal(user.password, undefined, 'the password is never returned');
    assert.equal(user.identities[0].connection, CONNECTION);
    assert.equal(user.identities[0].provider, 'auth0');
    assert.equal(`auth0|${user.identities[0].user_id}`, user.user_id);
    created.users[u.role] = user;
  }
});

test('assign the roles and read user roles and permissions back', async () => {
  for (const u of USERS) {
    const user = created.users[u.role];
    const [, status] = await withStatus(management.users.roles.assign(user.user_id, { roles: [created.roles[u.role].id] }));
    assert.equal(status, 204, 'Auth0 answers POST /users/{id}/roles with 204');

    const roles = await management.users.roles.list(user.user_id);
    assert.deepEqual(roles.data.map((r) => r.name), [`compat-${u.role}`]);

    const perms = await management.users.permissions.list(user.user_id, { per_page: 50 });
    assert.deepEqual(sorted(perms.data.map((p) => p.permission_name)), sorted(ROLE_PERMISSIONS[u.role]));
    for (const p of perms.data) assert.equal(p.resource_server_identifier, API_IDENTIFIER);

    const totals = await management.users.roles.list(user.user_id, { include_totals: true, per_page: 100 });
    assert.equal(totals.response.total, 1);
    assert.equal(totals.data.length, 1);
  }
});

test('role users list the members', async () => {
  for (const u of USERS) {
    const res = await management.roles.users.list(created.roles[u.role].id);
    assert.equal(res.rawResponse.status, 200);
    assert.deepEqual(res.data.map((x) => x.user_id), [created.users[u.role].user_id]);
    assert.equal(res.data[0].email, u.email);
  }
  // Checkpoint paging: take 1 from the start.
  const cp = await management.roles.users.list(created.roles.admin.id, { take: 1 });
  assert.deepEqual(cp.response.users.map((x) => x.user_id), [created.users.admin.user_id]);
});

test('users search by email with q and search_engine v3', async () => {
  const res = await management.users.list({ q: `email:"${USERS[0].email}"`, search_engine: 'v3' });
  assert.equal(res.rawResponse.status, 200);
  assert.deepEqual(res.data.map((u) => u.user_id), [created.users.user.user_id]);

  const totals = await management.users.list({
    q: `email:"${USERS[1].email}"`, search_engine: 'v3', include_totals: true, per_page: 50,
  });
  assert.equal(totals.response.total, 1);
  assert.equal(totals.response.start, 0);
  assert.equal(totals.response.limit, 50);
  assert.equal(totals.data[0].user_id, created.users.admin.user_id);

  const none = await management.users.list({ q: 'email:"nobody@example.org"', search_engine: 'v3' });
  assert.deepEqual(none.data, []);
  assert.equal(none.hasNextPage(), false);
});

test('users list pages with include_totals and per_page', async () => {
  const first = await management.users.list({ include_totals: true, per_page: 1, page: 0 });
  assert.equal(first.data.length, 1);
  assert.equal(first.response.limit, 1);
  // two seeded by dev, two created here
  const total = first.response.total;
  assert.ok(total >= 4, `total ${total}`);
  const ids = [];
  for (let page = 0; page < total; page++) {
    const res = await management.users.list({ include_totals: true, per_page: 1, page });
    ids.push(res.data[0].user_id);
  }
  assert.equal(new Set(ids).size, total);
  for (const u of Object.values(created.users)) assert.ok(ids.includes(u.user_id));
});

test('users-by-email finds the user', async () => {
  const [users, status] = await withStatus(management.users.listUsersByEmail({ email: USERS[1].email }));
  assert.equal(status, 200);
  assert.ok(Array.isArray(users));
  assert.deepEqual(users.map((u) => u.user_id), [created.users.admin.user_id]);
  assert.equal(users[0].name, USERS[1].name);
});

test('client grants: grant the M2M app the API, list it, and use it', async () => {
  const [grant, status] = await withStatus(management.clientGrants.create({
    client_id: tenant.m2m_app.client_id, audience: API_IDENTIFIER, scope: ['admin:read'],
  }));
  assert.equal(status, 201);
  assert.match(grant.id, /^cgr_/);
  assert.deepEqual(grant.scope, ['admin:read']);

  const list = await management.clientGrants.list({ client_id: tenant.m2m_app.client_id });
  const mine = list.data.find((g) => g.id === grant.id);
  assert.ok(mine, 'the grant is listed for its client');
  assert.equal(mine.audience, API_IDENTIFIER);

  // Checkpoint pages carry no total: the audience's grants are this one alone, with no page after it.
  const byAudience = await management.clientGrants.list({ audience: API_IDENTIFIER, include_totals: true });
  assert.deepEqual(byAudience.data.map((g) => g.id), [grant.id]);
  assert.equal(byAudience.hasNextPage(), false);

  // The Management client's own grant is visible too.
  const mgmt = await management.clientGrants.list({ client_id: tenant.management_api.client_id });
  assert.ok(mgmt.data.some((g) => g.audience === tenant.management_api.audience));

  // v7 pages client grants by checkpoint: one at a time, the SDK following `next` through every grant.
  const first = await management.clientGrants.list({ take: 1 });
  assert.equal(first.data.length, 1);
  assert.ok(first.response.next, 'a second page is announced');
  const walked = [];
  for await (const g of first) walked.push(g);
  assert.equal(new Set(walked.map((g) => g.id)).size, walked.length, 'pages do not overlap');
  assert.ok(walked.some((g) => g.id === grant.id));
  assert.ok(walked.some((g) => g.client_id === tenant.management_api.client_id && g.audience === tenant.management_api.audience));
  assert.ok(walked.length >= 3, `walked ${walked.length} grants`);

  const upd = await management.clientGrants.update(grant.id, { scope: ['admin:read', 'read:own_data'] });
  assert.deepEqual(sorted(upd.scope), ['admin:read', 'read:own_data']);

  // The token, as a new user gets it: auth0 v7 points to @auth0/auth0-auth-js for token grants.
  // Its customFetch keeps the token endpoint's own JSON, whose token_type the SDK lower-cases.
  let wire;
  const customFetch = async (input, init) => {
    const res = await fetch(input, init);
    if (new URL(input instanceof Request ? input.url : input).pathname === '/oauth/token') wire = await res.clone().json();
    return res;
  };
  const auth = new AuthClient({ domain, clientId: tenant.m2m_app.client_id, clientSecret: tenant.m2m_app.client_secret, customFetch });
  const tok = await auth.getTokenByClientCredentials({ audience: API_IDENTIFIER });
  assert.equal(tok.tokenType, 'bearer');
  assert.equal(wire.token_type, 'Bearer');
  assert.equal(wire.access_token, tok.accessToken);
  const claims = JSON.parse(Buffer.from(tok.accessToken.split('.')[1], 'base64url').toString());
  assert.equal(claims.iss, tenant.issuer);
  assert.ok([].concat(claims.aud).includes(API_IDENTIFIER));
  assert.deepEqual(sorted(claims.scope.split(' ')), ['admin:read', 'read:own_data']);
  assert.deepEqual(sorted(tok.scope.split(' ')), ['admin:read', 'read:own_data']);
});

test('the application can be updated and deleted', async () => {
  const [upd, status] = await withStatus(management.clients.update(
    created.client.client_id,
    { callbacks: ['http://localhost:3000/api/auth/callback'] },
  ));
  assert.equal(status, 200);
  assert.deepEqual(upd.callbacks, ['http://localhost:3000/api/auth/callback']);
  assert.deepEqual(upd.allowed_logout_urls, WEB_APP.allowed_logout_urls, 'other fields untouched');

  const [, deleted] = await withStatus(management.clients.delete(created.client.client_id));
  assert.equal(deleted, 204);
  await assert.rejects(management.clients.get(created.client.client_id), expectApiError(404));
});
