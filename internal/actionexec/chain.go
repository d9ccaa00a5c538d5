package actionexec

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/actions"
	"github.com/gatehouse/gatehouse/internal/store"
)

// chain is a trigger's bound actions, resolved to compiled programs, in binding order.
// It is shared by concurrent runs and never modified after it is built.
type chain struct {
	bound []actions.Bound
	// broken is set when a bound action's deployed version does not compile (it was
	// deployed before a stricter check, or without a compiler): the flow fails, as the
	// action could not run.
	broken  *brokenAction
	expires time.Time
}

type brokenAction struct {
	actionID, name string
	err            error
}

func (c *chain) empty() bool { return len(c.bound) == 0 && c.broken == nil }

// chainFor returns trigger t's chain, from the cache while it is fresh.
func (e *Executor) chainFor(ctx context.Context, t actions.Trigger) (*chain, error) {
	slot := e.chains[t]
	if e.ttl > 0 {
		if c := slot.cur.Load(); c != nil && e.now().Before(c.expires) {
			return c, nil
		}
		slot.load.Lock()
		defer slot.load.Unlock()
		if c := slot.cur.Load(); c != nil && e.now().Before(c.expires) {
			return c, nil // another run reloaded it while this one waited
		}
	}
	gen := e.gen.Load()
	c, err := e.loadChain(ctx, t)
	if err != nil {
		return nil, err
	}
	// A chain read before an invalidation may predate the change: use it for this run only.
	if e.ttl > 0 && e.gen.Load() == gen {
		c.expires = e.now().Add(e.ttl)
		slot.cur.Store(c)
	}
	return c, nil
}

// loadChain reads the bindings and resolves each to its deployed version's program. An
// action deleted or never deployed since it was bound is skipped: it has nothing to run.
func (e *Executor) loadChain(ctx context.Context, t actions.Trigger) (*chain, error) {
	e.bindingLoads.Add(1)
	bindings, err := e.store.ListTriggerBindings(ctx, string(t))
	if err != nil {
		return nil, fmt.Errorf("actionexec: %s bindings: %w", t, err)
	}
	c := &chain{}
	for _, b := range bindings {
		a, err := e.store.GetAction(ctx, b.ActionID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("actionexec: action %s: %w", b.ActionID, err)
		}
		if a.DeployedVersionID == "" {
			continue
		}
		p, err := e.programs.get(ctx, a.DeployedVersionID, t, func(ctx context.Context) (*compiled, error) {
			v, err := e.store.GetActionVersion(ctx, a.ID, a.DeployedVersionID)
			if err != nil {
				return nil, fmt.Errorf("actionexec: action %s version %s: %w", a.ID, a.DeployedVersionID, err)
			}
			secrets := make(map[string]string, len(v.Secrets))
			for _, s := range v.Secrets {
				secrets[s.Name] = s.Value
			}
			prg, cerr := e.rt.Compile(a.Name, v.Code, t)
			return &compiled{program: prg, secrets: secrets, err: cerr}, nil
		})
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted between the two reads
		}
		if err != nil {
			return nil, err
		}
		if p.err != nil {
			c.broken = &brokenAction{actionID: a.ID, name: a.Name, err: p.err}
			break
		}
		c.bound = append(c.bound, actions.Bound{ActionID: a.ID, Name: a.Name, Program: p.program, Secrets: p.secrets})
	}
	if len(c.bound) > 0 {
		// The tenant's allow-list is read with the chain, so it is as fresh as the bindings.
		settings, err := e.store.GetTenantSettings(ctx)
		if err != nil {
			return nil, fmt.Errorf("actionexec: tenant settings: %w", err)
		}
		for i := range c.bound {
			c.bound[i].FetchAllowHosts = settings.ActionsAllowedHosts
		}
	}
	return c, nil
}

// compiled is one deployed version compiled for one trigger. A compile error is kept too:
// the version is immutable, so it would fail the same way every time.
type compiled struct {
	program *actions.Program
	secrets map[string]string
	err     error
}

// programLoadTimeout bounds one shared load of a version. The load runs detached from
// the sign-in that started it (see programCache.get), so it needs a limit of its own.
const programLoadTimeout = 30 * time.Second

// programCache is a small LRU of compiled versions keyed by (version id, trigger). Only
// one caller compiles a missing version; concurrent callers wait for its result.
type programCache struct {
	max      int
	compiles atomic.Int64

	mu       sync.Mutex
	ll       *list.List // front: most recently used *cacheItem
	items    map[string]*list.Element
	inflight map[string]*flight
}

type cacheItem struct {
	key string
	val *compiled
}

type flight struct {
	done chan struct{}
	val  *compiled
	err  error
}

func newProgramCache(max int) *programCache {
	return &programCache{max: max, ll: list.New(), items: map[string]*list.Element{}, inflight: map[string]*flight{}}
}

func (pc *programCache) len() int {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return pc.ll.Len()
}

// get returns the cached entry for (versionID, t), or runs load once to build it. Load
// errors (the store failing) are not cached.
//
// The load is shared by every caller that asks while it runs, so it must not depend on
// any one of them: it runs on its own goroutine with ctx's values but not its
// cancellation (and programLoadTimeout instead), and each caller, the first included,
// stops waiting when its own ctx ends. A sign-in cancelled by its client thus fails
// alone, and the others waiting for the same version still get it.
func (pc *programCache) get(ctx context.Context, versionID string, t actions.Trigger, load func(context.Context) (*compiled, error)) (*compiled, error) {
	key := string(t) + "\x00" + versionID
	pc.mu.Lock()
	if el, ok := pc.items[key]; ok {
		pc.ll.MoveToFront(el)
		v := el.Value.(*cacheItem).val
		pc.mu.Unlock()
		return v, nil
	}
	f, ok := pc.inflight[key]
	if !ok {
		f = &flight{done: make(chan struct{})}
		pc.inflight[key] = f
		go pc.fill(context.WithoutCancel(ctx), key, f, load)
	}
	pc.mu.Unlock()

	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fill runs load for f and publishes the result to its waiters and the cache.
func (pc *programCache) fill(ctx context.Context, key string, f *flight, load func(context.Context) (*compiled, error)) {
	ctx, cancel := context.WithTimeout(ctx, programLoadTimeout)
	defer cancel()
	func() {
		// On its own goroutine a panic would end the process instead of the one sign-in.
		defer func() {
			if p := recover(); p != nil {
				f.val, f.err = nil, fmt.Errorf("actionexec: loading a program panicked: %v", p)
			}
		}()
		f.val, f.err = load(ctx)
	}()
	if f.err == nil {
		pc.compiles.Add(1)
	}

	pc.mu.Lock()
	delete(pc.inflight, key)
	if f.err == nil {
		pc.items[key] = pc.ll.PushFront(&cacheItem{key: key, val: f.val})
		for pc.ll.Len() > pc.max {
			old := pc.ll.Back()
			pc.ll.Remove(old)
			delete(pc.items, old.Value.(*cacheItem).key)
		}
	}
	pc.mu.Unlock()
	close(f.done)
}
