// Package bootstrap creates what a tenant needs before anyone can administer it: the dashboard
// roles, the first administrator, and Management API clients for automation. `gatehouse admin
// create`, `gatehouse clients create --management` and `gatehouse dev` call it; `serve` asks it
// whether an administrator exists.
//
// A dashboard role is an ordinary role whose permissions are on the Management API: Dashboard Admin
// holds them all, Dashboard Read-only the read:* ones that reveal no credential. They say what the
// dashboard may do for the person holding them. They never reach a token the person obtains
// themselves: a user-obtained token for the Management API carries at most the *:current_user*
// scopes (domain.ResourceServer.UserMayHold), so holding Dashboard Admin gives a user nothing at
// /authorize. The dashboard, a first-party system client, asks for a client-credentials token scoped
// to the intersection of its grant and the signed-in person's dashboard permissions.
//
// It must not: serve HTTP, print, read a password from anywhere (the caller hashes it), or migrate
// a database. Every function works on the store it is given, in one transaction, and changes
// nothing when it fails.
package bootstrap
