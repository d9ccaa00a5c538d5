// Organizations — driven by the auth0 SDK's ManagementClient (organizations and its members, roles,
// enabledConnections and invitations sub-clients; users.organizations), unchanged: every route (CRUD, by
// name, both paging styles, members, member roles, enabled connections, invitations, a user's
// organizations) and the errors a client sees. Works on its own
// organizations, users and application, and removes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { management, expectApiError as apiError, managementFetch } from './tenant.js';

const suffix = Date.now().toString(36);

const expectApiError = (status, messagePattern) => apiError(status, undefined, messagePattern);

test('organizations: CRUD, by name, paging, members, roles, connections, invitations', async (t) => {
  const orgs = management.organizations;
  const acme = await orgs.create({
    name: `acme-${suffix}`, display_name: 'Acme Inc.',
    branding: { logo_url: 'https://acme.example/logo.png', colors: { primary: '#0059d6', page_background: '#ffffff' } },
    metadata: { tier: 'gold' },
  });
  t.after(() => orgs.delete(acme.id).catch(() => {}));
  assert.match(acme.id, /^org_[A-Za-z0-9]{16}$/);
  assert.equal(acme.display_name, 'Acme Inc.');
  assert.equal(acme.branding.colors.primary, '#0059d6');
  assert.deepEqual(acme.metadata, { tier: 'gold' });

  const other = await orgs.create({ name: `globex-${suffix}` });
  t.after(() => orgs.delete(other.id).catch(() => {}));

  // A duplicate slug and a name that is not a slug.
  await assert.rejects(orgs.create({ name: `acme-${suffix}` }), expectApiError(409, /already exists/));
  await assert.rejects(orgs.create({ name: 'Not A Slug' }), expectApiError(400, /name/));

  assert.equal((await orgs.get(acme.id)).name, `acme-${suffix}`);
  assert.equal((await orgs.getByName(`acme-${suffix}`)).id, acme.id);
  await assert.rejects(orgs.get('org_doesnotexist00'), expectApiError(404, /No organization found/));

  const updated = await orgs.update(acme.id, { display_name: 'Acme Corp', metadata: { tier: 'platinum' } });
  assert.equal(updated.display_name, 'Acme Corp');
  assert.equal(updated.metadata.tier, 'platinum');

  // Offset paging with totals (over HTTP: v7's organizations.list always sends take), and checkpoint
  // paging walking every organization once, by hand with from and by the SDK's own getNextPage.
  const offset = await managementFetch('organizations?include_totals=true&per_page=1&page=0');
  assert.equal(offset.status, 200);
  const totals = await offset.json();
  assert.ok(totals.total >= 2);
  assert.equal(totals.organizations.length, 1);
  const seen = new Set();
  let from;
  for (let i = 0; i < 100; i++) {
    const page = await orgs.list({ take: 1, ...(from ? { from } : {}) });
    assert.equal(page.data.length, 1);
    page.data.forEach((o) => seen.add(o.id));
    if (!page.response.next) break;
    from = page.response.next;
  }
  assert.ok(seen.has(acme.id) && seen.has(other.id));
  const walked = [];
  for await (const o of await orgs.list({ take: 1 })) walked.push(o.id);
  assert.deepEqual(walked.sort(), [...seen].sort());

  // Members: added twice is one membership; checkpoint paging; a user's organizations.
  const users = [];
  for (const n of [1, 2]) {
    const u = await management.users.create({
      connection: 'Username-Password-Authentication', email: `org-member-${n}-${suffix}@example.com`, password: `Compat-${suffix}-Pw!9`,
    });
    users.push(u);
    t.after(() => management.users.delete(u.user_id).catch(() => {}));
  }
  await orgs.members.create(acme.id, { members: users.map((u) => u.user_id) });
  await orgs.members.create(acme.id, { members: [users[0].user_id] });
  const { data: members } = await orgs.members.list(acme.id);
  assert.equal(members.length, 2);
  const firstPage = await orgs.members.list(acme.id, { take: 1 });
  assert.equal(firstPage.data.length, 1);
  assert.ok(firstPage.response.next);
  const first = firstPage.data[0].user_id;
  const secondPage = await orgs.members.list(acme.id, { take: 1, from: firstPage.response.next });
  assert.equal(secondPage.data.length, 1);
  assert.notEqual(secondPage.data[0].user_id, first);
  const viaSdk = await firstPage.getNextPage();
  assert.deepEqual(viaSdk.data.map((m) => m.user_id), [secondPage.data[0].user_id]);
  await assert.rejects(orgs.members.create(other.id, { members: ['auth0|doesnotexist'] }), expectApiError(404));
  const userOrgs = await management.users.organizations.list(users[0].user_id);
  assert.deepEqual(userOrgs.data.map((o) => o.id), [acme.id]);
  const userOrgTotals = await management.users.organizations.list(users[0].user_id, { include_totals: true, per_page: 1, page: 0 });
  assert.equal(userOrgTotals.response.total, 1);

  // Member roles, scoped to the organization.
  const role = await management.roles.create({ name: `org-role-${suffix}`, description: 'org role' });
  t.after(() => management.roles.delete(role.id).catch(() => {}));
  await orgs.members.roles.assign(acme.id, users[0].user_id, { roles: [role.id] });
  const { data: memberRoles } = await orgs.members.roles.list(acme.id, users[0].user_id);
  assert.deepEqual(memberRoles.map((r) => r.id), [role.id]);
  const { data: withRoles } = await orgs.members.list(acme.id, { fields: 'user_id,roles', include_fields: true });
  assert.deepEqual(withRoles.find((m) => m.user_id === users[0].user_id).roles.map((r) => r.id), [role.id]);
  assert.equal((await management.users.roles.list(users[0].user_id)).data.length, 0);
  await assert.rejects(orgs.members.roles.list(other.id, users[0].user_id), expectApiError(404));
  await orgs.members.roles.delete(acme.id, users[0].user_id, { roles: [role.id] });
  assert.equal((await orgs.members.roles.list(acme.id, users[0].user_id)).data.length, 0);
  await orgs.members.delete(acme.id, { members: [users[1].user_id] });
  assert.equal((await orgs.members.list(acme.id)).data.length, 1);

  // Enabled connections.
  const { data: conns } = await management.connections.list({ name: 'Username-Password-Authentication' });
  const connId = conns[0].id;
  const ec = await orgs.enabledConnections.add(acme.id, { connection_id: connId, assign_membership_on_login: true });
  assert.equal(ec.assign_membership_on_login, true);
  assert.equal(ec.connection.name, 'Username-Password-Authentication');
  await assert.rejects(orgs.enabledConnections.add(acme.id, { connection_id: connId }), expectApiError(409));
  const patched = await orgs.enabledConnections.update(acme.id, connId, { show_as_button: false });
  assert.equal(patched.show_as_button, false);
  assert.equal((await orgs.enabledConnections.get(acme.id, connId)).assign_membership_on_login, true);
  assert.equal((await orgs.enabledConnections.list(acme.id)).data.length, 1);

  // Invitations: created for an application with a login route, read, listed, deleted.
  const app = await management.clients.create({
    name: `Org invite app ${suffix}`, app_type: 'regular_web', callbacks: ['https://app.example.org/callback'],
    initiate_login_uri: 'https://app.example.org/login', organization_usage: 'allow',
  });
  t.after(() => management.clients.delete(app.client_id).catch(() => {}));
  assert.equal(app.organization_usage, 'allow');
  const inv = await orgs.invitations.create(acme.id, {
    inviter: { name: 'Ann' }, invitee: { email: `invitee-${suffix}@example.com` }, client_id: app.client_id,
    roles: [role.id], send_invitation_email: false, ttl_sec: 3600,
  });
  assert.match(inv.id, /^uinv_/);
  const link = new URL(inv.invitation_url);
  assert.equal(link.origin + link.pathname, 'https://app.example.org/login');
  assert.equal(link.searchParams.get('organization'), acme.id);
  assert.equal(link.searchParams.get('organization_name'), `acme-${suffix}`);
  assert.equal(link.searchParams.get('invitation'), inv.ticket_id);
  assert.ok(Date.parse(inv.expires_at) - Date.parse(inv.created_at) === 3600 * 1000);
  const got = await orgs.invitations.get(acme.id, inv.id);
  assert.equal(got.invitee.email, `invitee-${suffix}@example.com`);
  assert.deepEqual(got.roles, [role.id]);
  const picked = await orgs.invitations.get(acme.id, inv.id, { fields: 'id,client_id', include_fields: true });
  assert.deepEqual(picked, { id: inv.id, client_id: app.client_id });
  assert.equal((await orgs.invitations.list(acme.id)).data.length, 1);
  await assert.rejects(orgs.invitations.get(other.id, inv.id), expectApiError(404));
  await orgs.invitations.delete(acme.id, inv.id);
  assert.equal((await orgs.invitations.list(acme.id)).data.length, 0);

  await orgs.enabledConnections.delete(acme.id, connId);
  assert.equal((await orgs.enabledConnections.list(acme.id)).data.length, 0);
  await orgs.delete(acme.id);
  await assert.rejects(orgs.get(acme.id), expectApiError(404));
});
