package mgmt

import (
	"context"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// nfExecution is the 404 of an execution that is unknown or past its retention.
var nfExecution = &apiError{http.StatusNotFound, "", "That execution does not exist."}

// executionReader is the part of the store GET /actions/executions/{id} reads.
type executionReader interface {
	GetActionExecution(ctx context.Context, id string) (*domain.ActionExecution, error)
}

// executionView is Auth0's GetExecution response: the run of one trigger and each action's result.
type executionView struct {
	ID        string                `json:"id"`
	TriggerID string                `json:"trigger_id"`
	Status    string                `json:"status"`
	Results   []executionResultView `json:"results"`
	CreatedAt string                `json:"created_at"`
	UpdatedAt string                `json:"updated_at"`
}

type executionResultView struct {
	ActionName string                       `json:"action_name"`
	Error      *domain.ActionExecutionError `json:"error,omitempty"`
	StartedAt  string                       `json:"started_at"`
	EndedAt    string                       `json:"ended_at"`
	// Logs, beyond Auth0's shape: the action's console lines, secrets masked.
	Logs []domain.ActionExecutionLog `json:"logs,omitempty"`
}

// getExecution is GET /actions/executions/{id} (scope read:actions).
func getExecution(st executionReader) func(c *call) (int, any, error) {
	return func(c *call) (int, any, error) {
		x, err := load(c.ctx(), st.GetActionExecution, c.r.PathValue("id"), nfExecution)
		if err != nil {
			return 0, nil, err
		}
		v := executionView{ID: x.ID, TriggerID: x.TriggerID, Status: x.Status, Results: make([]executionResultView, 0, len(x.Results)),
			CreatedAt: isoTime(x.CreatedAt), UpdatedAt: isoTime(x.UpdatedAt)}
		for _, r := range x.Results {
			v.Results = append(v.Results, executionResultView{ActionName: r.ActionName, Error: r.Error,
				StartedAt: isoTime(r.StartedAt), EndedAt: isoTime(r.EndedAt), Logs: r.Logs})
		}
		return http.StatusOK, v, nil
	}
}
