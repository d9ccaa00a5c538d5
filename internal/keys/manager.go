package keys

import (
	"context"
	"crypto"
	"crypto/cipher"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// ErrUnknownKey: no published key has the kid, even after a reload.
var ErrUnknownKey = errors.New("keys: unknown key id")

// Options tunes a Manager. Zero values take the defaults.
type Options struct {
	// PollInterval between KeysVersion checks in Run (default 15 s): how long another node may keep
	// signing with a key this node rotated away. Tokens stay verifiable meanwhile, since the previous
	// key stays published.
	PollInterval time.Duration
	// PublishLead is how long a key must have been published (stored, hence in every node's JWKS
	// once the node has reloaded) before this node signs with it (default PollInterval: even a node
	// that missed the change notification has polled by then). A rotation makes current a key that
	// was published as next one rotation earlier, so this only delays anything when two rotations
	// follow each other within the lead: meanwhile the node keeps signing with the key just made
	// previous, which every JWKS still lists. Negative: no lead.
	PublishLead time.Duration
	// UnknownKIDReloadInterval is the least time between two reloads triggered by an unknown kid
	// (default 1 s; negative means no limit), so that tokens with random kids cannot turn into a
	// database query each.
	UnknownKIDReloadInterval time.Duration
	Now                      func() time.Time
	Logger                   *slog.Logger
}

// keySet is one immutable snapshot of the published keys, swapped atomically on reload.
type keySet struct {
	version string
	current map[string]*Signer // alg → current signer
	// fallback[alg] is the key the current one replaced, signed with until current[alg] has been published
	// for PublishLead (see Current); absent when the current key is old enough or has no previous.
	fallback map[string]*Signer
	byKID    map[string]*Signer // every non-revoked key
	jwks     []byte
	etag     string
	list     []*Signer // publication order
}

// Manager holds the signing keys of one node.
type Manager struct {
	store  store.KeyStore
	aead   cipher.AEAD
	opts   Options
	set    atomic.Pointer[keySet]
	mu     sync.Mutex // serialises reloads, generation and rotation on this node
	last   atomic.Int64
	onLoad []func()
}

// NewManager loads the keys from ks, generating the first RS256 pair (current + next) when there are
// none, so a new installation signs from its first start.
func NewManager(ctx context.Context, ks store.KeyStore, masterKey []byte, opts Options) (*Manager, error) {
	aead, err := NewAEAD(masterKey, PurposeSigningKeyEncryption)
	if err != nil {
		return nil, err
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 15 * time.Second
	}
	switch {
	case opts.PublishLead == 0:
		opts.PublishLead = opts.PollInterval
	case opts.PublishLead < 0:
		opts.PublishLead = 0 // sign with a key as soon as it is current
	}
	if opts.UnknownKIDReloadInterval == 0 {
		opts.UnknownKIDReloadInterval = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Manager{store: ks, aead: aead, opts: opts}
	m.set.Store(&keySet{current: map[string]*Signer{}, byKID: map[string]*Signer{}, jwks: []byte(`{"keys":[]}`)})
	if err := m.EnsureKeys(ctx, RS256); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Manager) sealer(kid string, pkcs8 []byte) []byte { return seal(m.aead, kid, pkcs8) }
func (m *Manager) opener(kid string, sealed []byte) ([]byte, error) {
	return open(m.aead, kid, sealed)
}

// EnsureKeys makes sure alg has a current and a next key, generating what is missing. Two nodes
// starting at once on an empty database could both generate a pair; both are then published and
// every node picks the same current key (the one current the longest, then the smallest kid).
func (m *Manager) EnsureKeys(ctx context.Context, alg string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.reloadLocked(ctx); err != nil {
		return err
	}
	return m.ensureLocked(ctx, alg)
}

func (m *Manager) ensureLocked(ctx context.Context, alg string) error {
	set := m.set.Load()
	hasNext := false
	for _, s := range set.list {
		if s.Alg == alg && s.State == domain.KeyNext {
			hasNext = true
		}
	}
	if set.current[alg] != nil && hasNext {
		return nil
	}
	now := m.opts.Now()
	if set.current[alg] == nil {
		k, err := generate(alg, domain.KeyCurrent, m.sealer, now)
		if err != nil {
			return err
		}
		if err := m.create(ctx, k); err != nil {
			return err
		}
	}
	if !hasNext {
		k, err := generate(alg, domain.KeyNext, m.sealer, now)
		if err != nil {
			return err
		}
		if err := m.create(ctx, k); err != nil {
			return err
		}
	}
	if err := m.reloadLocked(ctx); err != nil {
		return err
	}
	if m.set.Load().current[alg] == nil {
		// The store keeps one current key in all (its unique index is on the state alone), so a second
		// algorithm cannot get its own current key there.
		return fmt.Errorf("keys: the store refused a current %s key next to the existing one", alg)
	}
	return nil
}

// create stores a new key. A conflict means another node stored one first (two nodes starting on an
// empty database): its key is used instead.
func (m *Manager) create(ctx context.Context, k *domain.SigningKey) error {
	err := m.store.CreateSigningKey(ctx, k)
	if errors.Is(err, store.ErrConflict) {
		m.opts.Logger.InfoContext(ctx, "signing key created concurrently elsewhere; using that one", "alg", k.Alg, "state", k.State)
		return nil
	}
	if err != nil {
		return fmt.Errorf("keys: store new %s key: %w", k.State, err)
	}
	m.opts.Logger.InfoContext(ctx, "signing key generated", "kid", k.KID, "alg", k.Alg, "state", k.State)
	return nil
}

// Current returns the signer of alg's current key. An ES256 key pair is generated the first time an
// API asks for ES256, so EC keys appear in the JWKS only once something signs with them. That needs a
// store that keeps one current and one next key per algorithm; a store that keeps one in all refuses
// the EC pair and Current returns an error.
func (m *Manager) Current(ctx context.Context, alg string) (*Signer, error) {
	set := m.set.Load()
	if s := set.current[alg]; s != nil {
		if fb := set.fallback[alg]; fb != nil && m.opts.Now().Before(s.stored.CreatedAt.Add(m.opts.PublishLead)) {
			return fb, nil
		}
		return s, nil
	}
	if !Supported(alg) {
		return nil, fmt.Errorf("keys: unsupported algorithm %q", alg)
	}
	if err := m.EnsureKeys(ctx, alg); err != nil {
		return nil, err
	}
	if s := m.set.Load().current[alg]; s != nil {
		return s, nil
	}
	return nil, fmt.Errorf("keys: no current %s key", alg)
}

// Ready reports whether the node can sign: a current RS256 key (the default algorithm) is loaded.
func (m *Manager) Ready() error {
	if m.set.Load().current[RS256] == nil {
		return errors.New("keys: no current RS256 signing key loaded")
	}
	return nil
}

// VerificationKey returns the public key and algorithm of kid. An unknown kid triggers one reload
// (rate-limited by UnknownKIDReloadInterval): another node may have rotated.
func (m *Manager) VerificationKey(ctx context.Context, kid string) (crypto.PublicKey, string, error) {
	if s := m.set.Load().byKID[kid]; s != nil {
		return s.public, s.Alg, nil
	}
	if iv := m.opts.UnknownKIDReloadInterval; iv > 0 && time.Duration(m.opts.Now().UnixNano()-m.last.Load()) < iv {
		return nil, "", ErrUnknownKey
	}
	if err := m.Reload(ctx); err != nil {
		return nil, "", err
	}
	if s := m.set.Load().byKID[kid]; s != nil {
		return s.public, s.Alg, nil
	}
	return nil, "", ErrUnknownKey
}

// JWKS returns the pre-rendered JWKS document and its ETag. The bytes must not be modified.
func (m *Manager) JWKS() (body []byte, etag string) {
	s := m.set.Load()
	return s.jwks, s.etag
}

// Signers lists the published keys: RS256, then PS256, then ES256; for each, current first, then
// next, then previous.
func (m *Manager) Signers() []*Signer { return m.set.Load().list }

// OnReload registers f to run after every reload that changed the key set (e.g. to rebuild a cached
// document). Register before Run starts.
func (m *Manager) OnReload(f func()) {
	m.mu.Lock()
	m.onLoad = append(m.onLoad, f)
	m.mu.Unlock()
}

// Reload reads the keys from the store now.
func (m *Manager) Reload(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reloadLocked(ctx)
}

func (m *Manager) reloadLocked(ctx context.Context) error {
	m.last.Store(m.opts.Now().UnixNano())
	version, err := m.store.KeysVersion(ctx)
	if err != nil {
		return fmt.Errorf("keys: read keys version: %w", err)
	}
	stored, err := m.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("keys: list signing keys: %w", err)
	}
	old := m.set.Load()
	next := &keySet{version: version, current: map[string]*Signer{}, fallback: map[string]*Signer{}, byKID: map[string]*Signer{}}
	for _, k := range stored {
		if k.State == domain.KeyRevoked || k.RevokedAt != nil {
			continue
		}
		s := old.byKID[k.KID]
		if s == nil || s.State != k.State {
			// Decrypt once per key and state change, not on every reload.
			if s, err = prepare(k, m.opener); err != nil {
				return fmt.Errorf("keys: %w", err)
			}
		}
		next.byKID[k.KID] = s
		next.list = append(next.list, s)
	}
	sort.SliceStable(next.list, func(i, j int) bool { return less(next.list[i], next.list[j]) })
	for _, s := range next.list {
		if s.State == domain.KeyCurrent && next.current[s.Alg] == nil {
			next.current[s.Alg] = s
		}
	}
	now := m.opts.Now()
	for _, s := range next.list {
		if cur := next.current[s.Alg]; s.State == domain.KeyPrevious && cur != nil &&
			replaced(s.stored, cur.stored) && now.Before(cur.stored.CreatedAt.Add(m.opts.PublishLead)) {
			next.fallback[s.Alg] = s
		}
	}
	if next.jwks, next.etag, err = renderJWKS(next.list); err != nil {
		return err
	}
	m.set.Store(next)
	if old.etag != next.etag {
		for _, f := range m.onLoad {
			f()
		}
	}
	return nil
}

// replaced reports whether prev is the key cur replaced as current: the one rotation moved both at
// the same instant. An older previous key is never signed with again.
func replaced(prev, cur *domain.SigningKey) bool {
	return prev.PreviousSince != nil && cur.CurrentSince != nil && !prev.PreviousSince.Before(*cur.CurrentSince)
}

var algRank = map[string]int{RS256: 0, PS256: 1, ES256: 2}

var stateRank = map[string]int{domain.KeyCurrent: 0, domain.KeyNext: 1, domain.KeyPrevious: 2}

// less orders keys for publication and picks the current one deterministically on every node.
func less(a, b *Signer) bool {
	if a.Alg != b.Alg {
		return algRank[a.Alg] < algRank[b.Alg]
	}
	if stateRank[a.State] != stateRank[b.State] {
		return stateRank[a.State] < stateRank[b.State]
	}
	ta, tb := since(a), since(b)
	if !ta.Equal(tb) {
		if a.State == domain.KeyCurrent {
			return ta.Before(tb) // the key current the longest wins a race between two nodes
		}
		return ta.After(tb) // newest previous first
	}
	return a.KID < b.KID
}

func since(s *Signer) time.Time {
	k := s.stored
	switch {
	case k.State == domain.KeyCurrent && k.CurrentSince != nil:
		return *k.CurrentSince
	case k.State == domain.KeyPrevious && k.PreviousSince != nil:
		return *k.PreviousSince
	}
	return k.CreatedAt
}

// Algorithms lists the algorithms that have a current key: RS256 always, the others once an API
// has signed with them.
func (m *Manager) Algorithms() []string {
	set := m.set.Load()
	var out []string
	for _, alg := range []string{RS256, PS256, ES256} {
		if set.current[alg] != nil {
			out = append(out, alg)
		}
	}
	return out
}

// Rotate makes the next RS256 key current, the current one previous, and generates a new next key
// (Management API `POST /keys/signing/rotate`). It returns the new current key.
func (m *Manager) Rotate(ctx context.Context) (*Signer, error) { return m.RotateAlg(ctx, RS256) }

// RotateAlg rotates the keys of one algorithm.
func (m *Manager) RotateAlg(ctx context.Context, alg string) (*Signer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.reloadLocked(ctx); err != nil {
		return nil, err
	}
	if err := m.ensureLocked(ctx, alg); err != nil {
		return nil, err
	}
	cur := m.set.Load().current[alg]
	var nextKID string
	for _, s := range m.set.Load().list {
		if s.Alg == alg && s.State == domain.KeyNext {
			nextKID = s.KID
			break
		}
	}
	now := m.opts.Now()
	newNext, err := generate(alg, domain.KeyNext, m.sealer, now)
	if err != nil {
		return nil, err
	}
	if err := m.store.RotateSigningKeys(ctx, cur.KID, newNext, now); err != nil {
		return nil, fmt.Errorf("keys: rotate: %w", err)
	}
	if err := m.reloadLocked(ctx); err != nil {
		return nil, err
	}
	s := m.set.Load().byKID[nextKID]
	if s == nil || s.State != domain.KeyCurrent {
		return nil, errors.New("keys: rotate: the next key did not become current")
	}
	m.opts.Logger.InfoContext(ctx, "signing keys rotated", "alg", alg, "current", s.KID, "previous", cur.KID)
	return s, nil
}

// Revoke revokes a previous key: it leaves the JWKS, and tokens it signed stop verifying.
func (m *Manager) Revoke(ctx context.Context, kid string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.store.RevokeSigningKey(ctx, kid, m.opts.Now()); err != nil {
		return fmt.Errorf("keys: revoke %s: %w", kid, err)
	}
	return m.reloadLocked(ctx)
}

// Run polls KeysVersion every PollInterval and reloads when it changed, until ctx ends.
func (m *Manager) Run(ctx context.Context) {
	t := time.NewTicker(m.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := m.poll(ctx); err != nil && ctx.Err() == nil {
				m.opts.Logger.WarnContext(ctx, "signing keys poll failed", "err", err)
			}
		}
	}
}

// Poll checks KeysVersion once and reloads when it changed.
func (m *Manager) poll(ctx context.Context) error {
	v, err := m.store.KeysVersion(ctx)
	if err != nil {
		return err
	}
	if v == m.set.Load().version {
		return nil
	}
	return m.Reload(ctx)
}

// Poll is Run's single step, for callers that drive their own loop and for tests.
func (m *Manager) Poll(ctx context.Context) error { return m.poll(ctx) }
