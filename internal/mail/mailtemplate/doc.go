// Package mailtemplate owns the content of Gatehouse's mail: the built-in templates (HTML and
// text, written in Liquid like a tenant's own), the tenant's templates as /api/v2/email-templates
// stores them, Auth0's template variables (user.*, application.*, url, tenant, friendly_name, …)
// and rendering them into a finished domain.OutboundEmail that a flow queues.
//
// Liquid runs in a sandbox (osteele/liquid with its own loop, assign and capture tags and every
// filter measured): no include (no file is ever read), no tablerow, a range only as the whole
// collection of a for loop; at most MaxIterations loop iterations, MaxValue bytes in any value,
// MaxAllocated bytes of values, MaxOutput bytes of output and RenderDeadline of time per part.
// Check applies the same limits with a sample user before a template is saved. In the HTML part
// every value arrives HTML-escaped, so what a user typed cannot add markup to a mail.
//
// It must not: send or queue anything (flows queue what it renders, in their own transaction),
// import a flow, or render a template it has not bounded.
package mailtemplate
