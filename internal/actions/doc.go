// Package actions runs Auth0 Actions: tenant-written JavaScript bound to the
// post-login, credentials-exchange, registration and password triggers (spec §5), on
// github.com/dop251/goja.
//
// It owns compiling an action at deploy time (syntax errors with positions, the
// require allow-list, the 100 kB source limit), the event and api objects Auth0
// documents, and the sandbox every execution runs in: a fresh JavaScript runtime per
// action, no filesystem, process or run-time code generation, console output captured,
// one deadline per trigger execution (goja's Interrupt), a call-depth limit, size checks
// on builtins that allocate in one native call, and a memory watchdog (see watchdog.go
// for how far it can be trusted).
//
// Within that sandbox an action has an event loop (loop.go: timers and requests settle
// on the goroutine that runs the action, within the deadline), fetch with the WHATWG
// classes (fetch.go, web/prelude.js: per-call timeout, size caps, bounded redirects,
// verified TLS, and netguard's address rule after DNS unless the tenant's allow-list
// names the host), and the built-in modules of web/modules.js (axios, node:crypto,
// jsonwebtoken, querystring, url). Bytes, randomness, hashing and the network are Go
// natives that check their own arguments; the JavaScript around them is trusted with
// nothing.
//
// api.cache goes through a CacheBackend the caller gives (Gatehouse nodes: the store they
// share; else this node's memory) after the runtime checked Auth0's limits. Each action's run
// (start, end, failure) is recorded in the context's RunLog, for the caller's execution record.
//
// It returns what the actions asked for (claims, scope changes, metadata, a denial, a
// redirect that pauses the chain: postlogin_redirect.go, reset_redirect.go for the
// password reset, with the session tokens of redirect.go) and does not apply it: no HTTP, no storage, no token signing here. Callers own the
// rest of Auth0's claim rules that depend on context (claims removed when their OIDC
// scope was not granted, no non-namespaced claims in Management API tokens) and
// persisting metadata once at the end of the flow.
package actions
