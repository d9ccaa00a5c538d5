// Multi-factor settings and a user's factors driven by the auth0 SDK's ManagementClient, unchanged:
// the tenant policy, the factors (only otp and recovery-code can be turned on), and a user's
// authentication methods, enrollments and remembered browsers. Enrolling a factor needs a browser;
// the Go tests (internal/app/mfa_test.go, e2e/mfa_test.go) do that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { management, tenant, withStatus, expectApiError } from './tenant.js';

test('guardian policies: none by default, all-applications set and read back, a bad value refused', async () => {
  const before = await management.guardian.policies.list();
  assert.deepEqual(before, []);
  const set = await management.guardian.policies.set(['all-applications']);
  assert.deepEqual(set, ['all-applications']);
  const read = await management.guardian.policies.list();
  assert.deepEqual(read, ['all-applications']);
  await assert.rejects(management.guardian.policies.set(['sometimes']), expectApiError(400));
  await management.guardian.policies.set([]);
});

test('guardian factors: Auth0’s list; otp turned off and on; sms refused', async () => {
  const factors = await management.guardian.factors.list();
  const byName = Object.fromEntries(factors.map((f) => [f.name, f.enabled]));
  assert.equal(byName.otp, true);
  assert.equal(byName['recovery-code'], true);
  assert.equal(byName.sms, false);
  assert.equal(byName['webauthn-roaming'], false);
  const off = await management.guardian.factors.set('otp', { enabled: false });
  assert.deepEqual(off, { enabled: false });
  await management.guardian.factors.set('otp', { enabled: true });
  await assert.rejects(management.guardian.factors.set('sms', { enabled: true }), expectApiError(400));
});

test('a user’s authentication methods and enrollments; invalidate remember browser', async () => {
  const email = tenant.users[1].email;
  const users = await management.users.listUsersByEmail({ email });
  const id = users[0].user_id;
  const methods = await management.users.authenticationMethods.list(id);
  assert.equal(methods.rawResponse.status, 200);
  assert.deepEqual(methods.data, []);
  assert.equal(methods.response.total, 0);
  const enrollments = await management.users.enrollments.get(id);
  assert.deepEqual(enrollments, []);
  await assert.rejects(
    management.users.authenticationMethods.get(id, 'totp|dev_nope'),
    expectApiError(404),
  );
  const [, invalidated] = await withStatus(management.users.multifactor.invalidateRememberBrowser(id));
  assert.equal(invalidated, 204);
  const [, deleted] = await withStatus(management.users.authenticationMethods.deleteAll(id));
  assert.equal(deleted, 204);
});
