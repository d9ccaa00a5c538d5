package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/actionexec"
	"github.com/gatehouse/gatehouse/internal/actions"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authflow"
	"github.com/gatehouse/gatehouse/internal/backchannel"
	"github.com/gatehouse/gatehouse/internal/bootstrap"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/devmail"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/emailverify"
	"github.com/gatehouse/gatehouse/internal/guard"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/logstream"
	"github.com/gatehouse/gatehouse/internal/mail"
	"github.com/gatehouse/gatehouse/internal/metrics"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/netguard"
	"github.com/gatehouse/gatehouse/internal/oauth"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/passwordreset"
	"github.com/gatehouse/gatehouse/internal/session"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/token"
	"github.com/gatehouse/gatehouse/internal/upstream"
	"github.com/gatehouse/gatehouse/internal/userimport"
	"github.com/gatehouse/gatehouse/web"
)

// Options are what a node needs beyond its configuration. Zero values take production defaults.
type Options struct {
	Logger *slog.Logger
	// Hasher hashes user passwords; tests use password.Fast().
	Hasher password.Hasher
	Now    func() time.Time
	// Store, when set, is used instead of opening cfg.Database (tests share one store across nodes).
	Store store.Store
	// DevMailbox: deliver mail to the development mailbox when no email provider is configured, and
	// serve it at devmail.Path (`gatehouse dev` only: the page shows every message to anyone).
	DevMailbox bool
	// ResetRequestFloor is the least time a password reset request takes to answer (hiding whether
	// the address has an account); 0 means passwordreset.DefaultRequestFloor, negative none.
	ResetRequestFloor time.Duration
	// RootPage answers GET / (dev's landing page); nil redirects to the dashboard.
	RootPage http.Handler
	// AllowPrivateDestinations lets a log stream (and anything else a tenant points the node at)
	// reach loopback and private addresses: `gatehouse dev` only, where the receiver is often a
	// program on the same machine.
	AllowPrivateDestinations bool
	// DevBackchannel lets back-channel logout tokens go to http:// and loopback URLs: `gatehouse
	// dev` only, whose apps run on localhost.
	DevBackchannel bool
}

// App is one Gatehouse node.
type App struct {
	Config config.Config
	Store  store.Store
	Keys   *keys.Manager
	Tokens *token.Issuer
	Logger *slog.Logger

	// Mail delivers the email outbox; every node runs it (see Serve).
	Mail *mail.Worker
	// LogStreams delivers the tenant log to the log streams; every node runs it, one node at a
	// time delivering each stream.
	LogStreams *logstream.Worker
	// Attack is the tenant's attack protection settings, read through a short cache.
	Attack *guard.Policy

	retention *audit.Sweeper
	// Imports runs users import jobs under a lease; every node runs it (see Serve).
	Imports *userimport.Runner
	// Backchannel delivers back-channel logout tokens; every node runs it.
	Backchannel *backchannel.Worker

	server   *httpserver.Server
	registry *httpserver.Metrics
	metrics  *metrics.Recorder
	oauth    *oauth.Handler
	// actionRunner runs every trigger's Actions; Close writes its queued execution records.
	actionRunner *actionexec.Executor
	// configChanged drops every cached piece of configuration on this node.
	configChanged func()
	ownStore      bool
	now           func() time.Time
}

