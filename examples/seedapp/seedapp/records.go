package seedapp

import (
	"fmt"
	"sync"
	"time"
)

// Record is one row of the guide's db.records (step 6). OrgID is the organization it belongs to
// ("" for a record kept outside any organization): a member's records in one organization are not
// their records in another.
type Record struct {
	ID        string    `json:"id"`
	OwnerID   string    `json:"ownerId"`
	OrgID     string    `json:"orgId,omitempty"`
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
	s.add("", "auth0|someone-else", "Someone else's notes")
	return s
}

func (s *Records) add(org, owner, title string) {
	s.all = append(s.all, Record{ID: fmt.Sprintf("rec_%d", len(s.all)+1), OwnerID: owner, OrgID: org, Title: title,
		CreatedAt: s.now().UTC()})
}

// SeedFor gives owner their starter records in org ("" outside any organization) unless they
// already have them there.
func (s *Records) SeedFor(org, owner string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := org + " " + owner // neither contains a space
	if s.seeded[key] {
		return
	}
	s.seeded[key] = true
	titles := []string{"Welcome note", "Quarterly plan", "Reading list"}
	if org != "" {
		titles = []string{"Team onboarding checklist", "Shared roadmap"}
	}
	for _, title := range titles {
		s.add(org, owner, title)
	}
}

// FindByOwner is the guide's db.records.findMany({where: {ownerId}}) with the organization added
// to the filter, as the guide's FAQ asks of a multi-tenant app (org_id + sub): only owner's
// records in org ("" for those kept outside any organization).
func (s *Records) FindByOwner(org, owner string) []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Record{}
	for _, r := range s.all {
		if r.OwnerID == owner && r.OrgID == org {
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
