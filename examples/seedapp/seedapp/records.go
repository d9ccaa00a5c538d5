package seedapp

import (
	"fmt"
	"sync"
	"time"
)

// Record is one row of the guide's db.records (step 6).
type Record struct {
	ID        string    `json:"id"`
	OwnerID   string    `json:"ownerId"`
	Title     string    `json:"title"`
	CreatedAt time.Time `json:"createdAt"`
}

// Records is an in-memory stand-in for the guide's database. Each user gets a few records on their
// first visit, and a record owned by nobody who signs in is there from the start, so a query that
// forgets its owner filter shows at once. Safe for concurrent use.
type Records struct {
	mu     sync.Mutex
	all    []Record
	seeded map[string]bool
	now    func() time.Time
}

// NewRecords returns a store holding one record that belongs to no signed-in user.
func NewRecords() *Records {
	s := &Records{seeded: map[string]bool{}, now: time.Now}
	s.add("auth0|someone-else", "Someone else's notes")
	return s
}

func (s *Records) add(owner, title string) {
	s.all = append(s.all, Record{ID: fmt.Sprintf("rec_%d", len(s.all)+1), OwnerID: owner, Title: title, CreatedAt: s.now().UTC()})
}

// SeedFor gives owner their starter records unless they already have them.
func (s *Records) SeedFor(owner string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seeded[owner] {
		return
	}
	s.seeded[owner] = true
	for _, title := range []string{"Welcome note", "Quarterly plan", "Reading list"} {
		s.add(owner, title)
	}
}

// FindByOwner is the guide's db.records.findMany({where: {ownerId}}): only owner's records.
func (s *Records) FindByOwner(owner string) []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Record{}
	for _, r := range s.all {
		if r.OwnerID == owner {
			out = append(out, r)
		}
	}
	return out
}

// All returns every record, for the admin page ("admin:read - Read all data").
func (s *Records) All() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Record(nil), s.all...)
}
