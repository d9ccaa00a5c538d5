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

// installCache adds api.cache, scoped to the trigger. Keys and values are measured before they
// are copied out of the JavaScript heap, and every limit is checked before the backend is asked.
func (ex *execution) installCache(vm *goja.Runtime, api *goja.Object) {
	cache := vm.NewObject()
	now := ex.r.now
	backend := ex.r.cache
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
	key := func(v goja.Value) (string, bool) {
		s, ok := v.(goja.String)
		if !ok || s.Length() == 0 || s.Length() > CacheMaxKey {
			return "", false
		}
		k := s.String()
		return k, len(k) <= CacheMaxKey
	}
	failed := func(op string, err error) {
		ex.r.logger.Warn("actions: api.cache "+op+" failed", "trigger", t, "err", err)
	}
	_ = cache.Set("get", func(c goja.FunctionCall) goja.Value {
		k, ok := key(c.Argument(0))
		if !ok {
			return goja.Undefined()
		}
		v, exp, ok, err := backend.GetCache(ex.ctx, t, k, now())
		if err != nil {
			failed("get", err)
			return goja.Undefined()
		}
		if !ok {
			return goja.Undefined()
		}
		return record(v, exp)
	})
	_ = cache.Set("set", func(c goja.FunctionCall) goja.Value {
		k, ok := key(c.Argument(0))
		if !ok {
			return result("invalid_key", nil)
		}
		var value string
		switch v := c.Argument(1).(type) {
		case goja.String:
			if v.Length() > CacheMaxValue {
				return result("value_too_large", nil)
			}
			value = v.String()
		default:
			if _, isObj := v.(*goja.Object); isObj || goja.IsUndefined(v) || goja.IsNull(v) {
				return result("invalid_value", nil)
			}
			value = v.String() // a number or a boolean, as its string
		}
		if len(value) > CacheMaxValue {
			return result("value_too_large", nil)
		}
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
		if !expires.After(at) {
			return result("invalid_expiry", nil)
		}
		if expires.Sub(at) > cacheMaxLifetime {
			expires = at.Add(cacheMaxLifetime)
		}
		if err := backend.SetCache(ex.ctx, t, k, value, expires, at); err != nil {
			failed("set", err)
			return result("cache_unavailable", nil)
		}
		return result("", record(value, expires))
	})
	_ = cache.Set("delete", func(c goja.FunctionCall) goja.Value {
		k, ok := key(c.Argument(0))
		if !ok {
			return result("invalid_key", nil)
		}
		if err := backend.DeleteCache(ex.ctx, t, k, now()); err != nil {
			failed("delete", err)
			return result("cache_unavailable", nil)
		}
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
