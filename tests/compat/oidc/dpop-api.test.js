// express-oauth2-jwt-bearer (unchanged, its default dpop options: enabled, not required) verifying
// DPoP-bound access tokens from Gatehouse: the DPoP scheme with openid-client's proof passes; the same
// token as a bearer token, or with a proof by another key, is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import { auth } from 'express-oauth2-jwt-bearer';
import * as client from 'openid-client';
import { audience, decodeJwt, issuer, tenant } from './env.js';

let server;
let api;

before(async () => {
  const app = express();
  app.use(auth({ issuerBaseURL: issuer, audience }));
  app.get('/api/private', (req, res) => res.json({ sub: req.auth.payload.sub }));
  // The SDK's errors carry their status and challenge; answer them without a stack trace in the log.
  app.use((err, req, res, next) => res.status(err.status || 500).set(err.headers || {}).json({ error: err.code || 'error' }));
  await new Promise((resolve) => { server = app.listen(0, '127.0.0.1', resolve); });
  api = `http://127.0.0.1:${server.address().port}/api/private`;
});

after(() => new Promise((resolve) => server.close(resolve)));

test('a DPoP-bound token passes with its proof and nowhere else', async () => {
  const m2m = await client.discovery(new URL(issuer), tenant.m2m_app.client_id, tenant.m2m_app.client_secret);
  // The API listens on plain http on loopback; Gatehouse itself is still reached over https.
  client.allowInsecureRequests(m2m);
  const DPoP = client.getDPoPHandle(m2m, await client.randomDPoPKeyPair('ES256'));
  const tokens = await client.clientCredentialsGrant(m2m, { audience }, { DPoP });
  assert.equal(tokens.token_type.toLowerCase(), 'dpop');
  assert.ok(decodeJwt(tokens.access_token).payload.cnf.jkt);

  const ok = await client.fetchProtectedResource(m2m, tokens.access_token, new URL(api), 'GET', undefined, undefined, { DPoP });
  assert.equal(ok.status, 200, await ok.clone().text());
  assert.deepEqual(await ok.json(), { sub: `${tenant.m2m_app.client_id}@clients` });

  const asBearer = await fetch(api, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(asBearer.status, 401);

  const thief = client.getDPoPHandle(m2m, await client.randomDPoPKeyPair('ES256'));
  const stolen = await client.fetchProtectedResource(m2m, tokens.access_token, new URL(api), 'GET', undefined, undefined, { DPoP: thief })
    .catch((err) => err);
  assert.equal(stolen.status ?? stolen.cause?.status, 401, String(stolen));
});
