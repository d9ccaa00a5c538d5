package domain

import "time"

// Job types and states, as Auth0's /api/v2/jobs shows them.
const (
	JobVerificationEmail = "verification_email"
	JobUsersImport       = "users_import"
	JobUsersExport       = "users_export"
	JobProcessing        = "processing"
	JobPending           = "pending"
	JobCompleted         = "completed"
	JobFailed            = "failed"
)

// Job is a piece of work the Management API accepted to do in the background. A
// verification_email job is the verification mail it queued: the job's status is the mail's
// (pending while queued, completed once delivered, failed when delivery was given up).
type Job struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	// EmailID is the outbox message the job queued.
	EmailID  string `json:"-"`
	UserID   string `json:"-"`
	ClientID string `json:"-"`

	// A users_import job's settings and, once it has run, its summary (Auth0's shape).
	ConnectionID        string      `json:"connection_id,omitempty"`
	Connection          string      `json:"connection,omitempty"`
	Upsert              *bool       `json:"upsert,omitempty"`
	ExternalID          string      `json:"external_id,omitempty"`
	SendCompletionEmail *bool       `json:"send_completion_email,omitempty"`
	Summary             *JobSummary `json:"summary,omitempty"`

	// A users_export job's settings and, once completed, where its file is: a signed link that
	// expires, issued afresh each time the job is read and never stored.
	Format   string        `json:"format,omitempty"`
	Limit    int           `json:"limit,omitempty"`
	Fields   []ExportField `json:"fields,omitempty"`
	Location string        `json:"location,omitempty"`
}

// ExportField is one field a users export writes, and the name it is written under.
type ExportField struct {
	Name     string `json:"name"`
	ExportAs string `json:"export_as,omitempty"`
}

// JobSummary counts what a users_import job did with its rows.
type JobSummary struct {
	Failed   int `json:"failed"`
	Updated  int `json:"updated"`
	Inserted int `json:"inserted"`
	Total    int `json:"total"`
}

// JobRetention is how long a job can be read back after it was created.
const JobRetention = 7 * 24 * time.Hour

// NewJobID returns a job id in Auth0's form.
func NewJobID() string { return "job_" + randomAlnum(16) }

// JobStatusOf derives a verification_email job's status from its message.
func JobStatusOf(m *OutboundEmail) string {
	switch {
	case m == nil:
		return JobPending
	case m.SentAt != nil:
		return JobCompleted
	case m.FailedAt != nil:
		return JobFailed
	default:
		return JobPending
	}
}
