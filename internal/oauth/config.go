package oauth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
)

// configCache serves clients, APIs, client grants and tenant settings to the token endpoint from
// memory for a short time (ttl), so that a token costs no configuration query. A change made through
// the Management API on this node applies at once (invalidate); one made on another node, within a
// second when PostgreSQL notifies the change (the node calls invalidate), after at most ttl
// otherwise. Errors are not cached: a new client works at once.
type configCache struct {
	store store.Store
	ttl   time.Duration
	now   func() time.Time

	mu sync.RWMutex
	// gen counts invalidations. A value loaded before an invalidation is not kept after it: the
	// store may have answered before the change committed, and keeping that answer would make the
	// change wait for ttl on this node.
	gen      uint64
	clients  map[string]entry[*domain.Client]
	apis     map[string]entry[*domain.ResourceServer]
	grants   map[[2]string]entry[*domain.ClientGrant]
	settings entry[domain.TenantSettings]
	origins  entry[map[string]bool]
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
	gen := c.gen
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.v, nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.gen == gen {
		if len(m) >= maxEntries {
			clear(m)
		}
		m[k] = entry[V]{v: v, expires: now.Add(c.ttl)}
	}
	c.mu.Unlock()
	return v, nil
}

// invalidate drops everything cached, so that a change made on this node applies at once.
func (c *configCache) invalidate() {
	c.mu.Lock()
	c.gen++
	clear(c.clients)
	clear(c.apis)
	clear(c.grants)
	c.settings = entry[domain.TenantSettings]{}
	c.origins = entry[map[string]bool]{}
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
	// Most user sign-ins ask about a client that holds no grant on the API (a grant bounds what a
	// user's token may carry), so the absence is cached too, as a nil grant: otherwise every code
	// exchange and refresh would pay a query to learn it again.
	g, err := lookup(c, c.grants, [2]string{clientID, audience}, func() (*domain.ClientGrant, error) {
		g, err := c.store.FindClientGrant(ctx, clientID, audience)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return g, err
	})
	if err == nil && g == nil {
		return nil, fmt.Errorf("client grant %s for %s: %w", clientID, audience, store.ErrNotFound)
	}
	return g, err
}

func (c *configCache) TenantSettings(ctx context.Context) (domain.TenantSettings, error) {
	if c.ttl <= 0 {
		return c.store.GetTenantSettings(ctx)
	}
	now := c.now()
	c.mu.RLock()
	e, gen := c.settings, c.gen
	c.mu.RUnlock()
	if now.Before(e.expires) {
		return e.v, nil
	}
	ts, err := c.store.GetTenantSettings(ctx)
	if err != nil {
		return ts, err
	}
	c.mu.Lock()
	if c.gen == gen {
		c.settings = entry[domain.TenantSettings]{v: ts, expires: now.Add(c.ttl)}
	}
	c.mu.Unlock()
	return ts, nil
}

// KnownOrigin reports whether some client registers origin (see protocol.ClientOrigins). A CORS preflight
// names no client, so this is all it can be answered by; the actual response then checks the
// client it authenticates. The set is cached for ttl like the rest, hits and misses alike: a client
// added on another node is seen after at most ttl, and an unknown origin does not reload it (else any
// page could make every preflight list every client).
func (c *configCache) KnownOrigin(ctx context.Context, origin string) (bool, error) {
	var gen uint64
	if c.ttl > 0 {
		now := c.now()
		c.mu.RLock()
		e := c.origins
		gen = c.gen
		c.mu.RUnlock()
		if now.Before(e.expires) {
			return e.v[origin], nil
		}
	}
	set := map[string]bool{}
	for p := (store.Page{PerPage: 100}); ; p.Page++ {
		clients, total, err := c.store.ListClients(ctx, store.ClientFilter{}, p)
		if err != nil {
			return false, err
		}
		for _, cl := range clients {
			for _, o := range protocol.ClientOrigins(cl) {
				set[o] = true
			}
		}
		if len(clients) == 0 || (p.Page+1)*p.Limit() >= total {
			break
		}
	}
	if c.ttl > 0 {
		c.mu.Lock()
		if c.gen == gen {
			c.origins = entry[map[string]bool]{v: set, expires: c.now().Add(c.ttl)}
		}
		c.mu.Unlock()
	}
	return set[origin], nil
}
