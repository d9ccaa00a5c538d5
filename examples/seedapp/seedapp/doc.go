// Package seedapp is the application of the guide "How to Set Up Auth0 Securely", written in Go on
// the two Gatehouse SDKs instead of Next.js and Express: a Regular Web Application on sdk/webauth
// (NewWeb) and the separate API it calls on sdk/apiauth (NewAPI). It works against Auth0 and against
// `gatehouse dev` alike; only the AUTH0_* settings differ.
//
//	Guide step                                   Here
//	-------------------------------------------  -------------------------------------------------
//	2. AUTH0_* in .env.local                     Config.Auth (webauth.FromEnv after LoadDotEnv)
//	3. handleAuth, login returnTo /dashboard     /api/auth/* from webauth; LoginReturnTo, LogoutReturnTo
//	5. middleware, /admin needs the admin role   RequireAuth; the https://yourapp.com/roles claim
//	6. /dashboard, /api/protected/data           RequireAuth; records filtered by session.user.sub
//	7. Express API: public, private, admin       NewAPI: apiauth middleware, RequiredPermissions
//	9. logout link                               /api/auth/logout (also ends the issuer's session)
//	10. getAccessToken, then call the API        /api/data and /api/data/admin: AccessToken, then the API
//
// What it must not do: render or log tokens and secrets, trust a session it did not seal (webauth
// does that), or show one user's records to another.
package seedapp
