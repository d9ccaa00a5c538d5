// Connections to other identity providers (oidc, github) created, read, updated and deleted with the
// auth0 SDK's ManagementClient (connections), unchanged: Auth0's option names, show_as_button, the client
// secret never shown, validation errors as ManagementError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { AuthClient } from '@auth0/auth0-auth-js';
import { management, tenant, domain, expectApiError } from './tenant.js';

const suffix = Date.now().toString(36);

test('upstream connections: an enterprise oidc connection and the github preset', async (t) => {
  const secret = `oidc-secret-${suffix}`;
  const oidc = await management.connections.create({
    name: `acme-oidc-${suffix}`, strategy: 'oidc', display_name: 'Acme', show_as_button: true,
    enabled_clients: [tenant.web_app.client_id],
    options: {
      type: 'back_channel', client_id: 'acme-client', client_secret: secret, scope: 'openid profile email',
      issuer: 'http://127.0.0.1:4515/', authorization_endpoint: 'http://127.0.0.1:4515/authorize',
      token_endpoint: 'http://127.0.0.1:4515/oauth/token', jwks_uri: 'http://127.0.0.1:4515/.well-known/jwks.json',
      domain_aliases: ['acme.example'],
    },
  });
  t.after(() => management.connections.delete(oidc.id).catch(() => {}));
  assert.equal(oidc.strategy, 'oidc');
  assert.equal(oidc.show_as_button, true);
  assert.equal(oidc.options.client_id, 'acme-client');
  assert.deepEqual(oidc.options.domain_aliases, ['acme.example']);
  assert.equal(oidc.options.client_secret, undefined, 'the client secret is write-only');
  assert.ok(!JSON.stringify(oidc).includes(secret));

  const got = await management.connections.get(oidc.id);
  assert.equal(got.options.token_endpoint, 'http://127.0.0.1:4515/oauth/token');
  assert.ok(!JSON.stringify(got).includes(secret));

  const updated = await management.connections.update(oidc.id, {
    show_as_button: false, options: { ...got.options, scope: 'openid email' },
  });
  assert.equal(updated.show_as_button, false);
  assert.equal(updated.options.scope, 'openid email');

  const { data: list } = await management.connections.list({ strategy: ['oidc'] });
  assert.ok(list.some((c) => c.id === oidc.id));

  const gh = await management.connections.create({
    name: `github-${suffix}`, strategy: 'github',
    options: { client_id: 'gh-id', client_secret: 'gh-secret', tokenURL: 'http://127.0.0.1:4515/login/oauth/access_token' },
  });
  t.after(() => management.connections.delete(gh.id).catch(() => {}));
  assert.equal(gh.options.tokenURL, 'http://127.0.0.1:4515/login/oauth/access_token');

  // Refusals: what the strategy needs, and a type Auth0 does not have.
  await assert.rejects(management.connections.create({ name: `no-id-${suffix}`, strategy: 'oidc',
    options: { client_secret: 's', discovery_url: 'http://127.0.0.1:4515/.well-known/openid-configuration' } }),
  expectApiError(400, undefined, /client_id/));
  await assert.rejects(management.connections.create({ name: `implicit-${suffix}`, strategy: 'oidc',
    options: { client_id: 'x', client_secret: 's', type: 'implicit', issuer: 'http://127.0.0.1:4515/' } }),
  expectApiError(400, undefined, /back_channel/));

  // front_channel: an ID token by form_post, no client secret.
  const front = await management.connections.create({ name: `front-${suffix}`, strategy: 'oidc',
    options: { client_id: 'x', type: 'front_channel', issuer: 'http://127.0.0.1:4515/' } });
  t.after(() => management.connections.delete(front.id).catch(() => {}));
  assert.equal(front.options.type, 'front_channel');

  // The other presets, their URLs pointed at loopback.
  for (const [strategy, options] of [
    ['windowslive', { profileURL: 'http://127.0.0.1:4515/v1.0/me' }],
    ['facebook', { tokenURL: 'http://127.0.0.1:4515/oauth/access_token' }],
  ]) {
    const preset = await management.connections.create({ name: `${strategy}-${suffix}`, strategy,
      options: { client_id: `${strategy}-id`, client_secret: `${strategy}-secret`, ...options } });
    t.after(() => management.connections.delete(preset.id).catch(() => {}));
    assert.equal(preset.strategy, strategy);
    assert.ok(!JSON.stringify(preset).includes(`${strategy}-secret`));
  }
  await assert.rejects(management.connections.create({ name: `apple-${suffix}`, strategy: 'apple',
    options: { client_id: 'com.example.web', client_secret: 'not a key', team_id: 'TEAM', kid: 'KEY' } }),
  expectApiError(400, undefined, /client_secret/));
});

