package actions

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/dop251/goja"
)

// Denial is an api.access.deny call: the flow fails with access_denied (post-login) or
// with Code (credentials-exchange), described by Reason.
type Denial struct {
	Code   string
	Reason string
}

// PostLoginResult is what the post-login chain asked for. The caller applies it: claims
// to the tokens (after its own scope-based rules), scope changes to the access token,
// metadata to the user once (even when Denied is set, as Auth0 does), Denied to the
// response.
type PostLoginResult struct {
	IDTokenClaims     map[string]any
	AccessTokenClaims map[string]any
	AddScopes         []string
	RemoveScopes      []string
	Denied            *Denial
	// AppMetadata and UserMetadata are shallow merges; a nil value deletes the key.
	AppMetadata         map[string]any
	UserMetadata        map[string]any
	TransactionMetadata map[string]any
	Logs                []LogLine
	Dropped             []DroppedClaim
	// Multifactor is the last api.multifactor.enable call, nil when none was made.
	Multifactor *Multifactor
	// Redirect is the api.redirect.sendUserTo the chain paused on; nil when it ran to its end.
	Redirect *RedirectRequest
}

// Multifactor is api.multifactor.enable(provider, {allowRememberBrowser}): the sign-in must pass a
// second factor (provider "none": it must not, whatever the tenant's policy).
type Multifactor struct {
	Provider             string
	AllowRememberBrowser bool
	// Challenge lists the factor types api.authentication.challengeWith/challengeWithAny allow, in
	// the Action's order; Enroll those enrollWith/enrollWithAny ask to be enrolled.
	Challenge []string
	Enroll    []string
}

// Factor types api.authentication.challengeWith and enrollWith accept here (Auth0's names).
var (
	challengeFactors = map[string]bool{"otp": true, "email": true, "recovery-code": true}
	enrollFactors    = map[string]bool{"otp": true, "webauthn-roaming": true, "webauthn-platform": true}
)

// factorTypes reads Auth0's factor selectors: one {type} object, or, with many, an array of them.
func factorTypes(vm *goja.Runtime, fn string, arg goja.Value, many bool, allowed map[string]bool) []string {
	var list []any
	if many {
		l, ok := arg.Export().([]any)
		if !ok || len(l) == 0 {
			panic(vm.NewTypeError(fn + ": expects a non-empty array of factor selectors ({type: 'otp'})"))
		}
		list = l
	} else {
		list = []any{arg.Export()}
	}
	var out []string
	for _, v := range list {
		o, _ := v.(map[string]any)
		typ, _ := o["type"].(string)
		if typ == "" {
			panic(vm.NewTypeError(fn + ": a factor selector is an object with a type ({type: 'otp'})"))
		}
		if !allowed[typ] {
			panic(newError(vm, "Error", fmt.Sprintf("%s: factor type %q is not supported by this server", fn, typ)))
		}
		if !slices.Contains(out, typ) {
			out = append(out, typ)
		}
	}
	return out
}

// multifactorProviders are the providers api.multifactor.enable accepts; "guardian" and
// "google-authenticator" are answered with the factors Gatehouse has (TOTP, recovery code), as
// "any" is. Duo is not available.
var multifactorProviders = map[string]bool{"any": true, "guardian": true, "google-authenticator": true, "none": true}

// Transaction metadata limits (spec §5.1).
const (
	txMetaMaxKey   = 64
	txMetaMaxValue = 8 * 1024
	txMetaMaxTotal = 16 * 1024
)

// RunPostLogin runs the post-login actions in binding order. On an *ExecutionError the
// login must fail; the result still carries the logs written so far (and is nil only
// when the execution had to be abandoned).
func (r *Runtime) RunPostLogin(ctx context.Context, actions []Bound, ev PostLoginEvent) (*PostLoginResult, error) {
	return r.RunPostLoginWith(ctx, actions, ev, PostLoginOptions{})
}

