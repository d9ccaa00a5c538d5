// What the YAML-format suites share: the dev tenant, the gatehouse binary and its data, a work
// directory, a0deploy's config.json, running a command, and reading the Management API.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const tenantPath = process.env.GATEHOUSE_DEV_TENANT;
if (!tenantPath) throw new Error('GATEHOUSE_DEV_TENANT must name the dev-tenant.json written by `gatehouse dev`');
export const bin = process.env.GATEHOUSE_BIN;
export const data = process.env.GATEHOUSE_DATA;
if (!bin || !data) throw new Error('GATEHOUSE_BIN and GATEHOUSE_DATA must name the gatehouse binary and the dev tenant\'s data');
export const tenant = JSON.parse(readFileSync(tenantPath, 'utf8'));
const domain = new URL(tenant.issuer).host;
export const work = mkdtempSync(join(tmpdir(), 'gatehouse-deploy-yaml-'));
export const a0deploy = new URL('./node_modules/.bin/a0deploy', import.meta.url).pathname;

export function config(extra = {}) {
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

export function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 180_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${err.status}):\n${err.stdout}\n${err.stderr}`);
  }
}

export async function api(path) {
  const tok = await fetch(new URL('oauth/token', tenant.issuer), {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: tenant.management_api.client_id,
      client_secret: tenant.management_api.client_secret, audience: tenant.management_api.audience }),
  }).then((r) => r.json());
  const r = await fetch(new URL(`api/v2/${path}`, tenant.issuer), { headers: { authorization: `Bearer ${tok.access_token}` } });
  assert.equal(r.status, 200, `GET ${path}: ${r.status}`);
  return r.json();
}

