package userimport

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// exportFields are the fields an export may name (Auth0's user profile, top level).
var exportFields = map[string]bool{"user_id": true, "email": true, "email_verified": true, "username": true,
	"phone_number": true, "name": true, "nickname": true, "given_name": true, "family_name": true, "picture": true,
	"app_metadata": true, "user_metadata": true, "blocked": true, "created_at": true, "updated_at": true,
	"last_login": true, "last_ip": true, "logins_count": true, "connection": true}

// defaultExportFields are written when a job names none.
var defaultExportFields = []string{"user_id", "email", "email_verified", "name", "nickname", "given_name", "family_name",
	"picture", "created_at", "updated_at", "blocked"}

// exportState is an export's result: the gzipped file. Its download link is signed when the job is
// read (ExportLinks), so no secret is kept with it.
type exportState struct {
	File []byte `json:"file,omitempty"`
}

// CreateExport checks an export's settings and stores a pending users_export job.
func CreateExport(ctx context.Context, st store.Store, now time.Time, conn *domain.Connection, format string, limit int,
	fields []domain.ExportField) (*domain.Job, error) {
	switch format {
	case "":
		format = "csv"
	case "csv", "json":
	default:
		return nil, domain.Invalidf("format", "format must be json or csv")
	}
	if limit < 0 {
		return nil, domain.Invalidf("limit", "limit must not be negative")
	}
	if len(fields) == 0 {
		for _, f := range defaultExportFields {
			fields = append(fields, domain.ExportField{Name: f})
		}
	}
	if _, err := checkExportFields(fields); err != nil {
		return nil, err
	}
	j := &domain.Job{ID: domain.NewJobID(), Type: domain.JobUsersExport, Status: domain.JobPending,
		CreatedAt: now.UTC().Truncate(time.Millisecond), Format: format, Limit: limit, Fields: fields}
	if conn != nil {
		j.ConnectionID, j.Connection = conn.ID, conn.Name
	}
	err := st.WithTx(ctx, func(tx store.Store) error {
		if err := tx.CreateJob(ctx, j); err != nil {
			return err
		}
		return tx.CreateJobWork(ctx, &store.JobWork{JobID: j.ID, Payload: []byte("{}"), State: []byte("{}")})
	})
	if err != nil {
		return nil, err
	}
	return j, nil
}

// ExportFile returns a completed export's gzipped file; ErrNotFound when jobID is no finished
// export. It checks no capability: callers check the download link first (ExportLinks.Check), or
// hold the database already (the command line).
func ExportFile(ctx context.Context, st store.Store, jobID string) ([]byte, error) {
	job, err := st.GetJob(ctx, jobID)
	if err != nil {
		return nil, err
	}
	w, err := st.GetJobWork(ctx, jobID)
	if err != nil {
		return nil, err
	}
	var s exportState
	if job.Type != domain.JobUsersExport || !w.Finished || json.Unmarshal(w.State, &s) != nil || s.File == nil {
		return nil, store.ErrNotFound
	}
	return s.File, nil
}

// runExport writes the file of an export job in one step.
func (r *Runner) runExport(ctx context.Context, job *domain.Job, w *store.JobWork) error {
	var s exportState
	paths, err := checkExportFields(job.Fields)
	if err != nil {
		return err
	}
	linked := false
	for _, p := range paths {
		linked = linked || p.linked()
	}
	q := store.UserQuery{SkipCount: true}
	if job.Connection != "" {
		q.Terms = []store.UserQueryTerm{{Field: "connection", Value: job.Connection}}
	}
	var out bytes.Buffer
	gz := gzip.NewWriter(&out)
	cw := csv.NewWriter(gz)
	if job.Format == "csv" {
		head := make([]string, len(job.Fields))
		for i, f := range job.Fields {
			head[i] = cmpOr(f.ExportAs, f.Name)
		}
		_ = cw.Write(head)
	}
	n := 0
	for {
		// Checkpoint paging: each page starts after the last user read, so the millionth user costs
		// what the first does.
		users, _, err := r.Store.SearchUsers(ctx, q, store.Page{PerPage: 100})
		if err != nil {
			return err
		}
		if len(users) > 0 {
			last := users[len(users)-1]
			q.After = &store.UserCursor{CreatedAt: last.CreatedAt, UserID: last.UserID}
		}
		for _, u := range users {
			if job.Limit > 0 && n >= job.Limit {
				break
			}
			n++
			all := exportValues(u)
			idents := u.Identities()
			if linked {
				// Only an export that names linked identities reads them, one query a user.
				rows, err := r.Store.ListUserIdentities(ctx, u.UserID)
				if err != nil {
					return err
				}
				idents = u.WithLinked(rows)
			}
			if job.Format == "json" {
				obj := map[string]any{}
				for i, f := range job.Fields {
					if v, ok := paths[i].value(all, u, idents); ok {
						obj[cmpOr(f.ExportAs, f.Name)] = v
					}
				}
				b, _ := json.Marshal(obj)
				gz.Write(append(b, '\n'))
				continue
			}
			rec := make([]string, len(job.Fields))
			for i := range job.Fields {
				v, _ := paths[i].value(all, u, idents)
				rec[i] = csvValue(v)
			}
			_ = cw.Write(rec)
		}
		if len(users) < 100 || (job.Limit > 0 && n >= job.Limit) {
			break
		}
	}
	cw.Flush()
	if err := gz.Close(); err != nil {
		return err
	}
	s.File = out.Bytes()
	b, _ := json.Marshal(s)
	w.State, w.Finished, w.LeaseUntil = b, true, r.now()
	j := *job
	// The job keeps no location: GET /jobs/{id} signs a fresh one each time it is read.
	j.Status, j.Location = domain.JobCompleted, ""
	return r.Store.WithTx(ctx, func(tx store.Store) error {
		if err := tx.SaveJobWork(ctx, w); err != nil {
			return fmt.Errorf("job %s: %w", job.ID, err)
		}
		return tx.UpdateJob(ctx, &j)
	})
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func exportValues(u *domain.User) map[string]any {
	iso := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
	m := map[string]any{"user_id": u.UserID, "email": u.Email, "email_verified": u.EmailVerified, "username": u.Username,
		"phone_number": u.PhoneNumber, "name": u.Name, "nickname": u.Nickname, "given_name": u.GivenName,
		"family_name": u.FamilyName, "picture": u.Picture, "blocked": u.Blocked, "created_at": iso(u.CreatedAt),
		"updated_at": iso(u.UpdatedAt), "last_ip": u.LastIP, "logins_count": u.LoginsCount, "connection": u.Connection}
	if u.AppMetadata != nil {
		m["app_metadata"] = u.AppMetadata
	}
	if u.UserMetadata != nil {
		m["user_metadata"] = u.UserMetadata
	}
	if u.LastLogin != nil {
		m["last_login"] = iso(*u.LastLogin)
	}
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
	return m
}

func csvValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case map[string]any, []any, []domain.Identity:
		// Objects and arrays are written as JSON in their cell.
		b, _ := json.Marshal(v)
		return string(b)
	}
	return strings.TrimSpace(fmt.Sprint(v))
}
