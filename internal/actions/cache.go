package actions

import (
	"sync"
	"time"
)

// Cache limits per trigger (spec §5.1, [DOC:Actions Limitations]).
const (
	cacheMaxEntries  = 20
	cacheMaxKey      = 64
	cacheMaxValue    = 4 * 1024
	cacheMaxTotal    = 8 * 1024
	cacheDefaultTTL  = 15 * time.Minute
	cacheMaxLifetime = 24 * time.Hour
)

// cacheStore is api.cache: node-local, best effort, as Auth0 documents it ("items may
// not be available in later transactions"). Auth0 scopes values to the trigger, so
// every action bound to a trigger shares that trigger's entries.
type cacheStore struct {
	mu     sync.Mutex
	scopes map[Trigger]map[string]cacheEntry
}

type cacheEntry struct {
	value   string
	expires time.Time
}

func newCacheStore() *cacheStore {
	return &cacheStore{scopes: make(map[Trigger]map[string]cacheEntry)}
}

func (c *cacheStore) get(t Trigger, key string, now time.Time) (cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.scopes[t][key]
	if !ok {
		return cacheEntry{}, false
	}
	if !now.Before(e.expires) {
		delete(c.scopes[t], key)
		return cacheEntry{}, false
	}
	return e, true
}

// set stores value, evicting the entries closest to expiry when the count or total
// size would pass the limits. It returns an error code for the CacheWriteResult.
func (c *cacheStore) set(t Trigger, key, value string, expires, now time.Time) string {
	switch {
	case key == "" || len(key) > cacheMaxKey:
		return "invalid_key"
	case len(value) > cacheMaxValue:
		return "value_too_large"
	case !expires.After(now):
		return "invalid_expiry"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.scopes[t]
	if m == nil {
		m = make(map[string]cacheEntry)
		c.scopes[t] = m
	}
	delete(m, key)
	total := len(key) + len(value)
	for k, e := range m {
		if !now.Before(e.expires) {
			delete(m, k)
			continue
		}
		total += len(k) + len(e.value)
	}
	for len(m) >= cacheMaxEntries || total > cacheMaxTotal {
		var victim string
		var at time.Time
		for k, e := range m {
			if victim == "" || e.expires.Before(at) {
				victim, at = k, e.expires
			}
		}
		if victim == "" {
			break
		}
		total -= len(victim) + len(m[victim].value)
		delete(m, victim)
	}
	m[key] = cacheEntry{value: value, expires: expires}
	return ""
}

func (c *cacheStore) delete(t Trigger, key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.scopes[t][key]
	delete(c.scopes[t], key)
	return ok
}