// New opens the store (unless given), loads the keys, makes sure the tenant's system objects exist
// and builds every handler.
func New(ctx context.Context, cfg config.Config, o Options) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = httpserver.NewLogger(cfg.Log.Format, cfg.Log.Level, os.Stderr)
	}
	if o.Hasher.P.Memory == 0 {
		o.Hasher = password.Hasher{P: password.Default()}
	}
	if o.Hasher.Gate == nil {
		// Every sign-in, sign-up and Management API password write shares one memory budget.
		budget := cfg.PasswordHashMemoryMiB
		if budget <= 0 {
			budget = config.DefaultPasswordHashMemoryMiB
		}
		o.Hasher.Gate = password.NewGate(uint32(budget)*1024, o.Hasher.P.Memory)
	}
	a := &App{Config: cfg, Logger: o.Logger, now: o.Now, Store: o.Store}
	a.registry = httpserver.NewMetrics()
	a.metrics = metrics.New(a.registry.Registry)
	if a.Store == nil {
		st, _, err := openStore(ctx, cfg, a.metrics.StoreCall)
		if err != nil {
			return nil, err
		}
		a.Store, a.ownStore = st, true
		a.metrics.WatchPools(st.Pools())
	}
	a.metrics.WatchMailQueue(a.Store.EmailQueue, a.now)
	a.metrics.WatchLogStreams(a.logStreamBacklogs, a.now)
	if err := a.build(ctx, o); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) build(ctx context.Context, o Options) error {
	cfg := a.Config
	masterKey, err := cfg.MasterKeyBytes()
	if err != nil {
		return err
	}
	if err := mgmt.EnsureManagementAPI(ctx, a.Store, cfg.Issuer, mgmt.APIResourceServer(cfg.Issuer).Scopes, a.now); err != nil {
		return fmt.Errorf("create the Management API: %w", err)
	}
	a.Keys, err = keys.NewManager(ctx, a.Store, masterKey, keys.Options{Now: a.now, Logger: a.Logger})
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	a.Tokens, err = token.NewIssuer(token.Options{Issuer: cfg.Issuer, Keys: a.Keys, MasterKey: masterKey, Now: a.now})
	if err != nil {
		return err
	}
	recorder := &audit.Recorder{Store: a.Store, Logger: a.Logger, Now: a.now}
	// One executor runs every trigger's Actions: post-login at /authorize and on refresh,
	// credentials-exchange on client credentials, and compiles code at deploy.
	actionRunner := actionexec.New(actionexec.Options{Store: a.Store, Audit: recorder, Logger: a.Logger, Now: a.now,
		TenantID: tenantID(cfg.Issuer), Observe: a.metrics.ActionRun,
		// Development lets an Action's fetch reach the machine's own apps (the user sync of the FAQ).
		Fetch: actions.FetchOptions{AllowPrivate: o.AllowPrivateDestinations}})
	a.actionRunner = actionRunner

	// One limiter for the node: its leases (see guard) are per limit and key, whoever asks.
	limiter := &guard.RateLimiter{Counters: a.Store, Now: a.now, Hit: a.metrics.RateLimited}
	// The tenant's attack protection settings, read through a 2-second cache that this node's
	// Management API writes invalidate at once.
	a.Attack = &guard.Policy{Settings: a.Store, Now: a.now}
	// One brute-force counter for every password sign-in, kept in the shared database: failures on
	// /u/login and at the token endpoint's password grants count toward the same block on every node.
	bruteForce := &guard.BruteForce{Counters: a.Store, Now: a.now, Policy: a.Attack}
	// Suspicious IP throttling: one bucket per address across accounts, also in the shared database.
	throttle := &guard.Throttle{Buckets: a.Store, Policy: a.Attack, Now: a.now,
		Hit: func(stage string) { a.metrics.RateLimited("suspicious_ip_" + stage) }}
	// The user_notification shields mail the user through the password reset package, built
	// below: a block is told with the blocked_account template, whose link lifts the blocks.
	var reset *passwordreset.Handler
	notify := func(ctx context.Context, user *domain.User, kind, ip string) { reset.Notify(ctx, user, kind, ip) }
	sealer, err := mail.NewSealer(masterKey)
	if err != nil {
		return err
	}
	a.Mail = &mail.Worker{Store: a.Store, Sealer: sealer, Audit: recorder, Logger: a.Logger, Now: a.now}
	if o.DevMailbox {
		a.Mail.Fallback = &mail.Mailbox{Store: a.Store}
	}
	apiSecrets, err := keys.NewSecretSealer(masterKey)
	if err != nil {
		return err
	}
	streamSecrets, err := logstream.NewSecrets(masterKey, netguard.Policy{AllowPrivate: o.AllowPrivateDestinations})
	if err != nil {
		return err
	}
	// Connections to other identity providers: their client secrets sealed under the master key,
	// every upstream call under the same address rule as log streams.
	upstreamSecrets, err := upstream.NewSecrets(masterKey)
	if err != nil {
		return err
	}
	idpTokens, err := upstream.NewTokens(masterKey)
	if err != nil {
		return err
	}
	broker := &upstream.Broker{Secrets: upstreamSecrets, Tokens: idpTokens, Policy: netguard.Policy{AllowPrivate: o.AllowPrivateDestinations}, Now: a.now}
	a.LogStreams = &logstream.Worker{Store: a.Store, Secrets: streamSecrets, Logger: a.Logger, Now: a.now}
	a.retention = &audit.Sweeper{Store: a.Store, Logger: a.Logger, Now: a.now}
	a.configChanged = func() {
		a.oauth.ConfigChanged()
		actionRunner.Invalidate()
		a.Attack.Invalidate()
		a.LogStreams.Kick()
	}
	pages, err := web.Load(cfg.ThemeDir)
	if err != nil {
		return fmt.Errorf("hosted pages: %w", err)
	}
	a.Backchannel = &backchannel.Worker{Store: a.Store, Signer: a.Tokens, Logger: a.Logger, Now: a.now, AllowInternal: o.DevBackchannel}
	a.Backchannel.Start()
	sessions, err := session.NewManager(session.Options{Issuer: cfg.Issuer, Store: a.Store, Logger: a.Logger, Now: a.now,
		Backchannel: &session.Backchannel{Store: a.Store, Kick: a.Backchannel.Kick}})
	if err != nil {
		return err
	}
	verify, err := emailverify.New(emailverify.Options{Issuer: cfg.Issuer, Store: a.Store, Audit: recorder, Logger: a.Logger,
		Now: a.now, Pages: pages, Kick: a.Mail.Kick})
	if err != nil {
		return err
	}
	a.Imports = userimport.NewRunner(a.Store, "node-"+domain.NewJobID()[4:], a.now)
	a.Imports.Owners, a.Imports.KickMail = bootstrap.TenantOwners, a.Mail.Kick // send_completion_email
	exportLinks, err := userimport.NewExportLinks(purposeKey(masterKey, "gatehouse: users export download links"))
	if err != nil {
		return err
	}
	management := mgmt.New(mgmt.Options{ImportStarted: a.Imports.Kick, Issuer: cfg.Issuer, Store: a.Store, Verifier: managementVerifier{a.Tokens},
		Keys: managementKeys{a.Keys}, PrepareSigningAlg: a.Keys.EnsureKeys, Actions: actionRunner, ActionTests: actionRunner, PostChangePassword: actionRunner, Hasher: o.Hasher, Audit: recorder, Logger: a.Logger, Now: a.now,
		Limiter: limiter, RateLimit: mgmt.RateLimit{Max: cfg.RateLimits.ManagementPerClient, Window: cfg.RateLimits.ManagementWindow},
		EmailSecrets: sealer, CheckEmailProvider: mail.CheckProvider, Verification: verify, BruteForce: bruteForce,
		IPBlocks: throttle, LogStreams: streamSecrets, ConnectionSecrets: connectionSecrets{upstreamSecrets, broker},
		APISecrets: apiSecrets, IDTokens: a.Tokens, IdPTokens: idpTokens, ExportLinks: exportLinks,
		Changed: func() {
			a.configChanged()
			a.Mail.Kick()
			a.Backchannel.Kick()
		}})
	secondFactors, err := mfa.New(a.Store, masterKey, a.now)
	if err != nil {
		return err
	}
	reset, err = passwordreset.New(passwordreset.Options{Issuer: cfg.Issuer, Store: a.Store, Hasher: o.Hasher,
		Audit: recorder, Logger: a.Logger, Now: a.now, Pages: pages, Kick: a.Mail.Kick, KickBackchannel: a.Backchannel.Kick, Unblock: bruteForce.Forget, RequestFloor: o.ResetRequestFloor,
		Throttle: throttle, Policy: a.Attack, KnownOrigins: a.knownOrigin,
		PostChallenge: actionRunner, PostChangePassword: actionRunner, MFA: secondFactors})
	if err != nil {
		return err
	}
	signIn, err := authflow.New(authflow.Options{Issuer: cfg.Issuer, Store: a.Store, Sessions: sessions, Hasher: o.Hasher,
		Audit: recorder, Logger: a.Logger, Now: a.now, Pages: pages, PostLogin: actionRunner, PreUserRegistration: actionRunner, PostUserRegistration: actionRunner,
		BruteForce: bruteForce, Throttle: throttle, Policy: a.Attack, Notify: notify, IDTokens: a.Tokens, Metrics: a.metrics,
		SignupMail: verify.SignupMail, KickMail: a.Mail.Kick, Upstream: broker,
		MFA: secondFactors, KnownOrigins: a.knownOrigin, ResetContinue: reset})
	if err != nil {
		return err
	}
	a.oauth, err = oauth.NewHandler(oauth.Options{Issuer: cfg.Issuer, Store: a.Store, Keys: a.Keys, Tokens: a.Tokens,
		Audit: recorder, Logger: a.Logger, Now: a.now, Actions: actionRunner, Hasher: o.Hasher, BruteForce: bruteForce,
		Throttle: throttle, Policy: a.Attack, Notify: notify,
		Limiter: limiter, TokenPerIP: tokenPerIP(cfg.RateLimits.TokenPerIPPerMinute), Metrics: a.metrics,
		PushedRequests: signIn, DPoPNonceKey: dpopNonceKey(cfg.UseDPoPNonce, masterKey),
		MFA: secondFactors, KickMail: a.Mail.Kick})
	if err != nil {
		return err
	}
	logout := session.NewLogoutHandler(session.LogoutOptions{Store: a.Store, Sessions: sessions, Verifier: a.Tokens,
		Audit: recorder, Pages: pages, Logger: a.Logger, Federated: signIn.FederatedLogout})

	dashboard, err := a.dashboard(ctx, masterKey, o.RootPage)
	if err != nil {
		return err
	}

	prefixes, err := cfg.TrustedProxyPrefixes()
	if err != nil {
		return err
	}
	mounters := []httpserver.Mounter{a.oauth, signIn, reset, verify, logout, management, dashboard}
	if o.DevMailbox {
		mounters = append(mounters, &devmail.Handler{Store: a.Store, Tenant: tenantID(cfg.Issuer), Logger: a.Logger})
	}
	a.server = httpserver.New(httpserver.Options{
		Addr: cfg.Addr, Logger: a.Logger, TrustedProxies: prefixes, MaxBodyBytes: cfg.MaxBodyBytes,
		TLSCertFile: cfg.TLS.CertFile, TLSKeyFile: cfg.TLS.KeyFile,
		// Behind a TLS-terminating proxy the node speaks plain HTTP but users see https.
		HSTS:    !cfg.TLS.Enabled() && strings.HasPrefix(cfg.Issuer, "https://"),
		Ready:   a.ready,
		Metrics: a.registry, MetricsToken: cfg.Metrics.Token,
	}, mounters...)
	return nil
}

