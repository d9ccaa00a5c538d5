// Package session owns the browser SSO session: a server-side domain.Session keyed by the SHA-256 of a
// random secret that only the browser's cookie holds, its idle and absolute lifetimes (tenant settings,
// in hours), and the two logout endpoints, `GET /v2/logout` (Auth0's) and `GET`/`POST /oidc/logout`
// (OpenID Connect RP-Initiated Logout 1.0).
//
// A sign-in always starts a new session with a new secret and a new id (no session fixation: an id
// or cookie value known before sign-in is never promoted). The cookie is HttpOnly, Path=/, and
// whenever the issuer is https Secure with the `__Host-` prefix and SameSite=None, as Auth0's is, so
// that silent authentication (a hidden cross-site iframe) carries it; on plain http it is
// SameSite=Lax (browsers refuse a None cookie that is not Secure). Logout still acts only on a
// request a Lax cookie would have come with (LaxSameSite): no other site can end a session with an
// image, a frame or a cross-site POST.
//
// /oidc/logout validates the whole request before it ends anything, and when no client is named
// (neither id_token_hint nor client_id) it ends the session only after the user confirms on a hosted
// form whose CSRF token is an HMAC keyed by the session cookie's secret.
//
// A session records the clients it signed the user in to. When it ends at logout, and a Backchannel
// is configured, a logout token is queued for each of those clients that registered a back-channel
// logout URL, in the transaction that deletes the session (OpenID Connect Back-Channel Logout 1.0;
// package backchannel delivers them); if the queue cannot be written the session ends anyway.
//
// It must not authenticate users or issue codes or tokens (internal/authflow does), and it never
// redirects to a URL that is not registered for the client or the tenant.
package session
