export const metadata = { title: 'nextjs-auth0 v4' };

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: 'sans-serif', margin: '2em' }}>{children}</body>
    </html>
  );
}
