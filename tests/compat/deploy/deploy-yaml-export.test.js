// The Auth0 Deploy CLI's YAML format, export side: `a0deploy export --format yaml` against a Gatehouse dev
// tenant writes tenant.yaml (code beside it, no secret), and `gatehouse tenant plan` reads it as the tenant
// it came from. (One a0deploy run a file: each takes up to a minute on a loaded machine.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { a0deploy, api, bin, config, data, run, tenant, work } from './yaml-common.js';

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
