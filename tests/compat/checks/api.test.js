// The guide's step-7 Express API (express-oauth2-jwt-bearer) accepts Gatehouse's access tokens: discovery,
// JWKS, issuer and audience checks, and requiredScopes. Needs no browser: the tokens come from the dev
// tenant's machine-to-machine app (client credentials), which holds read:own_data on the guide's API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  API, audience, bearer, clientCredentialsToken, decodeJwt, issuer, tamper, tenant,
} from './env.js';

let token;

test('the public endpoint needs no token', async () => {
  const res = await fetch(`${API}/api/public`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { message: 'Public endpoint - no auth required' });
});

test('a Gatehouse access token for the guide API passes checkJwt', async () => {
  token = await clientCredentialsToken(tenant.m2m_app, audience);
  const { header, payload } = decodeJwt(token);
  assert.equal(header.alg, 'RS256');
  assert.equal(payload.iss, issuer);

  const res = await fetch(`${API}/api/private`, bearer(token));
  assert.equal(res.status, 200, await res.clone().text());
  assert.deepEqual(await res.json(), {
    message: 'Protected endpoint',
    userId: `${tenant.m2m_app.client_id}@clients`,
  });
});

test('no token is refused with 401', async () => {
  const res = await fetch(`${API}/api/private`);
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), { error: 'Invalid or missing token' });
});

test('a tampered token is refused with 401', async () => {
  const res = await fetch(`${API}/api/private`, bearer(tamper(token)));
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate') || '', /invalid_token/);
});

test('a token for another audience is refused with 401', async () => {
  const mgmt = await clientCredentialsToken(tenant.management_api, tenant.management_api.audience);
  const res = await fetch(`${API}/api/private`, bearer(mgmt));
  assert.equal(res.status, 401);
});

test('requiredScopes: a token without admin:read gets 403 on /api/admin', async () => {
  assert.ok(!decodeJwt(token).payload.scope.split(' ').includes('admin:read'));
  const res = await fetch(`${API}/api/admin`, bearer(token));
  assert.equal(res.status, 403);
  assert.match(res.headers.get('www-authenticate') || '', /insufficient_scope/);
});
