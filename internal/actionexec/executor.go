package actionexec

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/actions"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// Defaults for Options.
const (
	// DefaultBindingsTTL matches the token endpoint's configuration cache: a binding
	// changed on any node is seen within this time.
	DefaultBindingsTTL = 2 * time.Second
	// DefaultProgramCacheSize bounds the compiled programs kept in memory.
	DefaultProgramCacheSize = 256
)

// Options configures an Executor. Store is required; zero values of the others take
// the defaults noted per field.
type Options struct {
	Store store.Store
	// Runtime runs the compiled actions; nil builds one with actions' defaults.
	Runtime *actions.Runtime
	// Audit receives console output, dropped claims and failures; nil records nothing.
	Audit *audit.Recorder
	// Logger receives faults of the machinery (never action output or secrets); nil discards.
	Logger *slog.Logger
	// Now is the clock; time.Now.
	Now func() time.Time
	// TenantID is event.tenant.id.
	TenantID string
	// BindingsTTL is how long a trigger's resolved chain is reused; 0 means
	// DefaultBindingsTTL, negative disables the cache (every run reads the store).
	BindingsTTL time.Duration
	// ProgramCacheSize bounds the compiled-program cache; 0 means DefaultProgramCacheSize.
	ProgramCacheSize int
	// Fetch bounds Actions' outbound HTTP when Runtime is nil (AllowPrivate in development).
	Fetch actions.FetchOptions
	// Observe, when set, is told of every run of a trigger's chain: how long the Actions took and
	// whether they failed (metrics).
	Observe func(trigger string, d time.Duration, failed bool)
}

// Executor runs the Actions bound to a trigger. It is safe for concurrent use. It
// implements the runners of package trigger and mgmt.ActionCompiler.
type Executor struct {
	store    store.Store
	rt       *actions.Runtime
	audit    *audit.Recorder
	logger   *slog.Logger
	now      func() time.Time
	tenantID string
	ttl      time.Duration
	observe  func(trigger string, d time.Duration, failed bool)

	programs *programCache
	chains   map[actions.Trigger]*chainSlot
	execs    *execQueue

	// bg counts background runs (post-user-registration); background bounds them.
	bg         sync.WaitGroup
	background chan struct{}

	bindingLoads atomic.Int64
	// gen counts invalidations (see chainFor).
	gen atomic.Uint64
}

// The contracts of the flows that fire triggers.
var (
	_ trigger.PostLoginRunner           = (*Executor)(nil)
	_ trigger.CredentialsExchangeRunner = (*Executor)(nil)
)

// chainSlot holds one trigger's cached chain; load serializes reloads so that an
// expired entry costs one round of queries, not one per concurrent sign-in.
type chainSlot struct {
	cur  atomic.Pointer[chain]
	load sync.Mutex
}

// New returns an Executor. It panics when opts.Store is nil: that is a wiring mistake,
// not a run-time condition.
func New(opts Options) *Executor {
	if opts.Store == nil {
		panic("actionexec: Options.Store is required")
	}
	e := &Executor{
		store: opts.Store, rt: opts.Runtime, audit: opts.Audit, logger: opts.Logger, now: opts.Now,
		tenantID: opts.TenantID, ttl: opts.BindingsTTL, observe: opts.Observe,
		chains: map[actions.Trigger]*chainSlot{
			actions.TriggerPostLogin:                  {},
			actions.TriggerCredentialsExchange:        {},
			actions.TriggerPreUserRegistration:        {},
			actions.TriggerPostUserRegistration:       {},
			actions.TriggerPostChangePassword:         {},
			actions.TriggerPasswordResetPostChallenge: {},
			actions.TriggerSendPhoneMessage:           {},
		},
		background: make(chan struct{}, maxPostRegistrationRuns),
	}
	if e.logger == nil {
		e.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.rt == nil {
		e.rt = actions.NewRuntime(actions.Options{Logger: e.logger, Now: e.now, Fetch: opts.Fetch, Cache: storeCache{opts.Store}})
	}
	e.execs = newExecQueue(opts.Store, e.logger)
	if e.ttl == 0 {
		e.ttl = DefaultBindingsTTL
	}
	size := opts.ProgramCacheSize
	if size <= 0 {
		size = DefaultProgramCacheSize
	}
	e.programs = newProgramCache(size)
	return e
}

// Stats counts work the caches saved or did, for tests and metrics.
type Stats struct {
	// Compiles is how many times a deployed version was compiled for a trigger.
	Compiles int64
	// BindingLoads is how many times a trigger's chain was read from the store.
	BindingLoads int64
	// CachedPrograms is the number of compiled programs held now.
	CachedPrograms int
}

// Stats returns the current counters.
func (e *Executor) Stats() Stats {
	return Stats{
		Compiles:       e.programs.compiles.Load(),
		BindingLoads:   e.bindingLoads.Load(),
		CachedPrograms: e.programs.len(),
	}
}

// Invalidate drops the cached chains, so the next run reads the bindings again. The
// Management API calls it after changing bindings or deploying, and a node on PostgreSQL when
// another node notifies such a change; without a notification other nodes see the change
// within BindingsTTL. Compiled programs stay: versions never change.
func (e *Executor) Invalidate() {
	e.gen.Add(1)
	for _, s := range e.chains {
		s.cur.Store(nil)
	}
}

// Compile checks an action's code for one trigger without running it (deploy time).
// A *actions.CompileError's text carries the line, column and message ("Line 3:7
// Unexpected token ..."), and is safe to show the Management API caller: it quotes only
// the caller's own code.
func (e *Executor) Compile(name, code, trigger string) error {
	t, err := parseTrigger(trigger)
	if err != nil {
		return err
	}
	if _, err := e.rt.Compile(name, code, t); err != nil {
		var ce *actions.CompileError
		if errors.As(err, &ce) {
			return ce
		}
		return fmt.Errorf("action %q cannot be compiled for %s", name, trigger)
	}
	return nil
}

func parseTrigger(s string) (actions.Trigger, error) {
	switch t := actions.Trigger(s); t {
	case actions.TriggerPostLogin, actions.TriggerCredentialsExchange, actions.TriggerPreUserRegistration, actions.TriggerPostUserRegistration,
		actions.TriggerPostChangePassword, actions.TriggerPasswordResetPostChallenge, actions.TriggerSendPhoneMessage:
		return t, nil
	}
	return "", fmt.Errorf("trigger %q is not supported (%s)", s, strings.Join(domain.ActionTriggers, ", "))
}

// observed reports one run of t's chain that started at start.
func (e *Executor) observed(t actions.Trigger, start time.Time, failed bool) {
	if e.observe != nil {
		e.observe(string(t), time.Since(start), failed)
	}
}
