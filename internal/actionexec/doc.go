// Package actionexec connects the Actions runtime (package actions) to the tenant's
// stored configuration and to the three places that run or check Actions:
//
//   - the browser sign-in, after the user authenticated at /authorize, and the
//     refresh_token grant (trigger.PostLoginRunner: Executor.PostLogin);
//   - the client_credentials grant (trigger.CredentialsExchangeRunner:
//     Executor.CredentialsExchange);
//   - the registration triggers (authflow's signup) and the password triggers (passwordreset's
//     pages, the Management API's password update), post-user-registration and
//     post-change-password in the background with retries;
//   - the Management API (mgmt.ActionCompiler: Executor.Compile), which compiles an
//     action's code at deploy time and shows the error (line and message) to the caller.
//
// It owns: reading a trigger's bindings and each bound action's deployed version from
// the store; compiling each version once (versions are immutable, so a compiled program
// is cached by version id and never needs invalidating); caching the resolved chain for
// a short time (Options.BindingsTTL, 2 s) so a sign-in costs no configuration query;
// building Auth0's event objects from domain objects (spec §5.2, §5.4); turning the
// runtime's result into the one trigger.Outcome the caller applies (a redirect among them:
// Outcome.Redirect.Resume is the paused run as JSON, handed back in PostLogin.Resume at
// /continue); and writing console
// output, dropped claims and failures to the tenant log (audit.TypeActionLog), with the
// action's secret values redacted; recording each run as an execution (GET
// /api/v2/actions/executions/{id}), queued and written in batches off the request path; and
// api.cache in the store every node shares.
//
// A failed execution (timeout, memory limit, thrown exception, a deployed version that
// no longer compiles) fails the flow with a fixed, generic description: the JavaScript
// error goes to the tenant log only, never to the end user, because an action's error
// text may carry its secrets or the user's data.
//
// It must not: import the flows it serves (authflow, oauth/grant; their contract is
// package trigger), sign tokens, apply Auth0's scope-dependent claim rules, write HTTP
// responses, or persist what an action decided: metadata, like claims and scopes, goes
// back in the Outcome and trigger.Apply saves it, once, for every flow.
package actionexec
