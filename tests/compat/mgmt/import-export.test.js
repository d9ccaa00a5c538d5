// Bulk user import and export jobs, driven by the auth0 SDK's ManagementClient: a users file sent as
// multipart (management.jobs.usersImports.create with a file stream, as the SDK's reference shows), the
// job read back until it completes, its per-row errors (jobs.errors.get), then an export job
// (jobs.usersExports.create) whose gzipped file is fetched from its location.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { management, withStatus, expectApiError } from './tenant.js';

async function completed(id) {
  for (let i = 0; i < 600; i++) {
    const data = await management.jobs.get(id);
    if (data.status === 'completed') return data;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} never completed`);
}

test('an import job with a custom hash and a bad row, then an export of the imported users', async (t) => {
  const { data: conns } = await management.connections.list({ name: 'Username-Password-Authentication' });
  const connection_id = conns[0].id;
  const salt = 'compat-salt';
  const sha = createHash('sha256').update(salt + 'Compat-Import-1').digest('hex');
  const suffix = Date.now();
  const users = [
    { email: `imp-${suffix}@example.com`, email_verified: true, user_id: `imp-${suffix}`, user_metadata: { from: 'legacy' },
      custom_password_hash: { algorithm: 'sha256', hash: { value: sha, encoding: 'hex' }, salt: { value: salt, position: 'prefix' } } },
    { email: `bad-${suffix}@example.com`, custom_password_hash: { algorithm: 'rot13', hash: { value: 'x' } } },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'compat-import-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'users.json');
  writeFileSync(file, JSON.stringify(users));
  const [created, status] = await withStatus(management.jobs.usersImports.create({
    users: createReadStream(file),
    connection_id, upsert: false, external_id: 'compat', send_completion_email: false,
  }));
  assert.equal(status, 202);
  assert.equal(created.type, 'users_import');
  assert.equal(created.status, 'pending');
  assert.equal(created.connection_id, connection_id);
  assert.equal(created.external_id, 'compat');
  const job = await completed(created.id);
  assert.deepEqual(job.summary, { failed: 1, updated: 0, inserted: 1, total: 2 });

  const errors = await management.jobs.errors.get(job.id);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].user.email, `bad-${suffix}@example.com`);
  assert.equal(errors[0].user.custom_password_hash, undefined);
  assert.equal(errors[0].errors[0].code, 'INVALID_FORMAT');
  assert.match(errors[0].errors[0].message, /rot13/);

  const imported = await management.users.get(`auth0|imp-${suffix}`);
  assert.equal(imported.email, `imp-${suffix}@example.com`);
  assert.deepEqual(imported.user_metadata, { from: 'legacy' });

  const exp = await management.jobs.usersExports.create({ connection_id, format: 'json',
    fields: [{ name: 'user_id' }, { name: 'email', export_as: 'mail' }, { name: 'user_metadata' },
      { name: 'user_metadata.from', export_as: 'from' }, { name: 'identities[0].connection', export_as: 'provider' }] });
  assert.equal(exp.type, 'users_export');
  const done = await completed(exp.id);
  assert.ok(done.location, 'a completed export has a location');
  const res = await fetch(done.location);
  assert.equal(res.status, 200);
  const lines = gunzipSync(Buffer.from(await res.arrayBuffer())).toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
  const row = lines.find((l) => l.user_id === `auth0|imp-${suffix}`);
  assert.deepEqual(row, { user_id: `auth0|imp-${suffix}`, mail: `imp-${suffix}@example.com`, user_metadata: { from: 'legacy' },
    from: 'legacy', provider: 'Username-Password-Authentication' });

  // The location is signed (it expires after 60 seconds, as Auth0's): an altered one is refused.
  const wrong = await fetch(done.location.replace('signature=', 'signature=0'));
  assert.equal(wrong.status, 403);
  assert.equal((await wrong.json()).message, 'The download link is not valid.');
});

// Auth0's user search over more users than it pages through (1,005 imported): a leading wildcard
// (name:*usa, three characters at least), sort=field:-1, include_totals reporting 1,000 at most (what
// Auth0's search reports past its limit; the SDK's pager reads the length of each page, not the
// total), and page 10 of 100 refused with invalid_paging as Auth0 does.
test('a search over 1,005 imported users: a leading wildcard, sort, and totals stopping at 1,000', async (t) => {
  const { data: conns } = await management.connections.list({ name: 'Username-Password-Authentication' });
  const host = `bulk${Date.now()}.test`;
  const email = (n) => `b${String(n).padStart(4, '0')}@${host}`;
  const rows = Array.from({ length: 1005 }, (_, i) => ({ email: email((i * 389) % 1005), name: `Bulk ${i}` }));
  const dir = mkdtempSync(join(tmpdir(), 'compat-bulk-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'users.json');
  writeFileSync(file, JSON.stringify(rows));
  const created = await management.jobs.usersImports.create({
    users: createReadStream(file), connection_id: conns[0].id, upsert: false, send_completion_email: false,
  });
  const job = await completed(created.id);
  assert.deepEqual(job.summary, { failed: 0, updated: 0, inserted: 1005, total: 1005 });

  const q = `email:*@${host}`;
  const first = await management.users.list({ q, search_engine: 'v3', include_totals: true, per_page: 100, page: 0, sort: 'email:-1' });
  assert.equal(first.response.total, 1000);
  assert.equal(first.response.start, 0);
  assert.equal(first.response.limit, 100);
  const emails = first.data.map((u) => u.email);
  assert.equal(emails[0], email(1004));
  const page = first;
  let refused;
  while (page.hasNextPage()) {
    try {
      await page.getNextPage();
    } catch (err) {
      refused = err;
      break;
    }
    assert.equal(page.response.total, 1000);
    emails.push(...page.data.map((u) => u.email));
  }
  assert.equal(emails.length, 1000);
  assert.deepEqual(emails, Array.from({ length: 1000 }, (_, i) => email(1004 - i)));
  assert.ok(refused, 'the pager asked for page 10');
  assert.ok(expectApiError(400, 'invalid_paging', /first 1000 records/)(refused));

  const few = await management.users.list({ q: `email:b000* AND ${q}`, include_totals: true, sort: 'name:1' });
  assert.equal(few.response.total, 10);
  const byName = rows.filter((r) => r.email.startsWith('b000')).sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1));
  assert.deepEqual(few.data.map((u) => u.email), byName.map((r) => r.email));
  const one = await management.users.list({ q: `name:*1004 AND ${q}`, include_totals: true });
  assert.deepEqual(one.data.map((u) => u.email), [email((1004 * 389) % 1005)]);

  await assert.rejects(management.users.list({ q: `email:*st` }), expectApiError(400, 'invalid_query_string', /at least 3 characters/));
  await assert.rejects(management.users.list({ q, sort: 'app_metadata.plan:1' }), expectApiError(400, 'invalid_query_string'));
});