// Account linking through the SDK's users.identities (link, delete): a GitHub-shaped provider on
// loopback (port 3240) signs a user in, so that github|<id> exists; linking it to a database user
// keeps the primary's user_id, moves the account into identities[] (its upstream token shown to
// this client, which holds read:user_idp_tokens) and makes a GitHub sign-in sign the primary in;
// unlinking makes it an account of its own again.
const GH_PORT = 3240;

function startGitHub(id) {
  const codes = new Map();
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, `http://127.0.0.1:${GH_PORT}`);
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
          .end(ok ? 'access_token=gho_compat&refresh_token=ghr_compat&token_type=bearer' : 'error=bad_verification_code');
      });
      return;
    }
    if (req.headers.authorization !== 'Bearer gho_compat') {
      res.writeHead(401).end();
      return;
    }
    if (u.pathname === '/user') {
      res.writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id: id.value, login: 'octo', name: 'Octo Cat', email: null }));
      return;
    }
    if (u.pathname === '/user/emails') {
      res.writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify([{ email: `octo-${suffix}@example.com`, primary: true, verified: true }]));
      return;
    }
    res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(GH_PORT, '127.0.0.1', () => resolve(server)));
}

// signInThrough runs /authorize?connection= in a cookie-keeping "browser" and returns the app's
// ID token claims, the code exchanged by @auth0/auth0-auth-js (which checks the ID token; it takes no
// state it did not make, so the request sends none).
async function signInThrough(connection) {
  const cookies = new Map();
  const step = async (url) => {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const c of res.headers.getSetCookie()) {
      const [kv] = c.split(';');
      const i = kv.indexOf('=');
      cookies.set(kv.slice(0, i), kv.slice(i + 1));
    }
    assert.equal(res.status, 302, `${url} answered ${res.status}: ${await res.text()}`);
    return res.headers.get('location');
  };
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL('/authorize', tenant.issuer);
  for (const [k, v] of Object.entries({ client_id: tenant.web_app.client_id, response_type: 'code', redirect_uri: tenant.web_app.callback,
    scope: 'openid profile email', connection, code_challenge_method: 'S256',
    code_challenge: createHash('sha256').update(verifier).digest('base64url') })) {
    authorize.searchParams.set(k, v);
  }
  let loc = await step(authorize);
  assert.ok(loc.startsWith(`http://127.0.0.1:${GH_PORT}/login/oauth/authorize?`), loc);
  loc = await step(loc);
  assert.ok(loc.startsWith(new URL('/login/callback', tenant.issuer).toString()), loc);
  loc = await step(loc);
  const cb = new URL(loc);
  assert.equal(`${cb.origin}${cb.pathname}`, tenant.web_app.callback, loc);
  const auth = new AuthClient({ domain, clientId: tenant.web_app.client_id, clientSecret: tenant.web_app.client_secret });
  const tokens = await auth.getTokenByCode(cb, { codeVerifier: verifier });
  const claims = JSON.parse(Buffer.from(tokens.idToken.split('.')[1], 'base64url').toString());
  assert.deepEqual(tokens.claims, claims);
  return claims;
}