// ready is /readyz: the database answers, its schema is the one this binary was built for, and a
// signing key is loaded. A load balancer stops sending requests to a node that is not.
func (a *App) ready(ctx context.Context) error {
	if err := a.Store.Ping(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	current, known, err := a.Store.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if current != known {
		return fmt.Errorf("migrations: the database schema is at version %d, this binary needs %d", current, known)
	}
	return a.Keys.Ready()
}

// Handler is the node's whole HTTP handler, middleware included.
func (a *App) Handler() http.Handler { return a.server.Handler() }

// Serve answers on ln until ctx ends, then shuts down gracefully. It runs the node's background
// loops meanwhile.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go a.Keys.Run(ctx)
	if a.Config.DatabaseKind() == "postgres" {
		go a.listenForChanges(ctx)
	}
	go a.collectExpired(ctx, time.Minute)
	go a.Mail.Run(ctx)
	go a.LogStreams.Run(ctx)
	go a.retention.Run(ctx)
	go a.Backchannel.Run(ctx)
	go a.Imports.Run(ctx, 5*time.Second, func(f string, args ...any) { a.Logger.Error(fmt.Sprintf(f, args...)) })
	if a.Config.Metrics.Addr != "" {
		// Listen before serving anything, so a taken address stops the node at once.
		var lc net.ListenConfig
		mln, err := lc.Listen(ctx, "tcp", a.Config.Metrics.Addr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("metrics: listen on %s: %w", a.Config.Metrics.Addr, err)
		}
		errs := make(chan error, 1)
		go func() { errs <- a.serveMetrics(ctx, mln) }()
		err = a.server.Serve(ctx, ln)
		cancel()
		return errors.Join(err, <-errs)
	}
	return a.server.Serve(ctx, ln)
}

