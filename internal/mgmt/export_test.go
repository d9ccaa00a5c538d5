package mgmt

// RouteSpec is one Management API route as the access tests see it.
type RouteSpec struct {
	Method, Path string
	Scopes, Self []string
}

// RouteSpecs lists every route Mount serves.
func RouteSpecs() []RouteSpec {
	var out []RouteSpec
	for _, rt := range New(Options{Issuer: "https://gatehouse.test/"}).routes() {
		out = append(out, RouteSpec{Method: rt.method, Path: rt.path, Scopes: rt.scopes, Self: rt.selfScopes})
	}
	return out
}
