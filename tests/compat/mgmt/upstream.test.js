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