// serveMetrics serves /metrics without a token on ln, an address only the monitoring network
// should reach, until ctx ends.
func (a *App) serveMetrics(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: a.server.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	a.Logger.Info("metrics listening", "addr", ln.Addr().String())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// collectExpired deletes expired transactions, sessions, codes and refresh tokens periodically.
func (a *App) collectExpired(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := a.Store.DeleteExpired(ctx, a.now()); err != nil && ctx.Err() == nil {
				a.Logger.WarnContext(ctx, "expired records not collected", "err", err)
			} else if n > 0 {
				a.Logger.DebugContext(ctx, "expired records collected", "rows", n)
			}
		}
	}
}

// Close writes queued log events and closes the store it opened.
func (a *App) Close() error {
	if a.oauth != nil {
		a.oauth.Close()
	}
	if a.actionRunner != nil {
		a.actionRunner.Close()
	}
	if a.ownStore && a.Store != nil {
		return a.Store.Close()
	}
	return nil
}

// managementVerifier checks Management API bearer tokens with the node's own token issuer.
type managementVerifier struct{ tokens *token.Issuer }

func (v managementVerifier) VerifyAccessToken(ctx context.Context, raw, audience string) (mgmt.Caller, error) {
	c, err := v.tokens.Verify(ctx, raw, audience)
	if err != nil {
		if errors.Is(err, token.ErrExpired) {
			return mgmt.Caller{}, fmt.Errorf("%w: %w", mgmt.ErrTokenExpired, err)
		}
		return mgmt.Caller{}, err
	}
	// Only a client-credentials token (gty, and a subject naming its own client) speaks for a
	// machine; every other token was obtained by a user and is bounded to that user's record.
	machine := c.GTY == token.GTYClientCredentials && c.Subject == c.Client()+"@clients"
	caller := mgmt.Caller{Subject: c.Subject, ClientID: c.Client(), Scopes: strings.Fields(c.Scope), User: !machine}
	if machine && c.Act != nil {
		caller.Actor = c.Act.Sub
	}
	return caller, nil
}

