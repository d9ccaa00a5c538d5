// The SDK's README, step 4 (Next.js 14 and 15), verbatim: the middleware mounts /auth/login,
// /auth/callback, /auth/logout, /auth/profile and /auth/access-token, and rolls the session.
import type { NextRequest } from 'next/server';

import { auth0 } from './lib/auth0';

export async function middleware(request: NextRequest) {
  return await auth0.middleware(request);
}

export const config = {
  matcher: [
    /*
     * Match all request paths except for:
     * - _next/static (static files)
     * - _next/image (image optimization files)
     * - favicon.ico, sitemap.xml, robots.txt (metadata files)
     */
    '/((?!_next/static|_next/image|favicon.ico|sitemap.xml|robots.txt).*)',
  ],
};
