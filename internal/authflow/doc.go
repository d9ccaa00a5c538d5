// Package authflow owns the browser sign-in: `GET /authorize` (OAuth 2.0 RFC 6749 §4.1, OpenID Connect
// Core §3.1.2, with Auth0's parameters), the hosted login and signup forms (`/u/login`, `/u/signup`),
// post-login Actions, and the authorization code it hands to the token endpoint; the device
// activation pages (`/activate`, RFC 8628 §3.3), whose sign-in ends by approving a device code; and
// auth0-js's `POST /dbconnections/signup`. Login and signup follow the database connection
// (connection.go): whether it is enabled for the application, disable_signup, requires_username,
// brute_force_protection, and its password policy (internal/passwordpolicy).
//
// # A sign-in is an ordered list of steps
//
// /authorize validates the request into a domain.LoginTransaction, then hands it to one dispatcher
// (Handler.dispatch), which runs the steps of signInSteps in order until one answers the request:
//
//	organization prompt → authenticate → device → organization picker → claim → user →
//	organization → scopes → actions → redirect → mfa → issue
//
// The two organization prompts (orgprompt.go) run only for an application that requires
// organizations when /authorize named none: by its organization_require_behavior, the
// organization's name before the login form, or one of the user's organizations after it.
//
// A device sign-in starts at POST /activate (a valid user code, entry rate-limited per address)
// instead of /authorize; its transaction carries the device code's hash and no redirect_uri. The
// device step shows the confirmation naming the app and the code (CSRF-protected, bound to the
// browser) until the user confirms; issue then approves the device code, and an error refuses it.
//
// A step either passes the flow to the next or answers: a hosted page, an error to the client, or the
// authorization response. A hosted page, once its form succeeds, returns to the dispatcher, which
// starts again at the first step; each step passes a flow it has already dealt with, judging that
// from server-side state only. A new requirement (MFA, an organization prompt, email verification,
// consent, an upstream identity provider) is a new step in the list, not a branch in another step.
//
// # States, what moves between them, and what is stored
//
//	/authorize ── client or redirect_uri invalid ──▶ error page on Gatehouse's origin (400, no redirect)
//	     │ anything else invalid ──▶ error to redirect_uri (error, error_description, state)
//	     ▼
//	validated   in memory only: the request's parameters, checked, in a LoginTransaction
//	     │ authenticate: an SSO session satisfies prompt, max_age, SSO settings ──────────────┐
//	     │ authenticate: prompt=none and none does ──▶ login_required to redirect_uri          │
//	     ▼ authenticate: otherwise (showPage)                                                  │
//	pending     stored: the transaction, its browser binding (SHA-256 of a cookie secret);     │
//	     │      the browser holds only the id (`state` on /u/login, /u/signup) and the cookie  │
//	     │ POST with the right CSRF token, from the same browser, a correct password           │
//	     ▼ (or a successful signup): new SSO session, then dispatch                            │
//	authenticated  stored: transaction.UserID and AuthTime; the session (server-side + cookie) │
//	     │ authenticate passes: the session is the one this transaction authenticated          │
//	     ▼ ◀───────────────────────────────────────────────────────────────────────────────────┘
//	claimed     the transaction is deleted (ConsumeTransaction): one of two racing requests goes
//	     │      on, the other sees "no longer valid"; from here on the flow is in this request only
//	     │ user: exists and is not blocked, else access_denied
//	     │ scopes: the token endpoint's RBAC rule (grantScopes) gives the granted scopes
//	     │ actions: post-login Actions; trigger.Apply saves their metadata (even on a denial), a
//	     │          denial is access_denied, their claims and scope changes go on the code
//	     │ redirect: an Action's api.redirect.sendUserTo → the transaction is stored again under
//	     │      the state the Actions were told, bound to this browser, with the paused run, and
//	     │      the browser sent to the Action's URL (continue.go); /continue?state=… from the same
//	     │      browser and session dispatches again: claim consumes it, actions resume the run
//	     │ mfa: policy, acr_values or an Action asks for a second factor the session has not
//	     │      passed → the transaction is stored again under a new id (pending, MFARequired)
//	     │      and the browser sent to enroll or answer a factor (mfa.go); the factor passed is
//	     │      recorded on the session (session_mfa) and dispatch runs again from the start
//	     ▼ issue
//	issued      stored: the authorization code (by hash) with client, user, session, redirect_uri,
//	            granted scope, audience, nonce, PKCE challenge, auth_time and the Actions' claims and
//	            added scopes; for a client that enabled the implicit grant, response_type id_token
//	            (no code) or code id_token adds a signed ID token (nonce required, c_hash beside a
//	            code); the response goes to redirect_uri (query, fragment, form_post, web_message)
//
// Whether a user has authenticated is never read from the browser: the flow passes authenticate only
// with a server-side session whose user and authentication time satisfy the stored transaction. A
// step that shows a page must come before claim, since it needs the transaction stored (showPage
// stores it), or store a copy of it under a new id as the mfa step does, since it acts on the
// Actions' outcome, which is known only after claim.
//
// A pushed authorization request (RFC 9126) is checked here too: /oauth/par (package oauth) hands
// its parameters to ValidatePushedRequest, and /authorize redeems the request_uri it answered once,
// for the client that pushed it, before the parameters go through the same parser. A client with
// require_pushed_authorization_requests gets an error for anything else.
//
// # Other identity providers (broker.go)
//
// Signing in at another provider is part of authenticate, since it is another way to authenticate:
// /authorize?connection=<oidc, oauth2, github or google-oauth2 connection>, a "Continue with …"
// button (POST /u/login/upstream) or an email whose domain is a connection's domain_aliases stores
// the transaction with a domain.UpstreamRequest and redirects to the provider (internal/upstream).
// GET /login/callback accepts the answer only for a live transaction bound to this browser whose
// state secret matches, once; then the user (by <strategy>|… id, never by email) is signed in as
// after a password, and any failure is an OAuth error to the redirect_uri.
//
// It must not issue tokens (the token endpoint redeems the code), must never redirect to a URI that is
// not registered for the client byte for byte (the one exception, a native app's loopback port, is
// protocol.RedirectURIAllowed's), and must not reveal whether an email is registered.
package authflow
