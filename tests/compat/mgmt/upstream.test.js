// Connections to other identity providers (oidc, github) created, read, updated and deleted with the
// auth0 SDK's ConnectionsManager, unchanged: Auth0's option names, show_as_button, the client secret
// never shown, validation errors as ManagementApiError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { management, tenant } from './tenant.js';

const suffix = Date.now().toString(36);

test('upstream connections: an enterprise oidc connection and the github preset', async (t) => {
  const secret = `oidc-secret-${suffix}`;
  const { data: oidc } = await management.connections.create({
    name: `acme-oidc-${suffix}`, strategy: 'oidc', display_name: 'Acme', show_as_button: true,
    enabled_clients: [tenant.web_app.client_id],
    options: {
      type: 'back_channel', client_id: 'acme-client', client_secret: secret, scope: 'openid profile email',
      issuer: 'http://127.0.0.1:4515/', authorization_endpoint: 'http://127.0.0.1:4515/authorize',
      token_endpoint: 'http://127.0.0.1:4515/oauth/token', jwks_uri: 'http://127.0.0.1:4515/.well-known/jwks.json',
      domain_aliases: ['acme.example'],
    },
  });
  t.after(() => management.connections.delete({ id: oidc.id }).catch(() => {}));
  assert.equal(oidc.strategy, 'oidc');
  assert.equal(oidc.show_as_button, true);
  assert.equal(oidc.options.client_id, 'acme-client');
  assert.deepEqual(oidc.options.domain_aliases, ['acme.example']);
  assert.equal(oidc.options.client_secret, undefined, 'the client secret is write-only');
  assert.ok(!JSON.stringify(oidc).includes(secret));

  const { data: got } = await management.connections.get({ id: oidc.id });
  assert.equal(got.options.token_endpoint, 'http://127.0.0.1:4515/oauth/token');
  assert.ok(!JSON.stringify(got).includes(secret));

  const { data: updated } = await management.connections.update({ id: oidc.id }, {
    show_as_button: false, options: { ...got.options, scope: 'openid email' },
  });
  assert.equal(updated.show_as_button, false);
  assert.equal(updated.options.scope, 'openid email');

  const { data: list } = await management.connections.getAll({ strategy: ['oidc'] });
  assert.ok(list.some((c) => c.id === oidc.id));

  const { data: gh } = await management.connections.create({
    name: `github-${suffix}`, strategy: 'github',
    options: { client_id: 'gh-id', client_secret: 'gh-secret', tokenURL: 'http://127.0.0.1:4515/login/oauth/access_token' },
  });
  t.after(() => management.connections.delete({ id: gh.id }).catch(() => {}));
  assert.equal(gh.options.tokenURL, 'http://127.0.0.1:4515/login/oauth/access_token');

  // Refusals: what the strategy needs, and front_channel (not run by Gatehouse).
  await assert.rejects(management.connections.create({ name: `no-id-${suffix}`, strategy: 'oidc',
    options: { client_secret: 's', discovery_url: 'http://127.0.0.1:4515/.well-known/openid-configuration' } }),
  (err) => err.statusCode === 400 && /client_id/.test(err.message));
  await assert.rejects(management.connections.create({ name: `front-${suffix}`, strategy: 'oidc',
    options: { client_id: 'x', client_secret: 's', type: 'front_channel', issuer: 'http://127.0.0.1:4515/' } }),
  (err) => err.statusCode === 400 && /back_channel/.test(err.message));
});

