package oauth

import (
	"context"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// configCache serves clients, APIs, client grants and tenant settings to the token endpoint from
// memory for a short time (ttl), so that a token costs no configuration query. A change made through
// the Management API on any node is seen after at most ttl. Misses (not found, errors) are not
// cached: a new client works at once.
type configCache struct {
	store store.Store
	ttl   time.Duration
	now   func() time.Time

	mu       sync.RWMutex
	clients  map[string]entry[*domain.Client]
	apis     map[string]entry[*domain.ResourceServer]
	grants   map[[2]string]entry[*domain.ClientGrant]
	settings entry[domain.TenantSettings]
}

type entry[T any] struct {
	v       T
	expires time.Time
}

// maxEntries bounds each map; past it the map starts over (a crude but allocation-free bound).
const maxEntries = 10000

func newConfigCache(s store.Store, ttl time.Duration, now func() time.Time) *configCache {
	return &configCache{
		store: s, ttl: ttl, now: now,
		clients: map[string]entry[*domain.Client]{},
		apis:    map[string]entry[*domain.ResourceServer]{},
		grants:  map[[2]string]entry[*domain.ClientGrant]{},
	}
}

func lookup[K comparable, V any](c *configCache, m map[K]entry[V], k K, load func() (V, error)) (V, error) {
	if c.ttl <= 0 {
		return load()
	}
	now := c.now()
	c.mu.RLock()
	e, ok := m[k]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.v, nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if len(m) >= maxEntries {
		clear(m)
	}
	m[k] = entry[V]{v: v, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return v, nil
}

// invalidate drops everything cached, so that a change made on this node applies at once.
func (c *configCache) invalidate() {
	c.mu.Lock()
	clear(c.clients)
	clear(c.apis)
	clear(c.grants)
	c.settings = entry[domain.TenantSettings]{}
	c.mu.Unlock()
}

// The values handed out are shared: callers must not modify them.

func (c *configCache) Client(ctx context.Context, id string) (*domain.Client, error) {
	return lookup(c, c.clients, id, func() (*domain.Client, error) { return c.store.GetClient(ctx, id) })
}

func (c *configCache) ResourceServer(ctx context.Context, identifier string) (*domain.ResourceServer, error) {
	return lookup(c, c.apis, identifier, func() (*domain.ResourceServer, error) {
		return c.store.GetResourceServerByIdentifier(ctx, identifier)
	})
}

func (c *configCache) ClientGrant(ctx context.Context, clientID, audience string) (*domain.ClientGrant, error) {
	return lookup(c, c.grants, [2]string{clientID, audience}, func() (*domain.ClientGrant, error) {
		return c.store.FindClientGrant(ctx, clientID, audience)
	})
}

func (c *configCache) TenantSettings(ctx context.Context) (domain.TenantSettings, error) {
	if c.ttl <= 0 {
		return c.store.GetTenantSettings(ctx)
	}
	now := c.now()
	c.mu.RLock()
	e := c.settings
	c.mu.RUnlock()
	if now.Before(e.expires) {
		return e.v, nil
	}
	ts, err := c.store.GetTenantSettings(ctx)
	if err != nil {
		return ts, err
	}
	c.mu.Lock()
	c.settings = entry[domain.TenantSettings]{v: ts, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return ts, nil
}
