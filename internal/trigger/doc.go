// Package trigger is the contract between the flows that fire Auth0 Action triggers and the runner
// that executes them (package actionexec): the event each flow hands over, the one Outcome every
// trigger returns, and Apply, the one function that turns a post-login outcome into what is issued.
//
//	authflow (browser sign-in) ──┐
//	                             ├──▶ trigger ◀── actionexec (runs the Actions)
//	oauth/grant (token endpoint) ┘
//
// The flows and the runner meet here so that neither imports the other: a new trigger, or a new
// kind of decision an Action can make (an MFA requirement, a redirect), is added to this package
// and to both sides, and the import graph keeps pointing one way.
//
// It must not run JavaScript, build Auth0's event objects (actionexec does), sign tokens, resolve
// scopes against RBAC (the grants' rule; Apply takes the one question it needs, Tokens.MayAdd), or
// import a handler package. The only store write it makes is the metadata an outcome carries.
package trigger
