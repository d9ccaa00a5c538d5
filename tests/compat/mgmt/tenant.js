// Reads the dev tenant description that `gatehouse dev` writes (<data>/dev-tenant.json) and builds the
// auth0 SDK's ManagementClient from it exactly as an Auth0 customer would: a domain and the credentials of
// a machine-to-machine application granted the Management API. The SDK itself derives
// https://DOMAIN/oauth/token and the audience https://DOMAIN/api/v2/ from the domain.
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { ManagementClient, ManagementError } from 'auth0';
// auth0 v7 ships no AuthenticationClient in its main entrypoint; its README sends token grants to
// @auth0/auth0-auth-js (used where it has the call) and keeps the v4 AuthenticationClient at
// `auth0/legacy` (a dependency of 7.1.0, auth0 4.37.1): the only client in either package with
// /dbconnections/signup and the password-realm grant. It is imported when first asked for: loading it
// costs each test file that does not use it about a second.

const path = process.env.GATEHOUSE_DEV_TENANT;
if (!path) {
  throw new Error('GATEHOUSE_DEV_TENANT must name the dev-tenant.json written by `gatehouse dev`');
}

export const tenant = JSON.parse(readFileSync(path, 'utf8'));

// "https://localhost:4433/" -> "localhost:4433": what an Auth0 customer passes as `domain`.
export const domain = new URL(tenant.issuer).host;

const MAX_RETRIES = 5;

// retry429 is the fetch the ManagementClient is given: this suite makes hundreds of calls a few seconds
// apart with one client, which meets the Management API's rate limit (100 requests a 2 s window) on a
// fast machine, as it would Auth0's. It retries a 429 up to 5 times, waiting as the SDK's own retry
// waits (Retry-After, else X-RateLimit-Reset, else 1 s doubling). The SDK's retry itself is off
// (maxRetries: 0) because it also retries 408 and every 5xx, and here a 5xx or any other error is
// still a finding.
async function retry429(input, init) {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(input, init);
    if (res.status !== 429 || attempt === MAX_RETRIES) return checkTotals(input, res);
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, retryDelay(res, attempt)));
  }
}

// checkTotals refuses a bare array in answer to include_totals=true. v7's list() sends include_totals=true
// unless told otherwise and reads its items from the object Auth0 then answers ({total, <key>: [...]}, or
// {<key>: [...], next} when paging by checkpoint); from a bare array it would read no items at all, and a
// check that a list is empty would pass whatever the list held.
async function checkTotals(input, res) {
  const url = new URL(input instanceof Request ? input.url : input);
  if (res.ok && url.searchParams.get('include_totals') === 'true' && url.pathname.startsWith('/api/v2/')) {
    const body = await res.clone().json();
    if (Array.isArray(body)) throw new TypeError(`${url.pathname}${url.search} answered include_totals=true with a bare array`);
  }
  return res;
}

function retryDelay(res, attempt) {
  const after = Number.parseInt(res.headers.get('retry-after') ?? '', 10);
  if (after > 0) return Math.min(after * 1000, 60000);
  const reset = Number.parseInt(res.headers.get('x-ratelimit-reset') ?? '', 10);
  if (reset * 1000 > Date.now()) return Math.min(reset * 1000 - Date.now(), 60000) * (1 + Math.random() * 0.2);
  return Math.min(1000 * 2 ** attempt, 60000) * (1 + (Math.random() - 0.5) * 0.2);
}

export const management = new ManagementClient({
  domain,
  clientId: tenant.management_api.client_id,
  clientSecret: tenant.management_api.client_secret,
  maxRetries: 0,
  fetch: retry429,
});

export async function authenticationClient(clientId, clientSecret) {
  const { AuthenticationClient } = await import('auth0/legacy');
  return new AuthenticationClient({ domain, clientId, clientSecret });
}

// status runs an SDK call through withRawResponse() and answers [data, HTTP status]: v7 returns the body
// alone, and the status Auth0 answers with is part of what these suites check.
export async function withStatus(call) {
  const { data, rawResponse } = await call.withRawResponse();
  return [data, rawResponse.status];
}

// expectApiError checks an error the way the v7 SDK surfaces it: a ManagementError (BadRequestError,
// NotFoundError...) with the HTTP status, and Auth0's body { statusCode, error, message, errorCode }.
export function expectApiError(status, errorCode, messagePattern) {
  return (err) => {
    assert.ok(err instanceof ManagementError, `got ${err.name}: ${err.message}`);
    assert.equal(err.statusCode, status, `body: ${JSON.stringify(err.body)}`);
    assert.equal(typeof err.body, 'object', `body: ${err.body}`);
    assert.equal(err.body.statusCode, status);
    assert.equal(typeof err.body.error, 'string');
    if (errorCode) assert.equal(err.body.errorCode, errorCode, `body: ${JSON.stringify(err.body)}`);
    if (messagePattern) assert.match(err.body.message, messagePattern);
    return true;
  };
}

// managementFetch calls the Management API over plain HTTP with a client-credentials token, for a request
// the v7 SDK cannot express (offset paging of /organizations: its list() always sends take).
export async function managementFetch(pathAndQuery) {
  const tok = await fetch(new URL('/oauth/token', tenant.issuer), {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: tenant.management_api.client_id,
      client_secret: tenant.management_api.client_secret, audience: tenant.management_api.audience }),
  });
  assert.equal(tok.status, 200);
  const { access_token: token } = await tok.json();
  return retry429(new URL(`api/v2/${pathAndQuery}`, tenant.issuer), { headers: { authorization: `Bearer ${token}` } });
}
