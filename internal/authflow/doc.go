// Package authflow owns the browser sign-in: `GET /authorize` (OAuth 2.0 RFC 6749 §4.1, OpenID Connect
// Core §3.1.2, with Auth0's parameters), the hosted login and signup forms (`/u/login`, `/u/signup`),
// post-login Actions, and the authorization code it hands to the token endpoint.
//
// The flow is a state machine over a stored domain.LoginTransaction. Every step ends by returning to
// one dispatcher (Handler.dispatch), which decides the next step from server-side state only:
//
//	/authorize ── validate client + redirect_uri ──✗──▶ error page on Gatehouse's origin (400, no redirect)
//	     │ validate the rest ──✗──▶ error to redirect_uri (error, error_description, state)
//	     ▼
//	dispatch ── live SSO session that satisfies prompt / max_age? ── yes ──▶ complete
//	     │ no, prompt=none ──▶ login_required to redirect_uri
//	     ▼ no
//	transaction stored, bound to this browser ──▶ /u/login (or /u/signup for screen_hint=signup)
//	     │ POST with the right CSRF token, from the same browser, with a correct password
//	     ▼ (or a successful signup)
//	new SSO session, transaction.UserID/AuthTime stored ──▶ dispatch ──▶ complete
//
//	complete: load user (blocked → access_denied), post-login Actions (deny → access_denied),
//	          store the authorization code, delete the transaction, respond (query, fragment, form_post)
//
// The browser carries only the transaction id (`state` on the hosted pages). Whether a user has
// authenticated is never read from the browser: the dispatcher completes only with a server-side
// session whose user and authentication time satisfy the stored transaction.
//
// It must not issue tokens (the token endpoint redeems the code), must never redirect to a URI that is
// not registered for the client byte for byte, and must not reveal whether an email is registered.
package authflow
