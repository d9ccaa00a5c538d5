package domain

import "time"

// Triggers added for the password reset flow.
const (
	// TriggerPostChangePassword runs after a database user's password changed (reset link, change
	// ticket, Management API), in the background.
	TriggerPostChangePassword = "post-change-password"
	// TriggerPasswordResetPostChallenge runs once the user proved a reset link, before the new
	// password form; it may deny the reset.
	TriggerPasswordResetPostChallenge = "password-reset-post-challenge"
	// TriggerSendPhoneMessage runs where an SMS or voice message would carry a second-factor code
	// (Auth0's custom phone provider). Gatehouse sends no SMS: it is bound, listed and tested only.
	TriggerSendPhoneMessage = "send-phone-message"
)

// ActionExecutionRetention is how long an execution record is kept: Auth0 keeps execution logs
// for 10 days.
const ActionExecutionRetention = 10 * 24 * time.Hour

// Execution status values (Auth0's ActionExecution.status).
const (
	ExecutionFinal    = "final"
	ExecutionCanceled = "canceled"
)

// ActionExecution is one run of a trigger's bound actions (GET /api/v2/actions/executions/{id}).
type ActionExecution struct {
	ID        string                  `json:"id"`
	TriggerID string                  `json:"trigger_id"`
	Status    string                  `json:"status"`
	Results   []ActionExecutionResult `json:"results"`
	CreatedAt time.Time               `json:"created_at"`
	UpdatedAt time.Time               `json:"updated_at"`
}

// ActionExecutionResult is what one action of the run did. Logs (its console lines, secrets
// masked) go beyond Auth0's shape, which leaves them to the real-time logs: here they are also in
// the tenant log entry naming the execution.
type ActionExecutionResult struct {
	ActionName string                `json:"action_name"`
	Error      *ActionExecutionError `json:"error,omitempty"`
	StartedAt  time.Time             `json:"started_at"`
	EndedAt    time.Time             `json:"ended_at"`
	Logs       []ActionExecutionLog  `json:"logs,omitempty"`
}

// ActionExecutionLog is one console line of an action's run.
type ActionExecutionLog struct {
	Level   string `json:"level"`
	Message string `json:"message"`
}

// ActionExecutionError is Auth0's ActionError: an id (the kind of failure), a message and an
// optional URL.
type ActionExecutionError struct {
	ID  string `json:"id"`
	Msg string `json:"msg"`
	URL string `json:"url,omitempty"`
}

// NewActionExecutionID returns an execution id (a UUID, as Auth0's examples show).
func NewActionExecutionID() string { return newUUID() }

// ActionCacheEntry is one api.cache record of a trigger.
type ActionCacheEntry struct {
	Key       string
	Value     string
	ExpiresAt time.Time
}