// A samlp connection (Gatehouse the SAML service provider) with Auth0's option names: signingCert as
// base64 of the IdP's PEM, fieldsMap, idpinitiated; a service provider key generated for it whose
// certificate is shown and whose private key never is; its SP metadata at Auth0's path.
const idpSigningCert = 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURIVENDQWdXZ0F3SUJBZ0lVUnV0NTVsREdrMzBQVElGckpMR1lwTGdaenZ3d0RRWUpLb1pJaHZjTkFRRUwKQlFBd0hqRWNNQm9HQTFVRUF3d1RhV1J3TG5CaGNuUnVaWEl1WlhoaGJYQnNaVEFlRncweU5qRXlNRFl4TURVMApNVEJhRncwek5qRXlNRE14TURVME1UQmFNQjR4SERBYUJnTlZCQU1NRTJsa2NDNXdZWEowYm1WeUxtVjRZVzF3CmJHVXdnZ0VpTUEwR0NTcUdTSWIzRFFFQkFRVUFBNElCRHdBd2dnRUtBb0lCQVFDbzkrejRzNzB0cEZuU21wNXIKeXdaVHFzWitqYm1MeDhHRUxJdi9oaTdpSjBvemRvdnU2Q1NKeGpPQmlGeHQxMGYzMFRDQit0anZoUitvcFl2TQpDd0MwaTJ1SE9CN0VLRnp1TlZRVHdldXgxWGhNV1RxdGFoWHRWTmg3TG5wVjA1MGdOOU1rUVJCeldkbUpmQXArCkJZdmlianMxbjgzV1Z5MEszMGVmdjQ4VmxkYmgrMVFsanZ1ajBzeVdSTlpCNkdqUksvTzNCZWxXakF0YzJNTE0KMm5jNHEwWHVScHE0cW94VjVCUmgwTm9SQkduS0xpekI4eFY5dVBTTkhQL0hsR1RKQmlJT0ZYNEx4OTV5TGZaRgoraEoxQThrc05zZk5xMlBzcU5CQmZIZ2lmZWVxNWIxNHVvUGZzbDZtMDd3N0F2R1pXZk5Fem5EUzBoN3pkREk1CmdpWjFBZ01CQUFHalV6QlJNQjBHQTFVZERnUVdCQlJOYWVIa2hGeGttaGp0SCtLLy93L3JSN0VwNVRBZkJnTlYKSFNNRUdEQVdnQlJOYWVIa2hGeGttaGp0SCtLLy93L3JSN0VwNVRBUEJnTlZIUk1CQWY4RUJUQURBUUgvTUEwRwpDU3FHU0liM0RRRUJDd1VBQTRJQkFRQ2pmSFlKcGxrWTNDNGdvOHVJcDB5VGtTYkQ3S0V0QTJWZGlFVlEvMFdpCk5yUkJacEpXeGNHL0d1Q2g4YVJmVkR6cS9Ld2MrRXNIZzBPb2cvSnFWSjlZNjdRNndGVTVid2NzQzFrQk50Y0wKUHphUFd0VVNqUkQ5L21EbG1sTDRTemxCZk9DZjB5SzBHVzJGTHFTVFhwRzBucWQ2L1dreWNrYmRnbGRycmdRaQpXQUtBYko2S0xaaHlUdXIvdms2SmtpNWd2QmtyNVA2T1NnYXRlUW1MNmF0TklsQnpLL2sxTThlV0RraDZxN1Z1CmhNek1zTU5ST1ZsZS82eUc4aTFERE1FanhyQXhVMlBaTDFiQjRweVNleGRSd29sYzZJNjJjaDZXVXQxVFpjaWMKcWdvMmZlTUh2NlJMaW9MMjdXb3BHc0diRWhTWTNmOFhZQVdudks3QmJTcHQKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=';

test('upstream connections: a samlp connection', async (t) => {
  const name = `partner-saml-${suffix}`;
  const { data: saml } = await management.connections.create({
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
  t.after(() => management.connections.delete({ id: saml.id }).catch(() => {}));
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
  const { data: got } = await management.connections.get({ id: saml.id });
  const { data: updated } = await management.connections.update({ id: saml.id }, { options: { ...got.options, debug: false } });
  assert.equal(updated.options.debug, undefined);
  assert.equal(updated.options.signing_key.cert, saml.options.signing_key.cert);
  // Options without signing_key keep it too.
  const { signing_key: _dropped, ...withoutKey } = got.options;
  const { data: again } = await management.connections.update({ id: saml.id }, { options: withoutKey });
  assert.equal(again.options.signing_key.cert, saml.options.signing_key.cert);

  const { data: list } = await management.connections.getAll({ strategy: ['samlp'] });
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
  (err) => err.statusCode === 400 && /signingCert/.test(err.message));
  await assert.rejects(management.connections.create({ name: `bad-cert-${suffix}`, strategy: 'samlp',
    options: { signInEndpoint: 'http://127.0.0.1:4516/sso', signingCert: 'bm90IGEgY2VydA==' } }),
  (err) => err.statusCode === 400 && /signingCert/.test(err.message));
  await assert.rejects(management.connections.create({ name: `bad-alg-${suffix}`, strategy: 'samlp',
    options: { signInEndpoint: 'http://127.0.0.1:4516/sso', signingCert: idpSigningCert, signatureAlgorithm: 'hmac-sha256' } }),
  (err) => err.statusCode === 400 && /signatureAlgorithm/.test(err.message));
  await assert.rejects(management.connections.create({ name: `no-client-${suffix}`, strategy: 'samlp',
    options: { signInEndpoint: 'http://127.0.0.1:4516/sso', signingCert: idpSigningCert, idpinitiated: { enabled: true } } }),
  (err) => err.statusCode === 400 && /idpinitiated.client_id/.test(err.message));
});
