package mgmt

import (
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// testAction is POST /actions/actions/{id}/test {payload}: the action's current code run once with
// payload as the event of its first supported trigger (or of body.trigger_id, one it supports).
// The answer is {"payload": {logs, result, error, duration_ms}}; nothing the code asks for is
// applied, and it changes nothing stored.
func (g *actions) testAction(c *call) (int, any, error) {
	if g.tester == nil {
		return 0, nil, refuse(http.StatusNotImplemented, "not_implemented", "Testing actions is not available on this server")
	}
	a, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	var b struct {
		Payload   map[string]any `json:"payload"`
		TriggerID string         `json:"trigger_id"`
	}
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if b.Payload == nil {
		return 0, nil, domain.Invalidf("payload", "Missing required property: payload")
	}
	trigger := ""
	for _, t := range a.SupportedTriggers {
		if b.TriggerID == "" || t.ID == b.TriggerID {
			trigger = t.ID
			break
		}
	}
	if trigger == "" {
		return 0, nil, domain.Invalidf("trigger_id", "%q is not a trigger this action supports", b.TriggerID)
	}
	out, err := g.tester.TestAction(c.ctx(), a, trigger, b.Payload)
	if err != nil {
		if domain.ErrorCode(err) != domain.CodeInternal {
			return 0, nil, err
		}
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "The action %q does not compile: %s", a.Name, strings.TrimSpace(err.Error()))
	}
	return http.StatusOK, map[string]any{"payload": out}, nil
}
