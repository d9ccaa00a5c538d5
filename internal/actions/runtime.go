package actions

import (
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"

	"github.com/gatehouse/gatehouse/internal/netguard"
)

// Trigger names the point in a flow an action is bound to (Auth0's trigger ids).
type Trigger string

const (
	TriggerPostLogin            Trigger = "post-login"
	TriggerCredentialsExchange  Trigger = "credentials-exchange"
	TriggerPreUserRegistration  Trigger = "pre-user-registration"
	TriggerPostUserRegistration Trigger = "post-user-registration"
	// TriggerPostChangePassword runs after a password change, in the background.
	TriggerPostChangePassword Trigger = "post-change-password"
	// TriggerPasswordResetPostChallenge runs once a reset link is proved, before the new password.
	TriggerPasswordResetPostChallenge Trigger = "password-reset-post-challenge"
	// TriggerSendPhoneMessage runs where an SMS or voice code would be sent (Auth0's custom
	// phone provider).
	TriggerSendPhoneMessage Trigger = "send-phone-message"
)

// handlerName is the export each trigger calls (spec §5.1).
func (t Trigger) handlerName() (string, bool) {
	switch t {
	case TriggerPostLogin:
		return "onExecutePostLogin", true
	case TriggerCredentialsExchange:
		return "onExecuteCredentialsExchange", true
	case TriggerPreUserRegistration:
		return "onExecutePreUserRegistration", true
	case TriggerPostUserRegistration:
		return "onExecutePostUserRegistration", true
	case TriggerPostChangePassword:
		return "onExecutePostChangePassword", true
	case TriggerPasswordResetPostChallenge:
		return "onExecutePostChallenge", true
	case TriggerSendPhoneMessage:
		return "onExecuteSendPhoneMessage", true
	}
	return "", false
}

// ModuleFunc builds the value `require(name)` returns inside one execution.
type ModuleFunc func(vm *goja.Runtime) (goja.Value, error)

// Options configures a Runtime. Zero values take the defaults noted per field.
type Options struct {
	// DefaultTimeout bounds a whole trigger execution (every bound action); 5 s.
	DefaultTimeout time.Duration
	// MaxTimeout caps DefaultTimeout; 20 s, Auth0's limit (spec §5.1).
	MaxTimeout time.Duration
	// MemoryLimitBytes bounds what one trigger execution may allocate and keep; 128 MiB.
	MemoryLimitBytes int64
	// MaxCallStackSize bounds JavaScript call depth; 1024.
	MaxCallStackSize int
	// Modules is the require allow-list. Empty by default: Gatehouse installs no npm
	// packages (spec §5.1, Gatehouse policy).
	Modules map[string]ModuleFunc
	// Now is the clock for the cache; time.Now.
	Now func() time.Time
	// MaxAbandoned is how many executions may still be running after their caller gave
	// up on them (see run) before new executions are refused; 2.
	MaxAbandoned int
	// Fetch bounds outbound HTTP from actions.
	Fetch FetchOptions
	// Cache keeps api.cache; nil keeps it in this node's memory. Gatehouse nodes pass the store's,
	// so a value set on one node is read on another.
	Cache CacheBackend
	// Logger receives runtime faults (never action output or secrets); discarded when nil.
	Logger *slog.Logger
}

// Runtime runs compiled actions. It is safe for concurrent use; each execution gets
// its own JavaScript runtime, so executions share nothing but compiled programs and
// the action cache.
type Runtime struct {
	defaultTimeout time.Duration
	memLimit       int64
	stackSize      int
	modules        map[string]ModuleFunc
	now            func() time.Time
	logger         *slog.Logger
	cache          CacheBackend
	gcInFlight     atomic.Bool
	maxAbandoned   int64
	abandoned      atomic.Int64
	fetch          FetchOptions
	transports     *transports
}

const (
	defaultTimeout   = 5 * time.Second
	maxTimeout       = 20 * time.Second
	defaultMemLimit  = 128 << 20
	defaultStackSize = 1024
	// defaultMaxAbandoned: each abandoned execution may hold a core, and Gatehouse is
	// expected to run on small machines.
	defaultMaxAbandoned = 2
	// maxSourceBytes is Auth0's limit on an action's code (spec §5.1).
	maxSourceBytes = 100 * 1024
)

// NewRuntime returns a Runtime with opts' zero values replaced by defaults.
func NewRuntime(opts Options) *Runtime {
	if opts.MaxTimeout <= 0 {
		opts.MaxTimeout = maxTimeout
	}
	if opts.DefaultTimeout <= 0 {
		opts.DefaultTimeout = defaultTimeout
	}
	if opts.DefaultTimeout > opts.MaxTimeout {
		opts.DefaultTimeout = opts.MaxTimeout
	}
	if opts.MemoryLimitBytes <= 0 {
		opts.MemoryLimitBytes = defaultMemLimit
	}
	if opts.MaxCallStackSize <= 0 {
		opts.MaxCallStackSize = defaultStackSize
	}
	if opts.MaxAbandoned <= 0 {
		opts.MaxAbandoned = defaultMaxAbandoned
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Cache == nil {
		opts.Cache = newMemoryCache()
	}
	modules := make(map[string]ModuleFunc, len(opts.Modules))
	for k, v := range opts.Modules {
		modules[k] = v
	}
	return &Runtime{
		defaultTimeout: opts.DefaultTimeout,
		memLimit:       opts.MemoryLimitBytes,
		stackSize:      opts.MaxCallStackSize,
		modules:        modules,
		now:            opts.Now,
		logger:         opts.Logger,
		cache:          opts.Cache,
		maxAbandoned:   int64(opts.MaxAbandoned),
		fetch:          opts.Fetch.withDefaults(),
		transports:     &transports{policy: netguard.Policy{AllowPrivate: opts.Fetch.AllowPrivate}},
	}
}

// Abandoned is how many executions are still running after their caller gave up on
// them at the deadline.
func (r *Runtime) Abandoned() int { return int(r.abandoned.Load()) }

// Program is an action compiled for one trigger. It is immutable and may be run by
// any number of executions at once.
type Program struct {
	name    string
	trigger Trigger
	handler string
	prg     *goja.Program
}

// Name is the name the program was compiled under.
func (p *Program) Name() string { return p.name }

// Trigger is the trigger the program was compiled for.
func (p *Program) Trigger() Trigger { return p.trigger }

// Bound is one action bound to a trigger, in binding order.
type Bound struct {
	ActionID string
	Name     string
	Program  *Program
	// Secrets become event.secrets for this action only.
	Secrets map[string]string
	// FetchAllowHosts are host names this action's fetch may reach even when they resolve to
	// a private or loopback address (the tenant's Actions allow-list).
	FetchAllowHosts []string
}

func (r *Runtime) checkBound(actions []Bound, t Trigger) error {
	for i, a := range actions {
		if a.Program == nil {
			return fmt.Errorf("actions: binding %d (%q) has no compiled program", i, a.Name)
		}
		if a.Program.trigger != t {
			return fmt.Errorf("actions: action %q was compiled for %s, not %s", a.Name, a.Program.trigger, t)
		}
	}
	return nil
}
