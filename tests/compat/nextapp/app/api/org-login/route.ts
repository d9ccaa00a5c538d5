// Added for the organizations test, not part of the guide: a login through an organization, the way
// nextjs-auth0 v3's documentation has a B2B app do it, handleLogin({ authorizationParams: { organization } }),
// with the organization taken from the query (?organization=<id or name>) and the answer sent to
// /api/org-callback, whose handleCallback({ organization }) checks the ID token.
import { handleLogin, type AppRouteHandlerFnContext } from '@auth0/nextjs-auth0';
import type { NextRequest } from 'next/server';

export const dynamic = 'force-dynamic';

const login = handleLogin((req) => ({
  authorizationParams: {
    audience: process.env.AUTH0_AUDIENCE,
    scope: 'openid profile email offline_access',
    organization: (req as NextRequest).nextUrl.searchParams.get('organization') || undefined,
    redirect_uri: `${process.env.AUTH0_BASE_URL}/api/org-callback`,
  },
  returnTo: '/dashboard',
}));

export const GET = (req: NextRequest, ctx: AppRouteHandlerFnContext) => login(req, ctx);
