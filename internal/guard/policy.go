package guard

import (
	"context"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Settings is where the tenant's attack protection settings are kept (store.AttackProtectionStore).
type Settings interface {
	GetAttackProtection(ctx context.Context) (domain.AttackProtection, error)
}

// DefaultPolicyTTL is how long a node trusts the settings it read: the same lifetime as the
// token endpoint's configuration cache. A change made through this node's Management API is
// seen at once (Invalidate); other nodes see it within the TTL.
const DefaultPolicyTTL = 2 * time.Second

// Policy reads the attack protection settings through a short cache, so that the checks on every
// sign-in cost no database read. A nil *Policy, or one without Settings, is Auth0's defaults.
type Policy struct {
	Settings Settings
	TTL      time.Duration
	Now      func() time.Time

	mu     sync.Mutex
	cached domain.AttackProtection
	loaded bool
	until  time.Time
}

// Get returns the settings. A database error with a previous read at hand keeps using it: the
// protections stay on while the database hiccups.
func (p *Policy) Get(ctx context.Context) (domain.AttackProtection, error) {
	if p == nil || p.Settings == nil {
		return domain.DefaultAttackProtection(), nil
	}
	now := time.Now()
	if p.Now != nil {
		now = p.Now()
	}
	p.mu.Lock()
	if now.Before(p.until) {
		ap := p.cached
		p.mu.Unlock()
		return ap, nil
	}
	stale, had := p.cached, p.loaded
	p.mu.Unlock()
	ap, err := p.Settings.GetAttackProtection(ctx)
	if err != nil {
		if had {
			return stale, nil
		}
		return domain.DefaultAttackProtection(), err
	}
	ttl := p.TTL
	if ttl <= 0 {
		ttl = DefaultPolicyTTL
	}
	p.mu.Lock()
	p.cached, p.loaded, p.until = ap, true, now.Add(ttl)
	p.mu.Unlock()
	return ap, nil
}

// Invalidate drops the cached settings: the next check reads them afresh.
func (p *Policy) Invalidate() {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.until = time.Time{}
	p.mu.Unlock()
}
