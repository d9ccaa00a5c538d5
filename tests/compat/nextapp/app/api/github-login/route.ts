// A login route that goes straight to another identity provider: nextjs-auth0's
// authorizationParams.connection, as an Auth0 app offers "Sign in with GitHub" on its own page.
// Test harness only (checks/connection.test.js creates the connection it names); the wrapper just
// narrows handleLogin's signature to the app router's, as admin-login does.
import { handleLogin, type AppRouteHandlerFnContext } from '@auth0/nextjs-auth0';
import type { NextRequest } from 'next/server';

export const dynamic = 'force-dynamic';

const login = handleLogin({
  authorizationParams: {
    connection: 'compat-github',
    audience: process.env.AUTH0_AUDIENCE,
    scope: 'openid profile email offline_access',
  },
  returnTo: '/dashboard',
});

export const GET = (req: NextRequest, ctx: AppRouteHandlerFnContext) => login(req, ctx);
