// Package admin is Gatehouse's dashboard at /admin/: server-rendered html/template pages, embedded
// in the binary, through which a person administers the tenant.
//
// Who signs in, and how. The dashboard is a first-party Regular Web App (bootstrap's Gatehouse
// Dashboard client) and signs people in exactly as any app does: sdk/webauth, the authorization
// code flow with PKCE at this issuer's /authorize, the same login page, cookies and checks. Its
// HTTP client reaches discovery, the JWKS and the token endpoint in-process (inProcess), so it
// needs no loopback socket and no trust in its own certificate.
//
// What they may do: no back door. Every read and write a page makes is a Management API request,
// sent in-process through the node's whole handler (middleware, rate limit, scope checks, sapi
// events). Its bearer token comes from the injected TokenSource: a token for the dashboard client
// carrying the Management API permissions the person's dashboard roles hold (Dashboard Admin,
// Dashboard Read-only, or any role holding Management API permissions), within the dashboard's
// client grant, with the person named in its act claim (RFC 8693), so that every change is logged
// as `sapi` with their user id. It is not the person's own token: a token a user obtains at
// /authorize for the Management API still carries only *:current_user* scopes. A person whose roles
// hold no Management API permission is refused (403) after signing in. The dashboard therefore
// can do exactly what the API allows that person, and shows the API's own error messages.
//
// Pages: home (the tenant's counts), Applications (list with search and paging; create by type
// with the guide's advice, showing the new secret once with a .env.local block; Settings with the
// URL lists one per line, security settings and grant types; Credentials, rotating the secret after
// a confirmation and showing the new one once; Quickstart, the app's .env.local); APIs (Settings
// with RBAC, Permissions, Machine to Machine client grants); Users (search by email, profile,
// block, verify, sign out everywhere, reset email or link, roles, permissions); Roles
// (permissions from any API, members). Actions (list, create by trigger, a code editor, secrets whose values are write-only, Deploy with the compiler's error shown at its
// line, versions and roll back, delete after a confirmation) and Flows (each trigger's bound actions
// in order: add, remove, move). Monitoring: the tenant log (filtered by Auth0's event codes under
// their names, and by user; paged; a detail view with the raw event) whose first page follows the
// log live, and the home page's chart of the last day's sign-ins and failures, an SVG drawn on the
// server from the log read through the API. Settings: the tenant's name and support email, the
// login page's branding (logo, primary colour, page background; /api/v2/branding) with a preview
// drawn by the hosted pages' own branding stylesheet, the email provider (SMTP password write-only), signing keys (rotate, revoke a previous key, each after
// a confirmation step). Security: brute-force protection (/api/v2/attack-protection/brute-force-
// protection; the panel is left out when the API has no such endpoint) and the seed guide's security
// checklist run against the tenant as the API shows it, each failing item naming what fails with a
// link to fix it; Security › Multi-factor authentication turns the Guardian factors on and off and
// sets the policy (/guardian/factors, /guardian/policies; each part sent only when changed, so
// its own scope decides), and a user's Multi-factor tab lists and deletes their authentication
// methods and forgets their remembered browsers. Authentication › Database: each auth0 connection's password policy, sign-up and
// brute-force settings (PATCH replaces options whole, so a save merges into the options read) and
// the applications it is enabled for. Branding › Email Templates: the seven templates (a 404 is the
// built-in default), each saved by PUT the first time and PATCH after. A refused change re-renders the form as typed with the API's own
// message (and the guide's warning beside a wildcard refusal). Lists the Management API cannot
// filter by name are filtered over a bounded walk of every page. After a change a page redirects
// with a message code; only the codes in flashes can be shown, so a crafted link cannot make the
// dashboard say anything else.
//
// Destructive actions (deleting an application, API, user or role; removing an application's
// access to an API; rotating a secret) need a sign-in younger than five minutes, read from the
// session's ID token auth_time (every sign-in asks max_age, which makes the token carry it). An
// older session is sent through /authorize with prompt=login and max_age=0 and comes back to the
// confirmation page (reauth.go).
//
// Scripts: only static/*.js files of this package, written for it (the Action editor colours code
// and numbers lines under the form's own textarea; the log page polls for its own rows, parsed
// with DOMParser, which runs nothing). They add nothing a page needs: every page works
// with scripts off, and a script inserts text only as text nodes.
//
// Pages set no inline script and no inline style; the node's CSP (default-src 'self', frame-ancestors
// 'none', form-action 'self') applies unchanged. Every POST carries a CSRF token bound to the
// session's ID token and is refused when Fetch Metadata or Origin says it came from elsewhere.
//
// It must not: import a store or the Management API package (it would be a back door), keep
// tokens anywhere but the request that minted them, or render a value except through
// html/template's escaping.
package admin
