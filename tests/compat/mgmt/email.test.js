// Email templates, email-verification tickets and verification-email jobs, driven by the auth0 SDK's
// ManagementClient against a fresh `gatehouse dev` tenant (mail goes to its development mailbox).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { management, tenant, withStatus, expectApiError } from './tenant.js';

async function seededUser() {
  const data = await management.users.listUsersByEmail({ email: tenant.users[0].email });
  assert.equal(data.length, 1);
  return data[0];
}

test('an unconfigured template answers 404; create, get, update and put in Auth0 shape', async () => {
  await assert.rejects(
    management.emailTemplates.get('password_reset'),
    expectApiError(404, 'inexistent_email_template'),
  );
  const body = {
    template: 'password_reset',
    body: '<p>Hello {{ user.email | escape }}, reset here: <a href="{{ url }}">link</a></p>',
    from: 'Acme <no-reply@acme.example>',
    subject: 'Reset your {{ friendly_name }} password',
    syntax: 'liquid',
    enabled: true,
    resultUrl: 'https://app.acme.example/reset-done',
    urlLifetimeInSeconds: 3600,
  };
  const [created, status] = await withStatus(management.emailTemplates.create(body));
  assert.equal(status, 201);
  for (const k of Object.keys(body)) assert.deepEqual(created[k], body[k], k);
  assert.equal(created.includeEmailInRedirect, true);

  await assert.rejects(management.emailTemplates.create(body), expectApiError(409, 'email_template_conflict'));

  const got = await management.emailTemplates.get('password_reset');
  assert.equal(got.subject, body.subject);

  const updated = await management.emailTemplates.update('password_reset', { enabled: false });
  assert.equal(updated.enabled, false);
  assert.equal(updated.body, body.body);

  const [put, putStatus] = await withStatus(management.emailTemplates.set(
    'welcome_email',
    { template: 'welcome_email', body: '<p>Welcome {{ user.name }}</p>', subject: 'Welcome', syntax: 'liquid', enabled: true, from: 'hi@acme.example' },
  ));
  assert.equal(putStatus, 200);
  assert.equal(put.template, 'welcome_email');
  assert.equal(put.enabled, true);
});

test('header injection, runaway Liquid and file includes are refused, and nothing changes', async () => {
  await management.emailTemplates.set(
    'blocked_account',
    { template: 'blocked_account', body: '<p>{{ url }}</p>', subject: 'Blocked', syntax: 'liquid', enabled: true, from: 'a@acme.example' },
  );
  const bad = [
    [{ subject: 'Hi\r\nBcc: victim@evil.example' }, /subject/],
    [{ from: 'a@acme.example\r\nBcc: victim@evil.example' }, /from/],
    [{ body: '{% for i in (1..1000000000) %}{% endfor %}' }, /limits/],
    [{ body: '{% include "/etc/passwd" %}' }, /include/],
    [{ body: 'x'.repeat(100 * 1024 + 1) }, /body/],
  ];
  for (const [change, pattern] of bad) {
    await assert.rejects(
      management.emailTemplates.update('blocked_account', change),
      expectApiError(400, 'invalid_body', pattern),
    );
  }
  const data = await management.emailTemplates.get('blocked_account');
  assert.equal(data.subject, 'Blocked');
  assert.equal(data.from, 'a@acme.example');
  assert.equal(data.body, '<p>{{ url }}</p>');
});

test('an email verification ticket verifies once and goes to result_url with Auth0 parameters', async () => {
  const user = await seededUser();
  await management.users.update(user.user_id, { email_verified: false });
  const [data, status] = await withStatus(management.tickets.verifyEmail({
    user_id: user.user_id,
    result_url: 'https://app.example/verified',
    ttl_sec: 600,
    includeEmailInRedirect: true,
  }));
  assert.equal(status, 201);
  assert.match(data.ticket, /^https:\/\/[^/]+\/u\/email-verification\?ticket=[A-Za-z0-9_-]{43}$/);

  const first = await fetch(data.ticket, { redirect: 'manual' });
  assert.equal(first.status, 302);
  const to = new URL(first.headers.get('location'));
  assert.equal(to.origin + to.pathname, 'https://app.example/verified');
  assert.equal(to.searchParams.get('success'), 'true');
  assert.equal(to.searchParams.get('email'), user.email);
  const after = await management.users.get(user.user_id);
  assert.equal(after.email_verified, true);

  const again = await fetch(data.ticket, { redirect: 'manual' });
  assert.equal(again.status, 302);
  const refused = new URL(again.headers.get('location'));
  assert.equal(refused.searchParams.get('success'), 'false');
  assert.equal(refused.searchParams.get('code'), 'already-used');

  await assert.rejects(
    management.tickets.verifyEmail({ user_id: 'auth0|000000000000000000000000' }),
    expectApiError(404, 'inexistent_user'),
  );
});

test('a verification-email job is created pending and completes once its mail is delivered', async () => {
  const user = await seededUser();
  const [created, status] = await withStatus(
    management.jobs.verificationEmail.create({ user_id: user.user_id, client_id: tenant.web_app.client_id }),
  );
  assert.equal(status, 201);
  assert.match(created.id, /^job_/);
  assert.equal(created.type, 'verification_email');
  assert.equal(created.status, 'pending');
  assert.ok(!Number.isNaN(Date.parse(created.created_at)));

  let job;
  for (let i = 0; i < 100; i++) {
    job = await management.jobs.get(created.id);
    if (job.status !== 'pending') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(job.status, 'completed');
  assert.equal(job.id, created.id);

  await assert.rejects(management.jobs.get('job_doesnotexist'), expectApiError(404, 'inexistent_job'));
  await assert.rejects(
    management.jobs.verificationEmail.create({ user_id: 'auth0|000000000000000000000000' }),
    expectApiError(404, 'inexistent_user'),
  );
});
