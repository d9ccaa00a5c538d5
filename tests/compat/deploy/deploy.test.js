// The Auth0 Deploy CLI (auth0-deploy-cli, pinned in package.json), unchanged, against a Gatehouse dev
// tenant's Management API: `a0deploy export --format directory` writes the tenant as the CLI lays it
// out (no client secret in it), an edited directory goes back with `a0deploy import` (keywords
// replaced by the CLI itself), the changes are read back through the Management API, and a second
// import of the same directory changes nothing that a new export would show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const tenantPath = process.env.GATEHOUSE_DEV_TENANT;
if (!tenantPath) throw new Error('GATEHOUSE_DEV_TENANT must name the dev-tenant.json written by `gatehouse dev`');
const tenant = JSON.parse(readFileSync(tenantPath, 'utf8'));
const domain = new URL(tenant.issuer).host;
const work = mkdtempSync(join(tmpdir(), 'gatehouse-deploy-'));
const a0deploy = new URL('./node_modules/.bin/a0deploy', import.meta.url).pathname;

function config(extra = {}) {
  const path = join(work, 'config.json');
  writeFileSync(path, JSON.stringify({
    AUTH0_DOMAIN: domain,
    AUTH0_CLIENT_ID: tenant.management_api.client_id,
    AUTH0_CLIENT_SECRET: tenant.management_api.client_secret,
    AUTH0_ALLOW_DELETE: false,
    ...extra,
  }, null, 2));
  return path;
}

function deploy(...args) {
  try {
    return execFileSync(a0deploy, args, { encoding: 'utf8', timeout: 180_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`a0deploy ${args.join(' ')} failed (${err.status}):\n${err.stdout}\n${err.stderr}`);
  }
}

function files(dir, prefix = '') {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p, `${prefix}${name}/`));
    else out.push(prefix + name);
  }
  return out.sort();
}

async function api(path) {
  const tok = await fetch(new URL('oauth/token', tenant.issuer), {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: tenant.management_api.client_id,
      client_secret: tenant.management_api.client_secret, audience: tenant.management_api.audience }),
  }).then((r) => r.json());
  const r = await fetch(new URL(`api/v2/${path}`, tenant.issuer), { headers: { authorization: `Bearer ${tok.access_token}` } });
  assert.equal(r.status, 200, `GET ${path}: ${r.status}`);
  return r.json();
}

test('a0deploy export writes the tenant in the directory format, without secrets', () => {
  const out = join(work, 'export');
  deploy('export', '-c', config(), '--format', 'directory', '--output_folder', out);
  const list = files(out);
  for (const want of ['tenant.json', 'clients/Your App.json', 'resource-servers/Your App API.json', 'roles/admin.json',
    'roles/user.json', 'grants/Your App (machine to machine)-Your App API.json', 'actions/Add roles to tokens.json',
    'actions/Add roles to tokens/code.js', 'triggers/triggers.json',
    'database-connections/Username-Password-Authentication/database.json', 'attack-protection/brute-force-protection.json']) {
    assert.ok(list.includes(want), `${want} missing from ${list.join(', ')}`);
  }
  for (const f of list) {
    const text = readFileSync(join(out, f), 'utf8');
    assert.ok(!text.includes(tenant.web_app.client_secret), `${f} holds the web app's secret`);
    assert.ok(!text.includes(tenant.management_api.client_secret), `${f} holds the Management client's secret`);
  }
  const app = JSON.parse(readFileSync(join(out, 'clients/Your App.json'), 'utf8'));
  assert.deepEqual(app.callbacks, ['http://localhost:3000/api/auth/callback']);
  const code = readFileSync(join(out, 'actions/Add roles to tokens/code.js'), 'utf8');
  assert.match(code, /onExecutePostLogin/);
  const triggers = JSON.parse(readFileSync(join(out, 'triggers/triggers.json'), 'utf8'));
  assert.ok(triggers['post-login'].some((b) => b.action_name === 'Add roles to tokens'), JSON.stringify(triggers));

  // `gatehouse tenant plan` reads the CLI's directory as its own: nothing to change.
  const bin = process.env.GATEHOUSE_BIN;
  const data = process.env.GATEHOUSE_DATA;
  if (bin && data) {
    const plan = execFileSync(bin, ['tenant', 'plan', '--data', data, out], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(plan, '', `gatehouse tenant plan of the a0deploy export:\n${plan}`);
  }
});

test('a0deploy import applies an edited directory, with its keywords', async () => {
  const dir = join(work, 'export');
  writeFileSync(join(dir, 'clients/Deployed App.json'), JSON.stringify({
    name: 'Deployed App', app_type: 'spa', callbacks: ['##APP_URL##/callback'], allowed_logout_urls: ['##APP_URL##'],
    web_origins: '@@ORIGINS@@', token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'],
  }, null, 2).replace('"@@ORIGINS@@"', '@@ORIGINS@@'));
  writeFileSync(join(dir, 'roles/editor.json'), JSON.stringify({
    name: 'editor', description: 'Edits own data',
    permissions: [{ permission_name: 'write:own_data', resource_server_identifier: 'https://api.yourapp.com' }],
  }, null, 2));
  const rsFile = join(dir, 'resource-servers/Your App API.json');
  const rs = JSON.parse(readFileSync(rsFile, 'utf8'));
  rs.scopes.push({ value: 'read:reports', description: 'Read reports' });
  writeFileSync(rsFile, JSON.stringify(rs, null, 2));
  const mappings = { APP_URL: 'https://deployed.example', ORIGINS: ['https://deployed.example', 'https://www.deployed.example'] };
  const cfg = config({ AUTH0_KEYWORD_REPLACE_MAPPINGS: mappings });
  deploy('import', '-c', cfg, '--input_file', dir);

  const clients = await api('clients');
  const deployed = clients.find((c) => c.name === 'Deployed App');
  assert.ok(deployed, 'the new client exists');
  assert.deepEqual(deployed.callbacks, ['https://deployed.example/callback']);
  assert.deepEqual(deployed.web_origins, mappings.ORIGINS);
  assert.equal(deployed.token_endpoint_auth_method, 'none');
  const roles = await api('roles');
  const editor = roles.find((r) => r.name === 'editor');
  assert.ok(editor, 'the new role exists');
  const perms = await api(`roles/${editor.id}/permissions`);
  assert.deepEqual(perms.map((p) => p.permission_name), ['write:own_data']);
  const apis = await api('resource-servers');
  assert.ok(apis.find((a) => a.identifier === 'https://api.yourapp.com').scopes.some((s) => s.value === 'read:reports'));

  // The same directory again: accepted, and the tenant exports as before.
  deploy('import', '-c', cfg, '--input_file', dir);
  const again = join(work, 'again');
  deploy('export', '-c', config(), '--format', 'directory', '--output_folder', again);
  const app = JSON.parse(readFileSync(join(again, 'clients/Deployed App.json'), 'utf8'));
  assert.deepEqual(app.callbacks, ['https://deployed.example/callback']);
  assert.ok(existsSync(join(again, 'roles/editor.json')));
  assert.equal((await api('clients')).filter((c) => c.name === 'Deployed App').length, 1, 'a second import creates no duplicate');
});
