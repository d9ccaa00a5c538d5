// Multi-factor settings and a user's factors driven by the auth0 SDK's ManagementClient, unchanged:
// the tenant policy, the factors (only otp and recovery-code can be turned on), and a user's
// authentication methods, enrollments and remembered browsers. Enrolling a factor needs a browser;
// the Go tests (internal/app/mfa_test.go, e2e/mfa_test.go) do that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { management, tenant } from './tenant.js';

test('guardian policies: none by default, all-applications set and read back, a bad value refused', async () => {
  const { data: before } = await management.guardian.getPolicies();
  assert.deepEqual(before, []);
  const { data: set } = await management.guardian.updatePolicies(['all-applications']);
  assert.deepEqual(set, ['all-applications']);
  const { data: read } = await management.guardian.getPolicies();
  assert.deepEqual(read, ['all-applications']);
  await assert.rejects(management.guardian.updatePolicies(['sometimes']), (err) => err.statusCode === 400);
  await management.guardian.updatePolicies([]);
});

test('guardian factors: Auth0’s list; otp turned off and on; sms refused', async () => {
  const { data: factors } = await management.guardian.getFactors();
  const byName = Object.fromEntries(factors.map((f) => [f.name, f.enabled]));
  assert.equal(byName.otp, true);
  assert.equal(byName['recovery-code'], true);
  assert.equal(byName.sms, false);
  assert.equal(byName['webauthn-roaming'], false);
  const { data: off } = await management.guardian.updateFactor({ name: 'otp' }, { enabled: false });
  assert.deepEqual(off, { enabled: false });
  await management.guardian.updateFactor({ name: 'otp' }, { enabled: true });
  await assert.rejects(management.guardian.updateFactor({ name: 'sms' }, { enabled: true }), (err) => err.statusCode === 400);
});

test('a user’s authentication methods and enrollments; invalidate remember browser', async () => {
  const email = tenant.users[1].email;
  const { data: users } = await management.usersByEmail.getByEmail({ email });
  const id = users[0].user_id;
  const { data: methods } = await management.users.getAuthenticationMethods({ id });
  assert.deepEqual(methods, []);
  const { data: enrollments } = await management.users.getEnrollments({ id });
  assert.deepEqual(enrollments, []);
  await assert.rejects(
    management.users.getAuthenticationMethod({ id, authentication_method_id: 'totp|dev_nope' }),
    (err) => err.statusCode === 404,
  );
  const inv = await management.users.invalidateRememberBrowser({ id });
  assert.equal(inv.status, 204);
  const del = await management.users.deleteAuthenticationMethods({ id });
  assert.equal(del.status, 204);
});
