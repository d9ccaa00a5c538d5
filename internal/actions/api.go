package actions

import (
	"fmt"
	"time"

	"github.com/dop251/goja"
)

// maxClaimsPayload is Auth0's limit on the custom claims of one token (spec §2.5).
const maxClaimsPayload = 100 * 1024

// DroppedClaim records a custom claim that was not added, for the execution log.
type DroppedClaim struct {
	Token  string // "id_token" or "access_token"
	Name   string
	Reason string
}

// claimSet collects one token's custom claims across the chain.
type claimSet struct {
	token   string
	claims  map[string]any
	sizes   map[string]int
	total   int
	dropped *[]DroppedClaim
}

func newClaimSet(token string, dropped *[]DroppedClaim) *claimSet {
	return &claimSet{token: token, claims: map[string]any{}, sizes: map[string]int{}, dropped: dropped}
}

func (c *claimSet) drop(name, reason string) {
	*c.dropped = append(*c.dropped, DroppedClaim{Token: c.token, Name: name, Reason: reason})
}

// setter is api.<token>.setCustomClaim(name, value); it returns the api object as Auth0 does.
func (c *claimSet) setter(vm *goja.Runtime, api **goja.Object) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		name := call.Argument(0).String()
		if reason := claimDropReason(name); reason != "" {
			c.drop(name, reason)
			return *api
		}
		v, size, err := exportJSON(vm, call.Argument(1))
		if err != nil {
			c.drop(name, "value is not JSON-serialisable")
			return *api
		}
		if c.total-c.sizes[name]+size+len(name) > maxClaimsPayload {
			c.drop(name, "custom claims exceed 100 kB")
			return *api
		}
		c.total += size + len(name) - c.sizes[name]
		c.sizes[name] = size + len(name)
		c.claims[name] = v
		return *api
	}
}

// installCache adds api.cache, scoped to the trigger.
func (ex *execution) installCache(vm *goja.Runtime, api *goja.Object) {
	cache := vm.NewObject()
	now := ex.r.now
	store := ex.r.cache
	t := ex.trigger
	record := func(value string, expires time.Time) *goja.Object {
		o := vm.NewObject()
		_ = o.Set("value", value)
		_ = o.Set("expires_at", expires.UnixMilli())
		return o
	}
	result := func(code string, rec *goja.Object) goja.Value {
		o := vm.NewObject()
		if code != "" {
			_ = o.Set("type", "error")
			_ = o.Set("code", code)
			return o
		}
		_ = o.Set("type", "success")
		if rec != nil {
			_ = o.Set("record", rec)
		}
		return o
	}
	_ = cache.Set("get", func(c goja.FunctionCall) goja.Value {
		e, ok := store.get(t, c.Argument(0).String(), now())
		if !ok {
			return goja.Undefined()
		}
		return record(e.value, e.expires)
	})
	_ = cache.Set("set", func(c goja.FunctionCall) goja.Value {
		key, value := c.Argument(0).String(), c.Argument(1).String()
		at := now()
		expires := at.Add(cacheDefaultTTL)
		if opts, ok := c.Argument(2).(*goja.Object); ok {
			if v := opts.Get("ttl"); v != nil && !goja.IsUndefined(v) {
				expires = at.Add(time.Duration(v.ToInteger()) * time.Millisecond)
			}
			if v := opts.Get("expires_at"); v != nil && !goja.IsUndefined(v) {
				expires = time.UnixMilli(v.ToInteger())
			}
		}
		if expires.Sub(at) > cacheMaxLifetime {
			expires = at.Add(cacheMaxLifetime)
		}
		if code := store.set(t, key, value, expires, at); code != "" {
			return result(code, nil)
		}
		return result("", record(value, expires))
	})
	_ = cache.Set("delete", func(c goja.FunctionCall) goja.Value {
		store.delete(t, c.Argument(0).String())
		return result("", nil)
	})
	_ = api.Set("cache", cache)
}

// notSupported is a method Gatehouse does not offer yet; it throws a clear error
// rather than leaving "undefined is not a function".
func notSupported(vm *goja.Runtime, what string) func(goja.FunctionCall) goja.Value {
	return func(goja.FunctionCall) goja.Value {
		panic(newError(vm, "Error", fmt.Sprintf("%s is not supported by this server", what)))
	}
}

func setFuncs(vm *goja.Runtime, parent *goja.Object, name string, funcs map[string]func(goja.FunctionCall) goja.Value) *goja.Object {
	o := vm.NewObject()
	for k, f := range funcs {
		_ = o.Set(k, f)
	}
	_ = parent.Set(name, o)
	return o
}

// secretsValue is event.secrets for one action.
func secretsValue(vm *goja.Runtime, s map[string]string) goja.Value {
	o := vm.NewObject()
	for k, v := range s {
		_ = o.Set(k, v)
	}
	return o
}
