// The SDK's README, step 3, with the audience and scopes of the guide's API (the README's
// "Passing authorization parameters"). AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET,
// AUTH0_SECRET and APP_BASE_URL come from the environment; AUTH0_AUDIENCE is this app's own.
import { Auth0Client } from '@auth0/nextjs-auth0/server';

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
});
