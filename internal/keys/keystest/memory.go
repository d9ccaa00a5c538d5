package keystest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// MemKeyStore is an in-memory store.KeyStore for tests with the contract's semantics: rotation acts on the keys of
// newNext's algorithm and fails with ErrConflict when the current key changed.
type MemKeyStore struct {
	mu      sync.Mutex
	Stored  []*domain.SigningKey // newest first
	version int
}

func (m *MemKeyStore) CreateSigningKey(_ context.Context, k *domain.SigningKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := *k
	m.Stored = append([]*domain.SigningKey{&c}, m.Stored...)
	m.version++
	return nil
}

func (m *MemKeyStore) ListSigningKeys(context.Context) ([]*domain.SigningKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*domain.SigningKey, len(m.Stored))
	for i, k := range m.Stored {
		c := *k
		out[i] = &c
	}
	return out, nil
}

func (m *MemKeyStore) RotateSigningKeys(_ context.Context, expect string, newNext *domain.SigningKey, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var cur, next *domain.SigningKey
	for _, k := range m.Stored {
		if k.Alg != newNext.Alg {
			continue
		}
		switch k.State {
		case domain.KeyCurrent:
			cur = k
		case domain.KeyNext:
			next = k
		}
	}
	if cur == nil || cur.KID != expect || next == nil {
		return fmt.Errorf("rotate: %w", store.ErrConflict)
	}
	t := now
	cur.State, cur.PreviousSince = domain.KeyPrevious, &t
	next.State, next.CurrentSince = domain.KeyCurrent, &t
	c := *newNext
	m.Stored = append([]*domain.SigningKey{&c}, m.Stored...)
	m.version++
	return nil
}

func (m *MemKeyStore) RevokeSigningKey(_ context.Context, kid string, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range m.Stored {
		if k.KID == kid {
			if k.State != domain.KeyPrevious {
				return fmt.Errorf("revoke: %w", store.ErrConflict)
			}
			t := now
			k.State, k.RevokedAt = domain.KeyRevoked, &t
			m.version++
			return nil
		}
	}
	return store.ErrNotFound
}

func (m *MemKeyStore) KeysVersion(context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strconv.Itoa(m.version), nil
}
