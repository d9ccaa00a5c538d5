// The Auth0 Deploy CLI's YAML format, import side: a tenant.yaml written by `gatehouse tenant export` and
// edited (keywords, an array keyword as a YAML flow sequence) goes in with `a0deploy import` through the
// Management API, and `gatehouse tenant plan` of the same file then prints nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { a0deploy, api, bin, config, data, run, tenant, work } from './yaml-common.js';

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

  // gatehouse reads the same file, keywords given the Deploy CLI's way, as the tenant now is.
  const plan = execFileSync(bin, ['tenant', 'plan', '--data', data, '--keywords', cfg, file],
    { encoding: 'utf8', timeout: 60_000 });
  assert.equal(plan, '', `gatehouse tenant plan after a0deploy imported the same tenant.yaml:\n${plan}`);
});
