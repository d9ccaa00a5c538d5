// Package web holds the hosted pages a browser sees — login, signup, error, logout confirmation,
// logged-out and the form_post auto-submit page — as html/template files, a stylesheet and themes,
// all embedded in the binary. A directory given at startup overrides any of them file by file, and
// Load fails when a required template is missing or does not parse, so a broken override is caught
// at startup rather than on a user's first sign-in.
//
// Pages use no external assets and no JavaScript except the form_post auto-submit, which runs under a
// per-response CSP nonce and has a <noscript> button fallback. Everything is escaped by html/template.
//
// It must not know about OAuth, sessions or storage: handlers pass plain data structs and decide
// status codes and security headers beyond the defaults set here.
package web
