// getAccessToken() in a Route Handler (where the SDK can write the refreshed session back), with
// `refresh: true` when asked: what the tests read to see the token and its refresh.
import { NextRequest, NextResponse } from 'next/server';
import { auth0 } from '../../../lib/auth0';

export const dynamic = 'force-dynamic';

export async function GET(req: NextRequest) {
  try {
    const refresh = req.nextUrl.searchParams.get('refresh') === '1';
    const { token, expiresAt } = await auth0.getAccessToken({ refresh });
    const session = await auth0.getSession();
    return NextResponse.json({ token, expiresAt, user: session?.user ?? null });
  } catch (err: any) {
    return NextResponse.json({ error: err.code ?? 'error', message: err.message }, { status: 401 });
  }
}
