// The SDK's README, step 3, with the audience and scopes of the guide's API (the README's
// "Passing authorization parameters"). AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET,
// AUTH0_SECRET and APP_BASE_URL come from the environment; AUTH0_AUDIENCE is this app's own.
import { Auth0Client } from '@auth0/nextjs-auth0/server';
import type { LogoutToken, SessionData, SessionDataStore } from '@auth0/nextjs-auth0/types';

// Back-channel logout (the SDK's EXAMPLES.md, "Back-Channel Logout") needs a session store that
// can find sessions by a logout token's sid or sub, shared by the middleware (the /auth/* routes,
// in the edge runtime) and the Server Components: in production Redis or a database; here a small
// HTTP key-value service the test runs (SESSION_STORE_URL). Without it the app keeps the SDK's
// default cookie sessions.
function remoteSessionStore(base: string): SessionDataStore {
  const at = (id: string) => `${base}/sessions/${encodeURIComponent(id)}`;
  const ok = (res: Response, what: string) => {
    if (!res.ok && res.status !== 404) throw new Error(`session store ${what}: ${res.status}`);
  };
  return {
    async get(id: string): Promise<SessionData | null> {
      const res = await fetch(at(id), { cache: 'no-store' });
      ok(res, 'get');
      return res.status === 200 ? ((await res.json()) as SessionData) : null;
    },
    async set(id: string, session: SessionData): Promise<void> {
      ok(await fetch(at(id), { method: 'PUT', body: JSON.stringify(session), cache: 'no-store' }), 'set');
    },
    async delete(id: string): Promise<void> {
      ok(await fetch(at(id), { method: 'DELETE', cache: 'no-store' }), 'delete');
    },
    async deleteByLogoutToken(token: LogoutToken): Promise<void> {
      ok(await fetch(`${base}/logout`, { method: 'POST', body: JSON.stringify(token), cache: 'no-store' }), 'logout');
    },
  };
}

const store = process.env.SESSION_STORE_URL;

export const auth0 = new Auth0Client({
  authorizationParameters: {
    audience: process.env.AUTH0_AUDIENCE,
    scope: 'openid profile email offline_access',
  },
  // v4 accepts neither `localhost` nor a port in AUTH0_DOMAIN (Auth0 tenants are DNS names on port
  // 443) unless the domain is given as a URL with this development switch, which also lets it speak
  // plain http; `gatehouse dev` is https://localhost:4433. A Gatehouse on a DNS name and port 443
  // needs neither.
  allowInsecureRequests: (process.env.AUTH0_DOMAIN ?? '').startsWith('https://localhost:'),
  ...(store ? { sessionStore: remoteSessionStore(store) } : {}),
});
