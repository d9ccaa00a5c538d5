package actions

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/dop251/goja"
)

// continueHandler is the export a resumed post-login run calls on the action that redirected.
const continueHandler = "onContinuePostLogin"

// maxRedirectQuery bounds the parameters sendUserTo's query option may add.
const maxRedirectQuery = 100

// PostLoginOptions are what an interactive browser sign-in adds to a post-login run.
type PostLoginOptions struct {
	// CanRedirect allows api.redirect.sendUserTo (api.redirect.canRedirect()).
	CanRedirect bool
	// State is the value a redirect from this run carries as `state` and /continue must bring
	// back; encodeToken puts it in the token's state claim.
	State string
	// Resume continues a run that redirected; ContinueState is the state /continue brought
	// back, which validateToken requires in the returned token.
	Resume        *PostLoginResume
	ContinueState string
}

// RedirectRequest is the api.redirect.sendUserTo call a run paused on.
type RedirectRequest struct {
	// URL is the target with the action's query; the caller adds state. Target and Query are
	// what sendUserTo was called with (a test run shows them).
	URL    string
	Target string
	Query  map[string]string
	// Resume is what the resumed run starts from; the caller keeps it with the login.
	Resume PostLoginResume
}

// PostLoginResume is a post-login run paused by a redirect: which action redirected (by position
// and id, so a change of bindings in between is noticed) and what the actions had decided so far.
// It is applied nowhere until the resumed run ends: a user who never comes back leaves nothing.
type PostLoginResume struct {
	Index               int            `json:"index"`
	ActionID            string         `json:"action_id"`
	IDTokenClaims       map[string]any `json:"id_token_claims,omitempty"`
	AccessTokenClaims   map[string]any `json:"access_token_claims,omitempty"`
	AddScopes           []string       `json:"add_scopes,omitempty"`
	RemoveScopes        []string       `json:"remove_scopes,omitempty"`
	AppMetadata         map[string]any `json:"app_metadata,omitempty"`
	UserMetadata        map[string]any `json:"user_metadata,omitempty"`
	TransactionMetadata map[string]any `json:"transaction_metadata,omitempty"`
	Multifactor         *Multifactor   `json:"multifactor,omitempty"`
}

// check refuses to resume when the action that redirected is no longer bound at its place.
func (p *PostLoginResume) check(actions []Bound) error {
	if p.Index < 0 || p.Index >= len(actions) || actions[p.Index].ActionID != p.ActionID {
		return &ExecutionError{Kind: KindException, ActionID: p.ActionID,
			Message: "the action that redirected is no longer bound at its place in the post-login trigger; the login cannot continue"}
	}
	return nil
}

// snapshot records the run's decisions after action i (actionID) redirected.
func snapshot(i int, actionID string, res *PostLoginResult, idc, atc *claimSet) PostLoginResume {
	return PostLoginResume{
		Index: i, ActionID: actionID,
		IDTokenClaims: maps.Clone(idc.claims), AccessTokenClaims: maps.Clone(atc.claims),
		AddScopes: slices.Clone(res.AddScopes), RemoveScopes: slices.Clone(res.RemoveScopes),
		AppMetadata: maps.Clone(res.AppMetadata), UserMetadata: maps.Clone(res.UserMetadata),
		TransactionMetadata: maps.Clone(res.TransactionMetadata), Multifactor: res.Multifactor,
	}
}

// restore puts a paused run's decisions back, as if its actions had just run.
func (p *PostLoginResume) restore(res *PostLoginResult, idc, atc *claimSet) {
	idc.restore(p.IDTokenClaims)
	atc.restore(p.AccessTokenClaims)
	res.AddScopes, res.RemoveScopes = slices.Clone(p.AddScopes), slices.Clone(p.RemoveScopes)
	maps.Copy(res.AppMetadata, p.AppMetadata)
	maps.Copy(res.UserMetadata, p.UserMetadata)
	maps.Copy(res.TransactionMetadata, p.TransactionMetadata)
	res.Multifactor = p.Multifactor
}

// restore sets claims that were accepted before, counting their sizes again.
func (c *claimSet) restore(claims map[string]any) {
	for name, v := range claims {
		b, err := json.Marshal(v)
		if err != nil {
			continue
		}
		c.claims[name] = v
		c.sizes[name] = len(b) + len(name)
		c.total += len(b) + len(name)
	}
}

// redirector serves api.redirect for one action of a trigger whose flow can send the browser away
// (post-login, password-reset-post-challenge): canRedirect allows sendUserTo, state is what a
// redirect carries and encodeToken signs, continuing marks the resumed run's continue export
// (continueExport, named in validateToken's error), continueState the state /continue brought
// back, event the event as generic JSON. sendUserTo leaves url, target and query.
type redirector struct {
	canRedirect    bool
	state          string
	continuing     bool
	continueExport string
	continueState  string
	event          map[string]any
	url, target    string
	query          map[string]string
}

