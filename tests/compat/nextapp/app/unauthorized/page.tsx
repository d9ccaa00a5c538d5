export default function UnauthorizedPage() {
  return (
    <main>
      <h1>Unauthorized</h1>
      <p>You need the admin role to see this page.</p>
    </main>
  );
}
