// Added for the organizations test, not part of the guide: nextjs-auth0 v3's callback with its organization
// check (CallbackOptions.organization): the ID token's org_name must be "compat-org" (a name is compared
// with org_name, an id with org_id). A refused callback answers its error as JSON for the runner to read.
import { handleCallback, type AppRouteHandlerFnContext } from '@auth0/nextjs-auth0';
import type { NextRequest } from 'next/server';

export const dynamic = 'force-dynamic';

const callback = handleCallback({
  organization: 'compat-org',
  redirectUri: `${process.env.AUTH0_BASE_URL}/api/org-callback`,
});

export async function GET(req: NextRequest, ctx: AppRouteHandlerFnContext) {
  try {
    return await callback(req, ctx);
  } catch (err) {
    const e = err as { status?: number; message?: string; cause?: { message?: string } };
    return Response.json({ error: e.message, cause: e.cause?.message }, { status: e.status || 400 });
  }
}