// RunPostLoginWith is RunPostLogin for a run that may redirect or that resumes a redirect
// (o). An action that calls api.redirect.sendUserTo ends the run after it: the result's
// Redirect carries the URL and what a resumed run needs (Auth0 suspends the pipeline there).
// With o.Resume, the run starts at the action that redirected, with its onContinuePostLogin,
// on top of what the actions before the redirect decided, and goes on with the remaining
// actions' onExecutePostLogin.
func (r *Runtime) RunPostLoginWith(ctx context.Context, actions []Bound, ev PostLoginEvent, o PostLoginOptions) (*PostLoginResult, error) {
	if err := r.checkBound(actions, TriggerPostLogin); err != nil {
		return nil, err
	}
	base, err := toGeneric(ev.normalized())
	if err != nil {
		return nil, fmt.Errorf("actions: encode event: %w", err)
	}
	res := &PostLoginResult{AppMetadata: map[string]any{}, UserMetadata: map[string]any{}, TransactionMetadata: map[string]any{}}
	idc := newClaimSet("id_token", &res.Dropped)
	atc := newClaimSet("access_token", &res.Dropped)
	start := 0
	if o.Resume != nil {
		if err := o.Resume.check(actions); err != nil {
			return &PostLoginResult{}, err
		}
		start = o.Resume.Index
		o.Resume.restore(res, idc, atc)
		applyMetadata(base, res)
	}
	logs := &logSink{}
	err = r.run(ctx, TriggerPostLogin, func(ex *execution) error {
		for i := start; i < len(actions); i++ {
			b := actions[i]
			continuing := o.Resume != nil && i == start
			st := &postLoginState{res: res, idc: idc, atc: atc, rd: redirector{canRedirect: o.CanRedirect, state: o.State,
				continuing: continuing, continueExport: continueHandler, continueState: o.ContinueState, event: base}}
			export := b.Program.handler
			if continuing {
				export = continueHandler
			}
			if e := ex.runExport(b, logs, export, continuing, func(vm *goja.Runtime) (goja.Value, goja.Value, error) {
				event := toJS(vm, base).(*goja.Object)
				_ = event.Set("secrets", secretsValue(vm, b.Secrets))
				return event, st.api(vm, ex), nil
			}); e != nil {
				return e
			}
			applyMetadata(base, res)
			if res.Denied != nil {
				return nil // deny stops the chain (spec §5.1)
			}
			if st.rd.url != "" {
				res.Redirect = &RedirectRequest{URL: st.rd.url, Target: st.rd.target, Query: st.rd.query,
					Resume: snapshot(i, b.ActionID, res, idc, atc)}
				return nil // the chain pauses after the action that redirected
			}
		}
		return nil
	})
	if err == errAbandoned {
		return nil, err
	}
	res.IDTokenClaims, res.AccessTokenClaims, res.Logs = idc.claims, atc.claims, logs.lines
	return res, err
}

// applyMetadata shows later actions the metadata earlier ones set, as Auth0 does.
func applyMetadata(base map[string]any, res *PostLoginResult) {
	user, _ := base["user"].(map[string]any)
	tx, _ := base["transaction"].(map[string]any)
	merge := func(dst map[string]any, src map[string]any) {
		for k, v := range src {
			if v == nil {
				delete(dst, k)
			} else {
				dst[k] = v
			}
		}
	}
	if user != nil {
		for key, src := range map[string]map[string]any{"app_metadata": res.AppMetadata, "user_metadata": res.UserMetadata} {
			dst, _ := user[key].(map[string]any)
			if dst == nil {
				dst = map[string]any{}
				user[key] = dst
			}
			merge(dst, src)
		}
	}
	if tx != nil {
		dst, _ := tx["metadata"].(map[string]any)
		if dst == nil {
			dst = map[string]any{}
			tx["metadata"] = dst
		}
		maps.Copy(dst, res.TransactionMetadata)
	}
}

type postLoginState struct {
	res      *PostLoginResult
	idc, atc *claimSet
	// rd serves api.redirect.
	rd redirector
}

