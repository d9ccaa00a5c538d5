import { LogoutButton } from '../components/LogoutButton';

export default function HomePage() {
  return (
    <main>
      <h1>Home</h1>
      <p><a href="/api/auth/login">Log in</a></p>
      <p><a href="/dashboard">Dashboard</a></p>
      <LogoutButton />
    </main>
  );
}
