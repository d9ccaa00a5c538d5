package webauth

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrSessionNotFound is what a SessionStore returns from Get for an unknown or expired id.
var ErrSessionNotFound = errors.New("webauth: session not found")

// SessionStore keeps sessions server-side. With a store configured the appSession cookie carries
// only an encrypted session id; the data handed to the store is itself encrypted with the
// session key, so a store never sees tokens in clear. Implementations must be safe for
// concurrent use; Set replaces any previous value and expiresAt lets the store evict.
type SessionStore interface {
	Get(ctx context.Context, id string) ([]byte, error)
	Set(ctx context.Context, id string, data []byte, expiresAt time.Time) error
	Delete(ctx context.Context, id string) error
}

// MemoryStore is an in-process SessionStore for tests, examples and single-instance apps.
// Sessions are lost on restart and not shared between processes.
type MemoryStore struct {
	// Now is the clock used for eviction; default time.Now.
	Now func() time.Time

	mu   sync.Mutex
	data map[string]memoryEntry
}

type memoryEntry struct {
	data      []byte
	expiresAt time.Time
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

func (m *MemoryStore) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Get returns the stored bytes or ErrSessionNotFound.
func (m *MemoryStore) Get(_ context.Context, id string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.data[id]
	if !ok || !m.now().Before(e.expiresAt) {
		delete(m.data, id)
		return nil, ErrSessionNotFound
	}
	return append([]byte(nil), e.data...), nil
}

// Set stores data until expiresAt, evicting expired entries as it goes.
func (m *MemoryStore) Set(_ context.Context, id string, data []byte, expiresAt time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		m.data = make(map[string]memoryEntry)
	}
	now := m.now()
	for k, e := range m.data {
		if !now.Before(e.expiresAt) {
			delete(m.data, k)
		}
	}
	m.data[id] = memoryEntry{data: append([]byte(nil), data...), expiresAt: expiresAt}
	return nil
}

// Delete removes id; deleting an unknown id is not an error.
func (m *MemoryStore) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.data, id)
	return nil
}

// Len reports how many sessions are held (expired ones included until evicted).
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.data)
}
