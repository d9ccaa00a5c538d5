// openid-client 6 (the certified OpenID relying party, unchanged) against Gatehouse: private_key_jwt
// client authentication (RFC 7523), pushed authorization requests (RFC 9126), DPoP (RFC 9449) and the
// device authorization grant (RFC 8628), each with the refusals a client meets when it gets one wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import {
  Browser, audience, decodeJwt, formFields, issuer, mgmt, publicPEM, signIn, tenant,
} from './env.js';

const server = new URL(issuer);
const [admin, user] = tenant.users;

test('private_key_jwt: a registered key authenticates the client; its secret no longer does', async () => {
  const created = await mgmt('POST', 'clients', { name: 'Signed M2M (openid-client)', app_type: 'non_interactive' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const { client_id: id, client_secret: secret } = created.body;
  assert.equal((await mgmt('POST', 'client-grants', { client_id: id, audience, scope: ['read:own_data'] })).status, 201);

  const keys = await crypto.subtle.generateKey({
    name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256',
  }, true, ['sign', 'verify']);
  const cred = await mgmt('POST', `clients/${id}/credentials`, {
    credential_type: 'public_key', name: 'openid-client key', pem: await publicPEM(keys.publicKey), alg: 'RS256',
  });
  assert.equal(cred.status, 201, JSON.stringify(cred.body));
  const listed = await mgmt('GET', `clients/${id}/credentials`);
  assert.deepEqual(listed.body.map((c) => c.id), [cred.body.id]);
  const enabled = await mgmt('PATCH', `clients/${id}`, {
    client_authentication_methods: { private_key_jwt: { credentials: [{ id: cred.body.id }] } },
  });
  assert.equal(enabled.status, 200, JSON.stringify(enabled.body));

  const signed = await client.discovery(server, id, undefined, client.PrivateKeyJwt(keys.privateKey));
  assert.ok(signed.serverMetadata().token_endpoint_auth_methods_supported.includes('private_key_jwt'));
  const tokens = await client.clientCredentialsGrant(signed, { audience });
  assert.equal(decodeJwt(tokens.access_token).payload.sub, `${id}@clients`);

  // The secret the client was created with is refused now that it signs.
  const withSecret = await client.discovery(server, id, secret);
  await assert.rejects(client.clientCredentialsGrant(withSecret, { audience }),
    (err) => err.error === 'invalid_client');
  // Another key is refused.
  const other = await crypto.subtle.generateKey({
    name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256',
  }, true, ['sign', 'verify']);
  const wrong = await client.discovery(server, id, undefined, client.PrivateKeyJwt(other.privateKey));
  await assert.rejects(client.clientCredentialsGrant(wrong, { audience }), (err) => err.error === 'invalid_client');
});

// The web app signs in through a pushed authorization request and receives DPoP-bound tokens.
test('PAR and DPoP: pushed request, code exchange, userinfo and refresh with a DPoP key', async () => {
  const web = await client.discovery(server, tenant.web_app.client_id, tenant.web_app.client_secret);
  const md = web.serverMetadata();
  assert.equal(md.pushed_authorization_request_endpoint, `${issuer}oauth/par`);
  assert.ok(md.dpop_signing_alg_values_supported.includes('ES256'));

  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  // The proof sent with the pushed request binds the code to the key (RFC 9449 §10.1).
  const DPoP = client.getDPoPHandle(web, await client.randomDPoPKeyPair('ES256'));
  const url = await client.buildAuthorizationUrlWithPAR(web, {
    redirect_uri: tenant.web_app.callback, scope: 'openid profile email offline_access', audience, state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  }, { DPoP });
  assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
  assert.match(url.searchParams.get('request_uri'), /^urn:ietf:params:oauth:request_uri:/);

  const browser = new Browser();
  const first = await browser.get(url.href);
  assert.equal(first.status, 302);
  const callback = await signIn(browser, first.headers.get('location'), admin);
  assert.ok(callback.startsWith(tenant.web_app.callback), callback);

  // The request_uri was used once.
  const again = await new Browser().get(url.href);
  assert.equal(again.status, 400);

  const tokens = await client.authorizationCodeGrant(web, new URL(callback),
    { pkceCodeVerifier: verifier, expectedState: state }, undefined, { DPoP });
  assert.equal(tokens.token_type.toLowerCase(), 'dpop');
  const at = decodeJwt(tokens.access_token).payload;
  assert.ok(at.cnf && at.cnf.jkt, JSON.stringify(at));
  const sub = tokens.claims().sub;

  const info = await client.fetchUserInfo(web, tokens.access_token, sub, { DPoP });
  assert.equal(info.email, admin.email);
  // Without the key the bound token is worth nothing at /userinfo.
  const bare = await fetch(`${issuer}userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(bare.status, 401);
  assert.match(bare.headers.get('www-authenticate'), /^DPoP /);

  const refreshed = await client.refreshTokenGrant(web, tokens.refresh_token, undefined, { DPoP });
  assert.equal(refreshed.token_type.toLowerCase(), 'dpop');
  assert.equal(decodeJwt(refreshed.access_token).payload.cnf.jkt, at.cnf.jkt);
});

test('PAR: a request /authorize would refuse is refused when pushed', async () => {
  const web = await client.discovery(server, tenant.web_app.client_id, tenant.web_app.client_secret);
  await assert.rejects(client.buildAuthorizationUrlWithPAR(web, {
    redirect_uri: 'https://evil.example/callback', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256',
  }), (err) => err.error === 'invalid_request');
});

test('device flow with DPoP: a TV signs in through /activate; its refresh token is bound to its key', async () => {
  const created = await mgmt('POST', 'clients', {
    name: 'Living Room TV (openid-client)', app_type: 'native',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const tv = await client.discovery(server, created.body.client_id, undefined, client.None());
  const da = await client.initiateDeviceAuthorization(tv, { scope: 'openid profile offline_access', audience });
  assert.match(da.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);

  const DPoP = client.getDPoPHandle(tv, await client.randomDPoPKeyPair('ES256'));
  const polled = client.pollDeviceAuthorizationGrant(tv, da, undefined, { DPoP });

  // The user, on another device.
  const browser = new Browser();
  const activate = await browser.get(da.verification_uri_complete);
  assert.equal(activate.status, 200);
  const submitted = await browser.post(`${issuer}activate`, formFields(await activate.text()));
  assert.equal(submitted.status, 302);
  const confirmUrl = await signIn(browser, submitted.headers.get('location'), user);
  const confirm = await browser.get(confirmUrl);
  const page = await confirm.text();
  assert.ok(page.includes('Living Room TV (openid-client)'));
  const fields = formFields(page);
  fields.decision = 'confirm';
  assert.equal((await browser.post(confirmUrl, fields)).status, 200);

  const tokens = await polled;
  assert.equal(tokens.token_type.toLowerCase(), 'dpop');
  assert.ok(tokens.refresh_token);

  // The public client's refresh token is bound: another key is refused, its own works.
  const thief = client.getDPoPHandle(tv, await client.randomDPoPKeyPair('ES256'));
  await assert.rejects(client.refreshTokenGrant(tv, tokens.refresh_token, undefined, { DPoP: thief }),
    (err) => err.error === 'invalid_grant');
  const refreshed = await client.refreshTokenGrant(tv, tokens.refresh_token, undefined, { DPoP });
  assert.ok(refreshed.access_token);
});