// api builds the post-login api object (spec §5.3) for one action.
func (s *postLoginState) api(vm *goja.Runtime, ex *execution) goja.Value {
	api := vm.NewObject()
	res := s.res
	setFuncs(vm, api, "access", map[string]func(goja.FunctionCall) goja.Value{
		"deny": func(c goja.FunctionCall) goja.Value {
			if res.Denied == nil {
				res.Denied = &Denial{Code: "access_denied", Reason: c.Argument(0).String()}
				if goja.IsUndefined(c.Argument(0)) {
					res.Denied.Reason = ""
				}
			}
			return api
		},
	})
	setFuncs(vm, api, "idToken", map[string]func(goja.FunctionCall) goja.Value{
		"setCustomClaim": s.idc.setter(vm, &api),
	})
	setFuncs(vm, api, "accessToken", map[string]func(goja.FunctionCall) goja.Value{
		"setCustomClaim": s.atc.setter(vm, &api),
		"addScope": func(c goja.FunctionCall) goja.Value {
			sc := c.Argument(0).String()
			res.RemoveScopes = slices.DeleteFunc(res.RemoveScopes, func(x string) bool { return x == sc })
			if !slices.Contains(res.AddScopes, sc) {
				res.AddScopes = append(res.AddScopes, sc)
			}
			return api
		},
		"removeScope": func(c goja.FunctionCall) goja.Value {
			sc := c.Argument(0).String()
			res.AddScopes = slices.DeleteFunc(res.AddScopes, func(x string) bool { return x == sc })
			if !slices.Contains(res.RemoveScopes, sc) {
				res.RemoveScopes = append(res.RemoveScopes, sc)
			}
			return api
		},
	})
	metaSetter := func(dst map[string]any) func(goja.FunctionCall) goja.Value {
		return func(c goja.FunctionCall) goja.Value {
			key := c.Argument(0).String()
			v, _, err := exportJSON(vm, c.Argument(1))
			if err != nil { // undefined deletes, like null
				v = nil
			}
			dst[key] = v
			return api
		}
	}
	setFuncs(vm, api, "user", map[string]func(goja.FunctionCall) goja.Value{
		"setAppMetadata":  metaSetter(res.AppMetadata),
		"setUserMetadata": metaSetter(res.UserMetadata),
	})
	setFuncs(vm, api, "transaction", map[string]func(goja.FunctionCall) goja.Value{
		"setMetadata": func(c goja.FunctionCall) goja.Value {
			key := c.Argument(0).String()
			v := c.Argument(1).Export()
			switch x := v.(type) {
			case string:
				if len(x) > txMetaMaxValue {
					panic(vm.NewTypeError("transaction metadata values are limited to 8 kB"))
				}
			case int64:
				v = float64(x)
			case float64, bool:
			default:
				panic(vm.NewTypeError("transaction metadata values must be strings, numbers or booleans"))
			}
			if key == "" || len(key) > txMetaMaxKey {
				panic(vm.NewTypeError("transaction metadata keys must be 1 to 64 characters"))
			}
			total := len(key) + len(fmt.Sprint(v))
			for k, old := range res.TransactionMetadata {
				if k != key {
					total += len(k) + len(fmt.Sprint(old))
				}
			}
			if total > txMetaMaxTotal {
				panic(vm.NewTypeError("transaction metadata is limited to 16 kB"))
			}
			res.TransactionMetadata[key] = v
			return api
		},
	})
	s.rd.install(vm, ex, api, true)
	setFuncs(vm, api, "multifactor", map[string]func(goja.FunctionCall) goja.Value{
		"enable": func(c goja.FunctionCall) goja.Value {
			provider := c.Argument(0).String()
			if goja.IsUndefined(c.Argument(0)) || !multifactorProviders[provider] {
				panic(newError(vm, "Error", fmt.Sprintf("api.multifactor.enable: provider %q is not supported by this server (any, guardian, google-authenticator, none)", provider)))
			}
			m := &Multifactor{Provider: provider}
			if opts, ok := c.Argument(1).Export().(map[string]any); ok {
				m.AllowRememberBrowser, _ = opts["allowRememberBrowser"].(bool)
			}
			res.Multifactor = m
			return api
		},
	})
	// challengeWith(factor, {additionalFactors}) and challengeWithAny(factors) ask for a second
	// factor of those types; enrollWith/enrollWithAny for the enrollment of one. Each asks for MFA
	// as api.multifactor.enable('any') does, keeping an earlier call's allowRememberBrowser.
	authFactors := func(enroll bool, types []string) {
		m := res.Multifactor
		if m == nil || m.Provider == "none" {
			m = &Multifactor{Provider: "any"}
		} else {
			c := *m
			m = &c
		}
		if enroll {
			m.Enroll = types
		} else {
			m.Challenge = types
		}
		res.Multifactor = m
	}
	setFuncs(vm, api, "authentication", map[string]func(goja.FunctionCall) goja.Value{
		"challengeWith": func(c goja.FunctionCall) goja.Value {
			types := factorTypes(vm, "api.authentication.challengeWith", c.Argument(0), false, challengeFactors)
			if opts, ok := c.Argument(1).Export().(map[string]any); ok && opts["additionalFactors"] != nil {
				types = append(types, factorTypes(vm, "api.authentication.challengeWith", c.Argument(1).ToObject(vm).Get("additionalFactors"), true, challengeFactors)...)
			}
			var unique []string
			for _, t := range types {
				if !slices.Contains(unique, t) {
					unique = append(unique, t)
				}
			}
			authFactors(false, unique)
			return goja.Undefined()
		},
		"challengeWithAny": func(c goja.FunctionCall) goja.Value {
			authFactors(false, factorTypes(vm, "api.authentication.challengeWithAny", c.Argument(0), true, challengeFactors))
			return goja.Undefined()
		},
		"enrollWith": func(c goja.FunctionCall) goja.Value {
			authFactors(true, factorTypes(vm, "api.authentication.enrollWith", c.Argument(0), false, enrollFactors))
			return goja.Undefined()
		},
		"enrollWithAny": func(c goja.FunctionCall) goja.Value {
			authFactors(true, factorTypes(vm, "api.authentication.enrollWithAny", c.Argument(0), true, enrollFactors))
			return goja.Undefined()
		},
		"recordMethod":   notSupported(vm, "api.authentication.recordMethod"),
		"setPrimaryUser": notSupported(vm, "api.authentication.setPrimaryUser"),
	})
	ex.installCache(vm, api)
	return api
}
