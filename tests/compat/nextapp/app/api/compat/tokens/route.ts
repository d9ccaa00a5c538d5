// Test harness only, not part of the guide: lets the compatibility runner see the access token the SDK
// hands out (to call the step-7 API directly) and the refresh token in the session (to prove rotation).
import { getAccessToken, getSession } from '@auth0/nextjs-auth0';

export async function GET() {
  const session = await getSession();
  if (!session) {
    return Response.json({ error: 'not signed in' }, { status: 401 });
  }
  const { accessToken } = await getAccessToken();
  const current = await getSession();
  return Response.json({
    accessToken,
    refreshToken: current?.refreshToken,
    user: current?.user,
  });
}
