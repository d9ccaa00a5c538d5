// The SDK's README home page: auth0.getSession() in a Server Component.
import { auth0 } from '../lib/auth0';

export const dynamic = 'force-dynamic';

export default async function Home() {
  const session = await auth0.getSession();

  if (!session) {
    return (
      <main>
        <h1>nextjs-auth0 v4</h1>
        <p id="status">Signed out</p>
        <a id="signup" href="/auth/login?screen_hint=signup">Sign up</a>{' '}
        <a id="login" href="/auth/login">Log in</a>
      </main>
    );
  }

  return (
    <main>
      <h1>nextjs-auth0 v4</h1>
      <p id="status">Welcome, {session.user.name}!</p>
      <p id="email">{session.user.email}</p>
      <a id="logout" href="/auth/logout">Log out</a>
    </main>
  );
}
