// What the checks need to know, from the dev tenant description `gatehouse dev` writes and from run.sh.
import { readFileSync } from 'node:fs';

const path = process.env.GATEHOUSE_DEV_TENANT;
if (!path) {
  throw new Error('GATEHOUSE_DEV_TENANT must name the dev-tenant.json written by `gatehouse dev`');
}

export const tenant = JSON.parse(readFileSync(path, 'utf8'));
export const issuer = tenant.issuer; // with the trailing slash, as in every token's iss
export const issuerBaseURL = issuer.replace(/\/$/, ''); // as the guide's AUTH0_ISSUER_BASE_URL writes it
export const audience = tenant.api.identifier;
export const APP = 'http://localhost:3000';
export const API = 'http://localhost:3001';

export const userAccount = tenant.users.find((u) => u.roles.includes('user') && !u.roles.includes('admin'));
export const adminAccount = tenant.users.find((u) => u.roles.includes('admin'));

export function decodeJwt(jwt) {
  const [header, payload] = jwt.split('.').slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
  return { header, payload };
}

// Changes one claim and keeps the original signature: what an attacker forging a token would send.
export function tamper(jwt) {
  const [h, p, s] = jwt.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  payload.sub = 'auth0|attacker';
  payload.scope = `${payload.scope || ''} admin:read`.trim();
  return [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.');
}

export async function clientCredentialsToken(client, aud) {
  const res = await fetch(`${issuer}oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
      audience: aud,
    }),
  });
  const body = await res.json();
  if (res.status !== 200) {
    throw new Error(`client_credentials for ${aud}: ${res.status} ${JSON.stringify(body)}`);
  }
  return body.access_token;
}

export function bearer(token) {
  return token ? { headers: { authorization: `Bearer ${token}` } } : {};
}
