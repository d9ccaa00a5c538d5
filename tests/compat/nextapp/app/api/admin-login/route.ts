// A second login route, configured like step 3's but asking for the admin:read permission as a scope, so
// that the step-7 API's requiredScopes('admin:read') can be exercised. Configuration only: the wrapper just
// narrows handleLogin's (pages-or-app router) signature to the app router's, as Next's route type check wants.
import { handleLogin, type AppRouteHandlerFnContext } from '@auth0/nextjs-auth0';
import type { NextRequest } from 'next/server';

// Without a request-dependent call at module level, Next would try to prerender this GET at build time.
export const dynamic = 'force-dynamic';

const login = handleLogin({
  authorizationParams: {
    audience: process.env.AUTH0_AUDIENCE,
    scope: 'openid profile email offline_access admin:read',
  },
  returnTo: '/dashboard',
});

export const GET = (req: NextRequest, ctx: AppRouteHandlerFnContext) => login(req, ctx);
