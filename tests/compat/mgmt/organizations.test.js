// Organizations — driven by the auth0 SDK's OrganizationsManager and UsersManager, unchanged: every
// route (CRUD, by name, both paging styles, members, member roles, enabled connections,
// invitations, a user's organizations) and the errors a client sees. Works on its own
// organizations, users and application, and removes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { management } from './tenant.js';

const suffix = Date.now().toString(36);

function expectApiError(status, messagePattern) {
  return (err) => {
    assert.equal(err.name, 'ManagementApiError', `got ${err.name}: ${err.message}`);
    assert.equal(err.statusCode, status, `body: ${err.body}`);
    if (messagePattern) assert.match(err.message, messagePattern);
    return true;
  };
}

test('organizations: CRUD, by name, paging, members, roles, connections, invitations', async (t) => {
  const orgs = management.organizations;
  const { data: acme } = await orgs.create({
    name: `acme-${suffix}`, display_name: 'Acme Inc.',
    branding: { logo_url: 'https://acme.example/logo.png', colors: { primary: '#0059d6', page_background: '#ffffff' } },
    metadata: { tier: 'gold' },
  });
  t.after(() => orgs.delete({ id: acme.id }).catch(() => {}));
  assert.match(acme.id, /^org_[A-Za-z0-9]{16}$/);
  assert.equal(acme.display_name, 'Acme Inc.');
  assert.equal(acme.branding.colors.primary, '#0059d6');
  assert.deepEqual(acme.metadata, { tier: 'gold' });

  const { data: other } = await orgs.create({ name: `globex-${suffix}` });
  t.after(() => orgs.delete({ id: other.id }).catch(() => {}));

  // A duplicate slug and a name that is not a slug.
  await assert.rejects(orgs.create({ name: `acme-${suffix}` }), expectApiError(409, /already exists/));
  await assert.rejects(orgs.create({ name: 'Not A Slug' }), expectApiError(400, /name/));

  assert.equal((await orgs.get({ id: acme.id })).data.name, `acme-${suffix}`);
  assert.equal((await orgs.getByName({ name: `acme-${suffix}` })).data.id, acme.id);
  await assert.rejects(orgs.get({ id: 'org_doesnotexist00' }), expectApiError(404, /No organization found/));

  const { data: updated } = await orgs.update({ id: acme.id }, { display_name: 'Acme Corp', metadata: { tier: 'platinum' } });
  assert.equal(updated.display_name, 'Acme Corp');
  assert.equal(updated.metadata.tier, 'platinum');

  // Offset paging with totals, and checkpoint paging walking every organization once.
  const { data: totals } = await orgs.getAll({ include_totals: true, per_page: 1, page: 0 });
  assert.ok(totals.total >= 2);
  assert.equal(totals.organizations.length, 1);
  const seen = new Set();
  let from;
  for (let i = 0; i < 100; i++) {
    const { data: page } = await orgs.getAll({ take: 1, ...(from ? { from } : {}) });
    page.organizations.forEach((o) => seen.add(o.id));
    if (!page.next) break;
    from = page.next;
  }
  assert.ok(seen.has(acme.id) && seen.has(other.id));

  // Members: added twice is one membership; checkpoint paging; a user's organizations.
  const users = [];
  for (const n of [1, 2]) {
    const { data: u } = await management.users.create({
      connection: 'Username-Password-Authentication', email: `org-member-${n}-${suffix}@example.com`, password: `Compat-${suffix}-Pw!9`,
    });
    users.push(u);
    t.after(() => management.users.delete({ id: u.user_id }).catch(() => {}));
  }
  await orgs.addMembers({ id: acme.id }, { members: users.map((u) => u.user_id) });
  await orgs.addMembers({ id: acme.id }, { members: [users[0].user_id] });
  const { data: members } = await orgs.getMembers({ id: acme.id });
  assert.equal(members.length, 2);
  const { data: firstPage } = await orgs.getMembers({ id: acme.id, take: 1 });
  assert.equal(firstPage.members.length, 1);
  assert.ok(firstPage.next);
  const { data: secondPage } = await orgs.getMembers({ id: acme.id, take: 1, from: firstPage.next });
  assert.equal(secondPage.members.length, 1);
  assert.notEqual(secondPage.members[0].user_id, firstPage.members[0].user_id);
  await assert.rejects(orgs.addMembers({ id: other.id }, { members: ['auth0|doesnotexist'] }), expectApiError(404));
  const { data: userOrgs } = await management.users.getUserOrganizations({ id: users[0].user_id });
  assert.deepEqual(userOrgs.map((o) => o.id), [acme.id]);

  // Member roles, scoped to the organization.
  const { data: role } = await management.roles.create({ name: `org-role-${suffix}`, description: 'org role' });
  t.after(() => management.roles.delete({ id: role.id }).catch(() => {}));
  await orgs.addMemberRoles({ id: acme.id, user_id: users[0].user_id }, { roles: [role.id] });
  const { data: memberRoles } = await orgs.getMemberRoles({ id: acme.id, user_id: users[0].user_id });
  assert.deepEqual(memberRoles.map((r) => r.id), [role.id]);
  const { data: withRoles } = await orgs.getMembers({ id: acme.id, fields: 'user_id,roles', include_fields: true });
  assert.deepEqual(withRoles.find((m) => m.user_id === users[0].user_id).roles.map((r) => r.id), [role.id]);
  assert.equal((await management.users.getRoles({ id: users[0].user_id })).data.length, 0);
  await assert.rejects(orgs.getMemberRoles({ id: other.id, user_id: users[0].user_id }), expectApiError(404));
  await orgs.deleteMemberRoles({ id: acme.id, user_id: users[0].user_id }, { roles: [role.id] });
  assert.equal((await orgs.getMemberRoles({ id: acme.id, user_id: users[0].user_id })).data.length, 0);
  await orgs.deleteMembers({ id: acme.id }, { members: [users[1].user_id] });
  assert.equal((await orgs.getMembers({ id: acme.id })).data.length, 1);

  // Enabled connections.
  const { data: conns } = await management.connections.getAll({ name: 'Username-Password-Authentication' });
  const connId = conns[0].id;
  const { data: ec } = await orgs.addEnabledConnection({ id: acme.id }, { connection_id: connId, assign_membership_on_login: true });
  assert.equal(ec.assign_membership_on_login, true);
  assert.equal(ec.connection.name, 'Username-Password-Authentication');
  await assert.rejects(orgs.addEnabledConnection({ id: acme.id }, { connection_id: connId }), expectApiError(409));
  const { data: patched } = await orgs.updateEnabledConnection({ id: acme.id, connectionId: connId }, { show_as_button: false });
  assert.equal(patched.show_as_button, false);
  assert.equal((await orgs.getEnabledConnection({ id: acme.id, connectionId: connId })).data.assign_membership_on_login, true);
  assert.equal((await orgs.getEnabledConnections({ id: acme.id })).data.length, 1);

  // Invitations: created for an application with a login route, read, listed, deleted.
  const { data: app } = await management.clients.create({
    name: `Org invite app ${suffix}`, app_type: 'regular_web', callbacks: ['https://app.example.org/callback'],
    initiate_login_uri: 'https://app.example.org/login', organization_usage: 'allow',
  });
  t.after(() => management.clients.delete({ client_id: app.client_id }).catch(() => {}));
  assert.equal(app.organization_usage, 'allow');
  const { data: inv } = await orgs.createInvitation({ id: acme.id }, {
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
  const { data: got } = await orgs.getInvitation({ id: acme.id, invitation_id: inv.id });
  assert.equal(got.invitee.email, `invitee-${suffix}@example.com`);
  assert.deepEqual(got.roles, [role.id]);
  assert.equal((await orgs.getInvitations({ id: acme.id })).data.length, 1);
  await assert.rejects(orgs.getInvitation({ id: other.id, invitation_id: inv.id }), expectApiError(404));
  await orgs.deleteInvitation({ id: acme.id, invitation_id: inv.id });
  assert.equal((await orgs.getInvitations({ id: acme.id })).data.length, 0);

  await orgs.deleteEnabledConnection({ id: acme.id, connectionId: connId });
  assert.equal((await orgs.getEnabledConnections({ id: acme.id })).data.length, 0);
  await orgs.delete({ id: acme.id });
  await assert.rejects(orgs.get({ id: acme.id }), expectApiError(404));
});
