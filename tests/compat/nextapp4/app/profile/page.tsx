// A page behind the session, as the SDK's EXAMPLES show for the App Router.
import { redirect } from 'next/navigation';
import { auth0 } from '../../lib/auth0';

export const dynamic = 'force-dynamic';

export default async function Profile() {
  const session = await auth0.getSession();
  if (!session) redirect('/auth/login?returnTo=/profile');
  return (
    <main>
      <h1>Profile</h1>
      <pre id="user" style={{ whiteSpace: 'pre-wrap' }}>{JSON.stringify(session.user, null, 2)}</pre>
    </main>
  );
}
