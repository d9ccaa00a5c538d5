package actions

import (
	"context"
	"fmt"

	"github.com/dop251/goja"
)

// CredentialsExchangeResult is what the credentials-exchange chain asked for.
type CredentialsExchangeResult struct {
	AccessTokenClaims map[string]any
	// Denied.Code is invalid_scope, invalid_request or server_error (spec §5.4).
	Denied  *Denial
	Logs    []LogLine
	Dropped []DroppedClaim
}

// denyCode keeps the codes Auth0 accepts and maps anything else to invalid_request.
func denyCode(c string) string {
	switch c {
	case "invalid_scope", "invalid_request", "server_error":
		return c
	}
	return "invalid_request"
}

// RunCredentialsExchange runs the credentials-exchange actions in binding order, before
// a client_credentials access token is issued. Errors are as for RunPostLogin.
func (r *Runtime) RunCredentialsExchange(ctx context.Context, actions []Bound, ev CredentialsExchangeEvent) (*CredentialsExchangeResult, error) {
	if err := r.checkBound(actions, TriggerCredentialsExchange); err != nil {
		return nil, err
	}
	base, err := toGeneric(ev.normalized())
	if err != nil {
		return nil, fmt.Errorf("actions: encode event: %w", err)
	}
	res := &CredentialsExchangeResult{}
	atc := newClaimSet("access_token", &res.Dropped)
	logs := &logSink{}
	err = r.run(ctx, TriggerCredentialsExchange, func(ex *execution) error {
		for _, b := range actions {
			if e := ex.runAction(b, logs, func(vm *goja.Runtime) (goja.Value, goja.Value, error) {
				event := toJS(vm, base).(*goja.Object)
				_ = event.Set("secrets", secretsValue(vm, b.Secrets))
				return event, credentialsAPI(vm, ex, res, atc), nil
			}); e != nil {
				return e
			}
			// Later actions see earlier claims in event.accessToken.customClaims.
			if at, ok := base["accessToken"].(map[string]any); ok {
				cc, _ := at["customClaims"].(map[string]any)
				if cc == nil {
					cc = map[string]any{}
					at["customClaims"] = cc
				}
				for k, v := range atc.claims {
					cc[k] = v
				}
			}
			if res.Denied != nil {
				return nil
			}
		}
		return nil
	})
	if err == errAbandoned {
		return nil, err
	}
	res.AccessTokenClaims, res.Logs = atc.claims, logs.lines
	return res, err
}

func credentialsAPI(vm *goja.Runtime, ex *execution, res *CredentialsExchangeResult, atc *claimSet) goja.Value {
	api := vm.NewObject()
	setFuncs(vm, api, "access", map[string]func(goja.FunctionCall) goja.Value{
		"deny": func(c goja.FunctionCall) goja.Value {
			if res.Denied == nil {
				reason := ""
				if !goja.IsUndefined(c.Argument(1)) {
					reason = c.Argument(1).String()
				}
				res.Denied = &Denial{Code: denyCode(c.Argument(0).String()), Reason: reason}
			}
			return api
		},
	})
	setFuncs(vm, api, "accessToken", map[string]func(goja.FunctionCall) goja.Value{
		"setCustomClaim": atc.setter(vm, &api),
	})
	ex.installCache(vm, api)
	return api
}
