// Reached only through step 5's middleware, which lets admins through.
import { getSession } from '@auth0/nextjs-auth0';

export default async function AdminPage() {
  const session = await getSession();
  return (
    <main>
      <h1>Admin area</h1>
      <p>Signed in as {session?.user.email}</p>
    </main>
  );
}
