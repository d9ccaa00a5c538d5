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
  // No retries: a 429 or a 5xx is a finding here, not something to paper over.
  retry: { enabled: false },
});

export function authenticationClient(clientId, clientSecret) {
  return new AuthenticationClient({ domain, clientId, clientSecret });
}
