// A small React app on @auth0/auth0-react, written as its README and Auth0's React quickstart show:
// Auth0Provider around the app, useAuth0 for the state and the buttons, withAuthenticationRequired
// for a protected page, getAccessTokenSilently for a call to the guide's Express API (proxied at
// /api by the page's server, as a dev server's proxy would). Bundled by esbuild in react.test.js.
import React, { useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Auth0Provider, useAuth0, withAuthenticationRequired } from '@auth0/auth0-react';

const { domain, clientId, audience } = window.CONFIG;
let navigate = () => {};

function CallApi() {
  const { getAccessTokenSilently } = useAuth0();
  const [result, setResult] = useState(null);
  const call = async () => {
    try {
      const token = await getAccessTokenSilently();
      const res = await fetch('/api/private', { headers: { Authorization: `Bearer ${token}` } });
      setResult({ status: res.status, body: await res.json() });
    } catch (e) {
      setResult({ error: e.error || String(e), message: e.message });
    }
  };
  return (
    <div>
      <button id="call-api" onClick={call}>Call the API</button>
      {result && <pre id="api-result">{JSON.stringify(result, null, 2)}</pre>}
    </div>
  );
}

function Home() {
  const { isLoading, isAuthenticated, user, error, loginWithRedirect, logout } = useAuth0();
  if (isLoading) return <p id="status">Loading…</p>;
  if (error) return <p id="status">Error: {error.message}</p>;
  if (!isAuthenticated) {
    return (
      <div>
        <p id="status">Signed out</p>
        <button id="login" onClick={() => loginWithRedirect()}>Log in</button>
      </div>
    );
  }
  return (
    <div>
      <p id="status">Signed in as {user.name} &lt;{user.email}&gt;</p>
      <CallApi />
      <button id="logout" onClick={() => logout({ logoutParams: { returnTo: window.location.origin } })}>Log out</button>
    </div>
  );
}

const Protected = withAuthenticationRequired(() => {
  const { user } = useAuth0();
  return <p id="protected">Protected page for {user.email}</p>;
}, { onRedirecting: () => <p id="redirecting">Redirecting to the login page…</p> });

function App() {
  const [path, setPath] = useState(window.location.pathname);
  navigate = setPath;
  return (
    <div style={{ fontFamily: 'sans-serif', margin: '2em' }}>
      <h1>auth0-react on {window.location.origin}{path}</h1>
      {path === '/protected' ? <Protected /> : <Home />}
    </div>
  );
}

createRoot(document.getElementById('root')).render(
  <Auth0Provider
    domain={domain}
    clientId={clientId}
    authorizationParams={{ redirect_uri: window.location.origin, audience }}
    onRedirectCallback={(appState) => {
      const to = appState?.returnTo || '/';
      window.history.replaceState({}, '', to);
      navigate(to);
    }}
  >
    <App />
  </Auth0Provider>,
);
