// The Auth0 Deploy CLI's YAML format both ways, against a Gatehouse dev tenant: `a0deploy export
// --format yaml` writes tenant.yaml (code and templates beside it, no secret) and `gatehouse tenant
// plan` reads it as the tenant it came from; `gatehouse tenant export` writes a tenant.yaml that
// `a0deploy import` (keywords replaced by the CLI itself) applies through the Management API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const tenantPath = process.env.GATEHOUSE_DEV_TENANT;
if (!tenantPath) throw new Error('GATEHOUSE_DEV_TENANT must name the dev-tenant.json written by `gatehouse dev`');
const bin = process.env.GATEHOUSE_BIN;
const data = process.env.GATEHOUSE_DATA;
if (!bin || !data) throw new Error('GATEHOUSE_BIN and GATEHOUSE_DATA must name the gatehouse binary and the dev tenant\'s data');
const tenant = JSON.parse(readFileSync(tenantPath, 'utf8'));
const domain = new URL(tenant.issuer).host;
const work = mkdtempSync(join(tmpdir(), 'gatehouse-deploy-yaml-'));
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

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 180_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${err.status}):\n${err.stdout}\n${err.stderr}`);
  }
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

test('a0deploy export --format yaml writes tenant.yaml, which gatehouse tenant plan reads as the same tenant', () => {
  const out = join(work, 'a0-export');
  run(a0deploy, ['export', '-c', config(), '--format', 'yaml', '--output_folder', out]);
  const file = join(out, 'tenant.yaml');
  const yaml = readFileSync(file, 'utf8');
  for (const want of ['clients:', 'name: Your App', 'resourceServers:', 'identifier: https://api.yourapp.com',
    'roles:', 'clientGrants:', 'actions:', 'code: ./actions/Add roles to tokens/code.js', 'triggers:', 'databases:',
    'name: Username-Password-Authentication']) {
    assert.ok(yaml.includes(want), `tenant.yaml lacks ${want}`);
  }
  assert.ok(!yaml.includes(tenant.web_app.client_secret), 'tenant.yaml holds the web app\'s secret');
  assert.ok(!yaml.includes(tenant.management_api.client_secret), 'tenant.yaml holds the Management client\'s secret');
  assert.match(readFileSync(join(out, 'actions/Add roles to tokens/code.js'), 'utf8'), /onExecutePostLogin/);

  const plan = run(bin, ['tenant', 'plan', '--data', data, file]);
  assert.equal(plan, '', `gatehouse tenant plan of the a0deploy YAML export:\n${plan}`);
});

test('a0deploy import applies a tenant.yaml that gatehouse tenant export wrote, with its keywords', async () => {
  const dir = join(work, 'gh-export');
  const file = join(dir, 'tenant.yaml');
  run(bin, ['tenant', 'export', '--data', data, file]);
  let yaml = readFileSync(file, 'utf8');
  assert.ok(existsSync(join(dir, 'actions/Add roles to tokens/code.js')), 'Action code beside tenant.yaml');
  // A new SPA whose URLs come from keywords (an array keyword as a YAML flow sequence), and a new role.
  yaml = yaml.replace(/^clients:\n/m, `clients:
  - name: YAML App
    app_type: spa
    callbacks:
      - '##APP_URL##/callback'
    allowed_logout_urls:
      - '##APP_URL##'
    web_origins: @@ORIGINS@@
    token_endpoint_auth_method: none
    grant_types:
      - authorization_code
      - refresh_token
`);
  yaml = yaml.replace(/^roles:\n/m, `roles:
  - name: auditor
    description: Reads reports
    permissions:
      - permission_name: read:own_data
        resource_server_identifier: https://api.yourapp.com
`);
  writeFileSync(file, yaml);
  const mappings = { APP_URL: 'https://yaml.example', ORIGINS: ['https://yaml.example', 'https://www.yaml.example'] };
  const cfg = config({ AUTH0_KEYWORD_REPLACE_MAPPINGS: mappings });
  run(a0deploy, ['import', '-c', cfg, '--input_file', file]);

  const clients = await api('clients');
  const app = clients.find((c) => c.name === 'YAML App');
  assert.ok(app, 'the new client exists');
  assert.deepEqual(app.callbacks, ['https://yaml.example/callback']);
  assert.deepEqual(app.web_origins, mappings.ORIGINS);
  const role = (await api('roles')).find((r) => r.name === 'auditor');
  assert.ok(role, 'the new role exists');
  assert.deepEqual((await api(`roles/${role.id}/permissions`)).map((p) => p.permission_name), ['read:own_data']);

  // The same file again through a0deploy: no duplicate; and gatehouse reads it, keywords given the
  // Deploy CLI's way, as the tenant now is.
  run(a0deploy, ['import', '-c', cfg, '--input_file', file]);
  assert.equal((await api('clients')).filter((c) => c.name === 'YAML App').length, 1, 'a second import creates no duplicate');
  const plan = execFileSync(bin, ['tenant', 'plan', '--data', data, '--keywords', cfg, file],
    { encoding: 'utf8', timeout: 60_000 });
  assert.equal(plan, '', `gatehouse tenant plan after a0deploy imported the same tenant.yaml:\n${plan}`);
});
