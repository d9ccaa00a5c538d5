// The dev tenant (dev-tenant.json), a Management API helper and a cookie-keeping browser stand-in for the
// hosted pages: everything the openid-client suite needs besides openid-client itself.
import { readFileSync } from 'node:fs';

export const tenant = JSON.parse(readFileSync(process.env.GATEHOUSE_DEV_TENANT, 'utf8'));
export const issuer = tenant.issuer;
export const audience = tenant.api.identifier;

// mgmt calls the Management API with a token of the tenant's Management client.
let mgmtToken;
export async function mgmt(method, path, body) {
  if (!mgmtToken) {
    const res = await fetch(`${issuer}oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials', client_id: tenant.management_api.client_id,
        client_secret: tenant.management_api.client_secret, audience: tenant.management_api.audience,
      }),
    });
    if (res.status !== 200) throw new Error(`management token: ${res.status} ${await res.text()}`);
    mgmtToken = (await res.json()).access_token;
  }
  const res = await fetch(`${issuer}api/v2/${path}`, {
    method,
    headers: { authorization: `Bearer ${mgmtToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

// Browser keeps cookies and stops at every redirect, so that each hop of the hosted pages is seen.
export class Browser {
  constructor() { this.jar = new Map(); }

  cookies() { return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '); }

  keep(res) {
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0];
      const i = pair.indexOf('=');
      this.jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
    return res;
  }

  abs(url) { return new URL(url, issuer).href; }

  async get(url) {
    return this.keep(await fetch(this.abs(url), { redirect: 'manual', headers: { cookie: this.cookies() } }));
  }

  async post(url, fields) {
    return this.keep(await fetch(this.abs(url), {
      method: 'POST', redirect: 'manual',
      headers: { cookie: this.cookies(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    }));
  }
}

const unescape = (s) => s.replace(/&amp;/g, '&').replace(/&#34;/g, '"').replace(/&#39;/g, "'")
  .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#43;/g, '+');

// formFields returns the named inputs of a page with their values.
export function formFields(html) {
  const fields = {};
  for (const tag of html.match(/<input[^>]*>/g) || []) {
    const name = tag.match(/\bname="([^"]*)"/);
    if (!name) continue;
    const value = tag.match(/\bvalue="([^"]*)"/);
    fields[name[1]] = value ? unescape(value[1]) : '';
  }
  return fields;
}

// signIn answers the hosted login page for user and returns where the last redirect goes.
export async function signIn(browser, loginUrl, user) {
  const page = await browser.get(loginUrl);
  if (page.status !== 200) throw new Error(`login page: ${page.status}`);
  const fields = formFields(await page.text());
  fields.username = user.email;
  fields.password = user.password;
  const res = await browser.post(loginUrl, fields);
  if (res.status !== 302) throw new Error(`login submit: ${res.status} ${await res.text()}`);
  return res.headers.get('location');
}

// publicPEM exports a WebCrypto public key as the PEM Auth0's credentials API takes.
export async function publicPEM(key) {
  const der = Buffer.from(await crypto.subtle.exportKey('spki', key));
  const b64 = der.toString('base64').match(/.{1,64}/g).join('\n');
  return `-----BEGIN PUBLIC KEY-----\n${b64}\n-----END PUBLIC KEY-----\n`;
}

export function decodeJwt(token) {
  const [h, p] = token.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url')), payload: JSON.parse(Buffer.from(p, 'base64url')) };
}