test('account linking: users.identities.link and users.identities.delete with a GitHub identity', async (t) => {
  const ghID = { value: Number(Date.now().toString().slice(-9)) };
  const server = await startGitHub(ghID);
  t.after(() => server.close());
  const conn = await management.connections.create({
    name: `gh-link-${suffix}`, strategy: 'github', enabled_clients: [tenant.web_app.client_id],
    options: { client_id: 'gh-id', client_secret: 'gh-secret', authorizationURL: `http://127.0.0.1:${GH_PORT}/login/oauth/authorize`,
      tokenURL: `http://127.0.0.1:${GH_PORT}/login/oauth/access_token`, profileURL: `http://127.0.0.1:${GH_PORT}/user` },
  });
  t.after(() => management.connections.delete(conn.id).catch(() => {}));

  const secondaryID = `github|${ghID.value}`;
  assert.equal((await signInThrough(conn.name)).sub, secondaryID);
  t.after(() => management.users.delete(secondaryID).catch(() => {}));
  const primary = await management.users.create({ connection: 'Username-Password-Authentication',
    email: `primary-${suffix}@example.com`, password: `Primary-${suffix}-Pw1!`, name: 'Primary Person' });
  t.after(() => management.users.delete(primary.user_id).catch(() => {}));

  // Refusals: linking an account to itself, an account that does not exist.
  await assert.rejects(management.users.identities.link(primary.user_id, { provider: 'auth0', user_id: primary.user_id.split('|')[1] }),
    expectApiError(400));
  await assert.rejects(management.users.identities.link(primary.user_id, { provider: 'github', user_id: '1' }),
    expectApiError(400, undefined, /does not exist/));

  const linked = await management.users.identities.link(primary.user_id, { provider: 'github', user_id: String(ghID.value) });
  assert.equal(linked.length, 2);
  assert.deepEqual([linked[0].provider, linked[0].user_id], ['auth0', primary.user_id.split('|')[1]]);
  assert.deepEqual([linked[1].provider, linked[1].user_id, linked[1].connection, linked[1].isSocial],
    ['github', String(ghID.value), conn.name, true]);
  assert.equal(linked[1].profileData.email, `octo-${suffix}@example.com`);
  await assert.rejects(management.users.get(secondaryID), expectApiError(404));

  const got = await management.users.get(primary.user_id);
  assert.equal(got.user_id, primary.user_id);
  assert.equal(got.name, 'Primary Person');
  assert.equal(got.identities[1].access_token, 'gho_compat', 'read:user_idp_tokens shows the upstream token');
  assert.equal(got.identities[1].refresh_token, 'ghr_compat');

  // A GitHub sign-in now signs the primary in, with the primary's sub.
  const claims = await signInThrough(conn.name);
  assert.equal(claims.sub, primary.user_id);
  assert.equal(claims.name, 'Primary Person');

  await assert.rejects(management.users.identities.delete(primary.user_id, 'auth0', primary.user_id.split('|')[1]),
    expectApiError(400));
  const left = await management.users.identities.delete(primary.user_id, 'github', String(ghID.value));
  assert.equal(left.length, 1);
  const again = await management.users.get(secondaryID);
  assert.equal(again.email, `octo-${suffix}@example.com`);
  assert.equal((await signInThrough(conn.name)).sub, secondaryID);
});

