package actions

import (
	"context"
	"sync"
	"time"
)

// Cache limits per trigger, Auth0's ([DOC:Actions Limitations], "Cached data"): 20 entries, keys of
// at most 64 bytes, values of at most 4 kB, 8 kB of keys and values together, a lifetime of at most
// 24 hours and 15 minutes when none is given.
const (
	CacheMaxEntries  = 20
	CacheMaxKey      = 64
	CacheMaxValue    = 4 * 1024
	CacheMaxTotal    = 8 * 1024
	cacheDefaultTTL  = 15 * time.Minute
	cacheMaxLifetime = 24 * time.Hour
)

// CacheBackend keeps api.cache. Auth0 scopes values to the trigger: every action bound to a trigger
// shares that trigger's entries. A backend enforces CacheMaxEntries and CacheMaxTotal when it stores,
// evicting the entries closest to expiry; the runtime has checked the key, the value and the expiry
// before it is called. ctx ends at the execution's deadline.
type CacheBackend interface {
	// GetCache returns the live value of key and its expiry; ok is false when there is none.
	GetCache(ctx context.Context, t Trigger, key string, now time.Time) (value string, expires time.Time, ok bool, err error)
	SetCache(ctx context.Context, t Trigger, key, value string, expires, now time.Time) error
	DeleteCache(ctx context.Context, t Trigger, key string, now time.Time) error
}

// memoryCache is the CacheBackend of a Runtime given none: node-local, as Auth0 documents its own
// cache ("items may not be available in later transactions"). Gatehouse nodes use the store's.
type memoryCache struct {
	mu     sync.Mutex
	scopes map[Trigger]map[string]cacheEntry
}

type cacheEntry struct {
	value   string
	expires time.Time
}

func newMemoryCache() *memoryCache {
	return &memoryCache{scopes: make(map[Trigger]map[string]cacheEntry)}
}

func (c *memoryCache) GetCache(_ context.Context, t Trigger, key string, now time.Time) (string, time.Time, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.scopes[t][key]
	if !ok {
		return "", time.Time{}, false, nil
	}
	if !now.Before(e.expires) {
		delete(c.scopes[t], key)
		return "", time.Time{}, false, nil
	}
	return e.value, e.expires, true, nil
}

// SetCache stores value, evicting the entries closest to expiry when the count or total size would
// pass the limits.
func (c *memoryCache) SetCache(_ context.Context, t Trigger, key, value string, expires, now time.Time) error {
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
	for len(m) >= CacheMaxEntries || total > CacheMaxTotal {
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
	return nil
}

func (c *memoryCache) DeleteCache(_ context.Context, t Trigger, key string, _ time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.scopes[t], key)
	return nil
}
