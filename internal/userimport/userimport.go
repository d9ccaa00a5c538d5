// Package userimport runs Auth0's bulk user import (POST /api/v2/jobs/users-imports, `gatehouse
// users import`): the file is stored with its job, and any node claims the job under a lease and
// imports it in batches, each committed with the job's progress, so a job survives the node that
// ran it and resumes at the last committed batch. Rows that cannot be imported become the job's
// per-row errors in Auth0's shape.
package userimport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// MaxFileBytes is Auth0's limit on one import file (500 KB); a larger user base is imported in
// several jobs.
const MaxFileBytes = 500 * 1024

// RowError is one entry of GET /api/v2/jobs/{id}/errors: the row as sent (password hashes left
// out) and what was wrong with it.
type RowError struct {
	User   map[string]any `json:"user"`
	Errors []Problem      `json:"errors"`
}

// Problem is one reason a row was refused.
type Problem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Path    string `json:"path,omitempty"`
}

// state is the job work's progress: the rows done, the summary so far and the errors.
type state struct {
	Cursor  int               `json:"cursor"`
	Summary domain.JobSummary `json:"summary"`
	Errors  []RowError        `json:"errors,omitempty"`
}

// Settings are the job's options, as POST /jobs/users-imports takes them.
type Settings struct {
	Connection          *domain.Connection
	Upsert              bool
	ExternalID          string
	SendCompletionEmail bool
}

// Create checks the file (a JSON array of users, at most MaxFileBytes) and stores a pending
// users_import job with it, for a Runner to pick up.
func Create(ctx context.Context, st store.Store, now time.Time, s Settings, file []byte) (*domain.Job, error) {
	if len(file) > MaxFileBytes {
		return nil, domain.Invalidf("users", "The users file is larger than %d bytes.", MaxFileBytes)
	}
	if s.Connection == nil || s.Connection.Strategy != domain.StrategyAuth0 {
		return nil, domain.Invalidf("connection_id", "Users can only be imported into a database connection.")
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(bytes.TrimSpace(file), &rows); err != nil {
		return nil, domain.Invalidf("users", "The users file must be a JSON array of user objects: %v", err)
	}
	if len(rows) == 0 {
		return nil, domain.Invalidf("users", "The users file has no users.")
	}
	up, mail := s.Upsert, s.SendCompletionEmail
	j := &domain.Job{ID: domain.NewJobID(), Type: domain.JobUsersImport, Status: domain.JobPending,
		CreatedAt: now.UTC().Truncate(time.Millisecond), ConnectionID: s.Connection.ID, Connection: s.Connection.Name,
		Upsert: &up, ExternalID: s.ExternalID, SendCompletionEmail: &mail}
	st0, _ := json.Marshal(state{})
	err := st.WithTx(ctx, func(tx store.Store) error {
		if err := tx.CreateJob(ctx, j); err != nil {
			return err
		}
		return tx.CreateJobWork(ctx, &store.JobWork{JobID: j.ID, Payload: file, State: st0})
	})
	if err != nil {
		return nil, err
	}
	return j, nil
}

// Errors returns a users_import job's per-row errors; ErrNotFound when it has no work (another
// kind of job).
func Errors(ctx context.Context, st store.JobWorkReader, jobID string) ([]RowError, error) {
	w, err := st.GetJobWork(ctx, jobID)
	if err != nil {
		return nil, err
	}
	var s state
	if err := json.Unmarshal(w.State, &s); err != nil {
		return nil, fmt.Errorf("import job %s: state: %w", jobID, err)
	}
	if s.Errors == nil {
		s.Errors = []RowError{}
	}
	return s.Errors, nil
}

var errLost = errors.New("userimport: the job's lease was taken over")