// A samlp connection (Gatehouse the SAML service provider) with Auth0's option names: signingCert as
// base64 of the IdP's PEM, fieldsMap, idpinitiated; a service provider key generated for it whose
// certificate is shown and whose private key never is; its SP metadata at Auth0's path.
const idpSigningCert = 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURIVENDQWdXZ0F3SUJBZ0lVUnV0NTVsREdrMzBQVElGckpMR1lwTGdaenZ3d0RRWUpLb1pJaHZjTkFRRUwKQlFBd0hqRWNNQm9HQTFVRUF3d1RhV1J3TG5CaGNuUnVaWEl1WlhoaGJYQnNaVEFlRncweU5qRXlNRFl4TURVMApNVEJhRncwek5qRXlNRE14TURVME1UQmFNQjR4SERBYUJnTlZCQU1NRTJsa2NDNXdZWEowYm1WeUxtVjRZVzF3CmJHVXdnZ0VpTUEwR0NTcUdTSWIzRFFFQkFRVUFBNElCRHdBd2dnRUtBb0lCQVFDbzkrejRzNzB0cEZuU21wNXIKeXdaVHFzWitqYm1MeDhHRUxJdi9oaTdpSjBvemRvdnU2Q1NKeGpPQmlGeHQxMGYzMFRDQit0anZoUitvcFl2TQpDd0MwaTJ1SE9CN0VLRnp1TlZRVHdldXgxWGhNV1RxdGFoWHRWTmg3TG5wVjA1MGdOOU1rUVJCeldkbUpmQXArCkJZdmlianMxbjgzV1Z5MEszMGVmdjQ4VmxkYmgrMVFsanZ1ajBzeVdSTlpCNkdqUksvTzNCZWxXakF0YzJNTE0KMm5jNHEwWHVScHE0cW94VjVCUmgwTm9SQkduS0xpekI4eFY5dVBTTkhQL0hsR1RKQmlJT0ZYNEx4OTV5TGZaRgoraEoxQThrc05zZk5xMlBzcU5CQmZIZ2lmZWVxNWIxNHVvUGZzbDZtMDd3N0F2R1pXZk5Fem5EUzBoN3pkREk1CmdpWjFBZ01CQUFHalV6QlJNQjBHQTFVZERnUVdCQlJOYWVIa2hGeGttaGp0SCtLLy93L3JSN0VwNVRBZkJnTlYKSFNNRUdEQVdnQlJOYWVIa2hGeGttaGp0SCtLLy93L3JSN0VwNVRBUEJnTlZIUk1CQWY4RUJUQURBUUgvTUEwRwpDU3FHU0liM0RRRUJDd1VBQTRJQkFRQ2pmSFlKcGxrWTNDNGdvOHVJcDB5VGtTYkQ3S0V0QTJWZGlFVlEvMFdpCk5yUkJacEpXeGNHL0d1Q2g4YVJmVkR6cS9Ld2MrRXNIZzBPb2cvSnFWSjlZNjdRNndGVTVid2NzQzFrQk50Y0wKUHphUFd0VVNqUkQ5L21EbG1sTDRTemxCZk9DZjB5SzBHVzJGTHFTVFhwRzBucWQ2L1dreWNrYmRnbGRycmdRaQpXQUtBYko2S0xaaHlUdXIvdms2SmtpNWd2QmtyNVA2T1NnYXRlUW1MNmF0TklsQnpLL2sxTThlV0RraDZxN1Z1CmhNek1zTU5ST1ZsZS82eUc4aTFERE1FanhyQXhVMlBaTDFiQjRweVNleGRSd29sYzZJNjJjaDZXVXQxVFpjaWMKcWdvMmZlTUh2NlJMaW9MMjdXb3BHc0diRWhTWTNmOFhZQVdudks3QmJTcHQKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=';

