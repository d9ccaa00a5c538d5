package grant

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/guard"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/token"
)

// Response is a successful token response (RFC 6749 §5.1) plus what the tenant log records.
type Response struct {
	AccessToken  string
	IDToken      string
	RefreshToken string
	ExpiresIn    int
	Scope        string

	UserID   string
	Audience string
	// RecoveryCode is the new recovery code of the mfa-recovery-code grant, shown once.
	RecoveryCode string
	// ActionExecutions are the ids of the Actions executions the exchange ran, for its tenant log
	// event (details.actions.executions).
	ActionExecutions []string
}

// Grant is one grant type.
type Grant interface {
	// Type is the grant_type value.
	Type() string
	// LogTypes are the tenant log event types of a success and of a failure.
	LogTypes() (success, failure string)
	Exchange(ctx context.Context, req *protocol.TokenRequest) (*Response, error)
}

// Fields splits a space-separated scope (RFC 6749 §3.3).
func Fields(scope string) []string { return strings.Fields(scope) }

func contains(list []string, s string) bool { return slices.Contains(list, s) }

// Config reads the tenant configuration a grant needs. The oauth package serves it from a short-lived
// cache; ErrNotFound (store.ErrNotFound) means the thing does not exist.
type Config interface {
	Client(ctx context.Context, clientID string) (*domain.Client, error)
	ResourceServer(ctx context.Context, identifier string) (*domain.ResourceServer, error)
	ClientGrant(ctx context.Context, clientID, audience string) (*domain.ClientGrant, error)
	TenantSettings(ctx context.Context) (domain.TenantSettings, error)
}

// Deps are what every grant uses.
type Deps struct {
	Store   store.Store
	Config  Config
	Tokens  *token.Issuer
	Actions ActionRunner // nil: no Actions
	Now     func() time.Time
	Logger  *slog.Logger // faults that do not fail the exchange; nil discards
	// Hasher verifies user passwords (the password grants); BruteForce is the same brute-force
	// protection /u/login uses, so that failures on either count toward one block (nil: off).
	Hasher     password.Hasher
	BruteForce *guard.BruteForce
	// Throttle is suspicious IP throttling (per address across accounts), shared with /u/login;
	// Policy the tenant's attack protection settings (breached password detection). nil: off.
	Throttle *guard.Throttle
	Policy   *guard.Policy
	// Audit records the attack protection events that do not replace the answer's own (a throttled
	// address that is only logged, a breached password that is not blocked); nil: not recorded.
	Audit *audit.Recorder
	// Notify tells a user that attack protection acted on their account ("blocked", "breached");
	// nil tells no one.
	Notify func(ctx context.Context, user *domain.User, kind, ip string)
	// MFA, MFALimit and EmailCodes check second factors for the MFA grants and issue mfa_tokens;
	// a nil MFA answers mfa_required without a token and turns the MFA grants off.
	MFA        *mfa.Service
	MFALimit   *guard.MFALimiter
	EmailCodes *mfa.EmailCodes
}

func (d *Deps) notify(ctx context.Context, user *domain.User, kind, ip string) {
	if d.Notify != nil {
		d.Notify(ctx, user, kind, ip)
	}
}

func (d *Deps) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (d *Deps) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// audienceAPI resolves the requested audience, or the tenant default: nil API means no audience (a
// userinfo-only token). An unknown audience is Auth0's `Service not enabled within domain`.
func (d *Deps) audienceAPI(ctx context.Context, audience string) (*domain.ResourceServer, error) {
	if audience == "" {
		ts, err := d.Config.TenantSettings(ctx)
		if err != nil {
			return nil, protocol.ServerError(err)
		}
		audience = ts.DefaultAudience
		if audience == "" {
			return nil, nil
		}
	}
	api, err := d.Config.ResourceServer(ctx, audience)
	if errors.Is(err, store.ErrNotFound) {
		return nil, protocol.AccessDenied("Service not enabled within domain: %s", audience)
	}
	if err != nil {
		return nil, protocol.ServerError(err)
	}
	return api, nil
}
