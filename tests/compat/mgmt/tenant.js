// Reads the dev tenant description that `gatehouse dev` writes (<data>/dev-tenant.json) and builds the
// auth0 SDK's ManagementClient from it exactly as an Auth0 customer would: a domain and the credentials of
// a machine-to-machine application granted the Management API. The SDK itself derives
// https://DOMAIN/oauth/token and the audience https://DOMAIN/api/v2/ from the domain.
import { readFileSync } from 'node:fs';
import { ManagementClient, AuthenticationClient } from 'auth0';

const path = process.env.GATEHOUSE_DEV_TENANT;
if (!path) {
  throw new Error('GATEHOUSE_DEV_TENANT must name the dev-tenant.json written by `gatehouse dev`');
}

export const tenant = JSON.parse(readFileSync(path, 'utf8'));

// "https://localhost:4433/" -> "localhost:4433": what an Auth0 customer passes as `domain`.
export const domain = new URL(tenant.issuer).host;

export const management = new ManagementClient({
  domain,
  clientId: tenant.management_api.client_id,
  clientSecret: tenant.management_api.client_secret,
  // The SDK's own retry, as customers run it, and only on 429: this suite makes hundreds of calls a
  // few seconds apart with one client, which meets the Management API's rate limit (100 requests a 2 s
  // window) on a fast machine, as it would Auth0's. A 5xx or any other error is still a finding.
  retry: { enabled: true, maxRetries: 5, retryWhen: [429] },
});

export function authenticationClient(clientId, clientSecret) {
  return new AuthenticationClient({ domain, clientId, clientSecret });
}