test('upstream connections: a samlp connection', async (t) => {
  const name = `partner-saml-${suffix}`;
  const saml = await management.connections.create({
    name, strategy: 'samlp', show_as_button: true, enabled_clients: [tenant.web_app.client_id],
    options: {
      signInEndpoint: 'http://127.0.0.1:4516/sso', signingCert: idpSigningCert, signSAMLRequest: true,
      signatureAlgorithm: 'rsa-sha256', digestAlgorithm: 'sha256',
      protocolBinding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
      fieldsMap: { email: 'mail', given_name: ['givenName', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname'] },
      user_id_attribute: 'uid', domain_aliases: ['partner.example'], debug: true,
      idpinitiated: { enabled: true, client_id: tenant.web_app.client_id, client_protocol: 'oauth2', client_authorizequery: 'response_type=code&scope=openid' },
    },
  });
  t.after(() => management.connections.delete(saml.id).catch(() => {}));
  assert.equal(saml.strategy, 'samlp');
  assert.equal(saml.options.signInEndpoint, 'http://127.0.0.1:4516/sso');
  assert.equal(saml.options.signingCert, idpSigningCert);
  assert.equal(saml.options.signSAMLRequest, true);
  assert.deepEqual(saml.options.fieldsMap, { email: 'mail', given_name: ['givenName', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname'] });
  assert.equal(saml.options.user_id_attribute, 'uid');
  assert.deepEqual(saml.options.idpinitiated, { enabled: true, client_id: tenant.web_app.client_id, client_protocol: 'oauth2', client_authorizequery: 'response_type=code&scope=openid' });
  assert.match(saml.options.signing_key.cert, /^-----BEGIN CERTIFICATE-----/);
  assert.equal(saml.options.signing_key.key, undefined, 'the SP private key is write-only');
  assert.ok(!JSON.stringify(saml).includes('PRIVATE KEY'));

  // A read-modify-write of options keeps the SP key (its certificate comes back unchanged).
  const got = await management.connections.get(saml.id);
  const updated = await management.connections.update(saml.id, { options: { ...got.options, debug: false } });
  assert.equal(updated.options.debug, undefined);
  assert.equal(updated.options.signing_key.cert, saml.options.signing_key.cert);
  // Options without signing_key keep it too.
  const { signing_key: _dropped, ...withoutKey } = got.options;
  const again = await management.connections.update(saml.id, { options: withoutKey });
  assert.equal(again.options.signing_key.cert, saml.options.signing_key.cert);

  const { data: list } = await management.connections.list({ strategy: ['samlp'] });
  assert.ok(list.some((c) => c.id === saml.id));

  // The SP metadata an administrator hands to their IdP: Auth0's entity id and ACS.
  const res = await fetch(`${tenant.issuer}samlp/metadata?connection=${name}`);
  assert.equal(res.status, 200);
  const xml = await res.text();
  assert.match(xml, new RegExp(`entityID="urn:auth0:[^:"]+:${name}"`));
  assert.ok(xml.includes(`Location="${tenant.issuer}login/callback?connection=${name}"`), xml);
  assert.ok(xml.includes(saml.options.signing_key.cert.split('\n')[1]), 'the SP certificate is published');

  // Refusals: what samlp needs, and what it cannot take.
  await assert.rejects(management.connections.create({ name: `no-cert-${suffix}`, strategy: 'samlp',
    options: { signInEndpoint: 'http://127.0.0.1:4516/sso' } }),
  expectApiError(400, undefined, /signingCert/));
  await assert.rejects(management.connections.create({ name: `bad-cert-${suffix}`, strategy: 'samlp',
    options: { signInEndpoint: 'http://127.0.0.1:4516/sso', signingCert: 'bm90IGEgY2VydA==' } }),
  expectApiError(400, undefined, /signingCert/));
  await assert.rejects(management.connections.create({ name: `bad-alg-${suffix}`, strategy: 'samlp',
    options: { signInEndpoint: 'http://127.0.0.1:4516/sso', signingCert: idpSigningCert, signatureAlgorithm: 'hmac-sha256' } }),
  expectApiError(400, undefined, /signatureAlgorithm/));
  await assert.rejects(management.connections.create({ name: `no-client-${suffix}`, strategy: 'samlp',
    options: { signInEndpoint: 'http://127.0.0.1:4516/sso', signingCert: idpSigningCert, idpinitiated: { enabled: true } } }),
  expectApiError(400, undefined, /idpinitiated.client_id/));
});