// managementKeys adapts the key manager to the Management API's signing-key endpoints.
type managementKeys struct{ m *keys.Manager }

// Rotate rotates the keys of every algorithm in use, as Auth0 rotates "the" signing key: an API
// signing with PS256 or ES256 gets a new key too.
func (k managementKeys) Rotate(ctx context.Context) error {
	for _, alg := range k.m.Algorithms() {
		if _, err := k.m.RotateAlg(ctx, alg); err != nil {
			return err
		}
	}
	return nil
}

func (k managementKeys) Revoke(ctx context.Context, kid string) error { return k.m.Revoke(ctx, kid) }

// tokenPerIP is the token endpoint's per-address limit: perMinute a minute, counted in the
// database in leases of 1% (one write per lease instead of one per request), so that the limit
// adds little to the hot path; 0 is no limit.
func tokenPerIP(perMinute int) guard.Limit {
	if perMinute <= 0 {
		return guard.Limit{}
	}
	return guard.Limit{Max: perMinute, Window: time.Minute, Lease: max(1, perMinute/100)}
}

// tenantID is event.tenant.id for Actions: the issuer's host, as Auth0 names a tenant by its domain.
func tenantID(issuer string) string {
	host := strings.TrimPrefix(strings.TrimPrefix(issuer, "https://"), "http://")
	return strings.TrimSuffix(host, "/")
}

// dpopNonceKey derives the DPoP nonce key from the master key, so that every node computes the same
// nonces (nil: nonces off). A purpose-bound hash keeps it unrelated to the master key's other uses.
func dpopNonceKey(on bool, masterKey []byte) []byte {
	if !on {
		return nil
	}
	return purposeKey(masterKey, "gatehouse: DPoP nonce key")
}

// purposeKey derives from the master key the key of one purpose, named by label, so that every
// node computes the same key and no two purposes share one.
func purposeKey(masterKey []byte, label string) []byte {
	m := hmac.New(sha256.New, masterKey)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// connectionSecrets is what the Management API needs for upstream connections: sealing their
// client secrets and the address rule on their URLs.
type connectionSecrets struct {
	*upstream.Secrets
	*upstream.Broker
}
