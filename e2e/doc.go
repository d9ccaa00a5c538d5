// Package e2e holds the end-to-end tests of the seed guide's "How to Verify It Worked": Gatehouse
// in-process over HTTPS with its development CA, the seed application (examples/seedapp) on loopback
// ports, and a headless Chromium driving the hosted sign-in page as a user would — also as the
// system browser of a native app (golang.org/x/oauth2) listening on a random loopback port.
//
// The tests skip, saying why, when no Chromium binary is found (GATEHOUSE_TEST_CHROMIUM, or
// /usr/bin/chromium). Screenshots go to GATEHOUSE_TEST_ARTIFACTS (default a temporary directory).
// Everything listens on 127.0.0.1 and the browser is kept off every other host.
package e2e