// installRedirect adds api.redirect (Auth0's Redirect with Actions); withCanRedirect adds
// api.redirect.canRedirect, which only post-login has.
func (s *redirector) install(vm *goja.Runtime, ex *execution, api *goja.Object, withCanRedirect bool) {
	fail := func(fn, msg string) {
		panic(newError(vm, "Error", fn+": "+msg))
	}
	options := func(fn string, v goja.Value) *goja.Object {
		o, ok := v.(*goja.Object)
		if !ok {
			panic(vm.NewTypeError(fn + ": expects an options object"))
		}
		return o
	}
	str := func(o *goja.Object, key string) (string, bool) {
		v := o.Get(key)
		if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
			return "", false
		}
		x, ok := v.Export().(string)
		return x, ok
	}
	funcs := map[string]func(goja.FunctionCall) goja.Value{
		"sendUserTo": func(c goja.FunctionCall) goja.Value {
			const fn = "api.redirect.sendUserTo"
			if !s.canRedirect {
				fail(fn, "this flow cannot be redirected (a token exchange, prompt=none or a test run); check api.redirect.canRedirect() first")
			}
			target, ok := c.Argument(0).Export().(string)
			if !ok {
				panic(vm.NewTypeError(fn + ": the URL must be a string"))
			}
			query := map[string]string{}
			if o, ok := c.Argument(1).(*goja.Object); ok {
				if q, ok := o.Get("query").(*goja.Object); ok {
					keys := q.Keys()
					if len(keys) > maxRedirectQuery {
						panic(vm.NewTypeError(fmt.Sprintf("%s: query has more than %d parameters", fn, maxRedirectQuery)))
					}
					for _, k := range keys {
						switch v := q.Get(k).Export().(type) {
						case string:
							query[k] = v
						case int64, float64, bool:
							query[k] = q.Get(k).String()
						default:
							panic(vm.NewTypeError(fn + ": query values must be strings, numbers or booleans"))
						}
					}
				}
			}
			u, err := RedirectURL(target, query)
			if err != nil {
				panic(vm.NewTypeError(fn + ": " + err.Error()))
			}
			s.url, s.target, s.query = u, target, query
			return goja.Undefined()
		},
		"encodeToken": func(c goja.FunctionCall) goja.Value {
			const fn = "api.redirect.encodeToken"
			o := options(fn, c.Argument(0))
			secret, ok := str(o, "secret")
			if !ok || secret == "" {
				panic(vm.NewTypeError(fn + ": secret must be a non-empty string"))
			}
			var payload map[string]any
			if v := o.Get("payload"); v != nil && !goja.IsUndefined(v) && !goja.IsNull(v) {
				p, _, err := exportJSON(vm, v)
				m, isObj := p.(map[string]any)
				if err != nil || !isObj {
					panic(vm.NewTypeError(fn + ": payload must be a JSON-serialisable object"))
				}
				payload = m
			}
			lifetime := DefaultTokenLifetime
			if v := o.Get("expiresInSeconds"); v != nil && !goja.IsUndefined(v) {
				n := v.ToFloat()
				if !(n >= 1) || n > maxTokenLifetime.Seconds() {
					panic(vm.NewTypeError(fmt.Sprintf("%s: expiresInSeconds must be a number from 1 to %d", fn, int(maxTokenLifetime.Seconds()))))
				}
				lifetime = time.Duration(n) * time.Second
			}
			user, _ := s.event["user"].(map[string]any)
			req, _ := s.event["request"].(map[string]any)
			claims := SessionTokenClaims{State: s.state}
			claims.Subject, _ = user["user_id"].(string)
			claims.Issuer, _ = req["hostname"].(string)
			claims.IP, _ = req["ip"].(string)
			tok, err := EncodeSessionToken(secret, payload, claims, ex.r.now(), lifetime)
			if err != nil {
				fail(fn, err.Error())
			}
			return vm.ToValue(tok)
		},
		"validateToken": func(c goja.FunctionCall) goja.Value {
			const fn = "api.redirect.validateToken"
			if !s.continuing {
				fail(fn, "can be called only in "+s.continueExport+", after a redirect")
			}
			o := options(fn, c.Argument(0))
			secret, ok := str(o, "secret")
			if !ok || secret == "" {
				panic(vm.NewTypeError(fn + ": secret must be a non-empty string"))
			}
			param := DefaultTokenParameter
			if p, ok := str(o, "tokenParameterName"); ok && p != "" {
				param = p
			}
			claims, err := ValidateSessionToken(s.requestParam(param), secret, s.continueState, ex.r.now())
			if err != nil {
				fail(fn, err.Error())
			}
			return toJS(vm, claims)
		},
	}
	if withCanRedirect {
		funcs["canRedirect"] = func(goja.FunctionCall) goja.Value { return vm.ToValue(s.canRedirect) }
	}
	setFuncs(vm, api, "redirect", funcs)
}

// requestParam is the /continue request's parameter name: from the posted body, else the query.
func (s *redirector) requestParam(name string) string {
	req, _ := s.event["request"].(map[string]any)
	for _, where := range []string{"body", "query"} {
		if m, ok := req[where].(map[string]any); ok {
			if v, ok := m[name].(string); ok && v != "" {
				return v
			}
		}
	}
	return ""
}
