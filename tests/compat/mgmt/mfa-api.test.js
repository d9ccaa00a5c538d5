// Auth0's MFA API driven by @auth0/auth0-auth-js (the Authentication client auth0-spa-js is built on),
// unchanged: a password exchange answered mfa_required with an mfa_token, then listAuthenticators,
// enrollAuthenticator (otp), challengeAuthenticator and verify with the mfa-otp and mfa-recovery-code
// grants. The TOTP codes are computed here (RFC 6238, SHA-1, 30 s, six digits).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { AuthClient, isMfaRequiredError } from '@auth0/auth0-auth-js';
import { management, tenant, domain } from './tenant.js';

function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of s.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const out = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(out);
}

function totp(secret, at = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const h = createHmac('sha1', base32(secret)).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1e6).padStart(6, '0');
}

const MFA_GRANTS = [
  'password',
  'http://auth0.com/oauth/grant-type/mfa-otp',
  'http://auth0.com/oauth/grant-type/mfa-oob',
  'http://auth0.com/oauth/grant-type/mfa-recovery-code',
];

test('MFA API: mfa_required, enroll an authenticator app, verify with otp and with the recovery code', async (t) => {
  const app = await management.clients.create({
    name: 'MFA API compat', app_type: 'regular_web', grant_types: MFA_GRANTS,
    callbacks: ['https://localhost:3200/callback'], token_endpoint_auth_method: 'client_secret_post',
  });
  const users = await management.users.listUsersByEmail({ email: tenant.users[1].email });
  const userId = users[0].user_id;
  await management.guardian.policies.set(['all-applications']);
  t.after(async () => {
    await management.guardian.policies.set([]);
    await management.users.authenticationMethods.deleteAll(userId);
    await management.clients.delete(app.client_id);
  });

  const auth = new AuthClient({ domain, clientId: app.client_id, clientSecret: app.client_secret });
  const signIn = async () => {
    try {
      await auth.getTokenByPassword({ username: tenant.users[1].email, password: tenant.users[1].password, scope: 'openid profile email' });
    } catch (err) {
      assert.ok(isMfaRequiredError(err), `expected mfa_required, got ${err}`);
      return err.cause.mfa_token;
    }
    assert.fail('the password alone yielded tokens');
  };

  const mfaToken = await signIn();
  assert.deepEqual(await auth.mfa.listAuthenticators({ mfaToken }), []);
  const enrolled = await auth.mfa.enrollAuthenticator({ mfaToken, authenticatorTypes: ['otp'] });
  assert.equal(enrolled.authenticatorType, 'otp');
  assert.match(enrolled.barcodeUri, /^otpauth:\/\/totp\//);
  assert.equal(enrolled.recoveryCodes.length, 1);

  await assert.rejects(auth.mfa.verify({ mfaToken, factorType: 'otp', otp: '000000' === totp(enrolled.secret) ? '111111' : '000000' }),
    (err) => err.cause?.error === 'invalid_grant');
  const tokens = await auth.mfa.verify({ mfaToken, factorType: 'otp', otp: totp(enrolled.secret) });
  assert.ok(tokens.accessToken);
  assert.deepEqual(tokens.claims.amr, ['mfa', 'otp']);
  assert.equal(tokens.claims.acr, 'http://schemas.openid.net/pape/policies/2007/06/multi-factor');
  // The mfa_token is spent.
  await assert.rejects(auth.mfa.verify({ mfaToken, factorType: 'otp', otp: totp(enrolled.secret, Date.now() + 30000) }),
    (err) => err.cause?.error === 'invalid_grant');

  // A second sign-in: the app is listed, a challenge says otp, enrolling again is refused.
  const second = await signIn();
  const listed = await auth.mfa.listAuthenticators({ mfaToken: second });
  const app_ = listed.find((a) => a.authenticatorType === 'otp');
  assert.equal(app_.active, true);
  const challenge = await auth.mfa.challengeAuthenticator({ mfaToken: second, challengeType: 'otp', authenticatorId: app_.id });
  assert.equal(challenge.challengeType, 'otp');
  await assert.rejects(auth.mfa.enrollAuthenticator({ mfaToken: second, authenticatorTypes: ['otp'] }),
    (err) => err.cause?.error === 'access_denied');

  const recovered = await auth.mfa.verify({ mfaToken: second, factorType: 'recovery-code', recoveryCode: enrolled.recoveryCodes[0] });
  assert.ok(recovered.accessToken);
  assert.ok(recovered.recoveryCode && recovered.recoveryCode !== enrolled.recoveryCodes[0]);
});
