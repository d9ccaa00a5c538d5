package actionexec

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/internal/actions"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
)

// Descriptions a failed execution gives the end user. The JavaScript error (which may
// quote event.secrets or the user's data) goes to the tenant log only.
const (
	// FailedReason is the error_description of a flow an Action failed: access_denied for
	// a sign-in or refresh, server_error for client credentials (spec §5.4).
	FailedReason = "An error occurred while executing an Action."
	// DefaultDenyReason stands in when an action calls api.access.deny() without a reason:
	// the caller needs a non-empty description to fail the flow.
	DefaultDenyReason = "Access denied"
)

// redacted replaces a secret value wherever it shows up in log text.
const redacted = "[redacted]"

// minRedactLen keeps one- to three-character values (a flag, a region) from shredding
// every log line that happens to contain them.
const minRedactLen = 4

// maxStack bounds the JavaScript stack kept in a log entry.
const maxStack = 2048

// logContext is who and what an execution log entry is about.
type logContext struct {
	trigger    actions.Trigger
	clientID   string
	clientName string
	userID     string
	userName   string
	ip         string
	userAgent  string
	hostname   string
	audience   string
	// exec is the record of this run (see begin); nil when none is kept.
	exec *execution
}

// failure is an execution that must fail the flow.
type failure struct {
	actionID, actionName string
	kind                 string
	message              string
	stack                string
}

// asFailure classifies a runtime error: an *actions.ExecutionError fails the flow;
// anything else is a fault of the machinery and is returned as an error.
func asFailure(err error) (*failure, bool) {
	var ee *actions.ExecutionError
	if !errors.As(err, &ee) {
		return nil, false
	}
	return &failure{actionID: ee.ActionID, actionName: ee.ActionName, kind: string(ee.Kind), message: ee.Message, stack: ee.Stack}, true
}

func brokenFailure(b *brokenAction) *failure {
	return &failure{actionID: b.actionID, actionName: b.name, kind: "compile", message: "the deployed version does not compile: " + b.err.Error()}
}

// record writes one tenant log entry for an execution when it produced console output,
// dropped claims or failed. Secret values of the chain's actions are redacted.
//
// It also completes the run's execution record (lc.exec), whose id the entry carries.
func (e *Executor) record(ctx context.Context, lc logContext, c *chain, logs []actions.LogLine, dropped []actions.DroppedClaim, f *failure) {
	e.finish(ctx, lc.trigger, c, lc.exec, logs, f)
	if len(logs) == 0 && len(dropped) == 0 && f == nil {
		return
	}
	red := newRedactor(c)
	details := map[string]any{"trigger": string(lc.trigger)}
	if lc.exec != nil {
		details["execution_id"] = lc.exec.id
	}
	if len(logs) > 0 {
		details["actions"] = groupLines(logs, red)
	}
	if len(dropped) > 0 {
		dc := make([]map[string]any, 0, len(dropped))
		for _, d := range dropped {
			dc = append(dc, map[string]any{"token": d.Token, "name": red(d.Name), "reason": d.Reason})
		}
		details["dropped_claims"] = dc
	}
	desc := "Actions executed (" + string(lc.trigger) + ")"
	if f != nil {
		ed := map[string]any{"action_id": f.actionID, "action_name": f.actionName, "kind": f.kind, "message": red(f.message)}
		if f.stack != "" {
			ed["stack"] = truncate(red(f.stack), maxStack)
		}
		details["error"] = ed
		desc = "Action " + f.actionName + " failed (" + string(lc.trigger) + "): " + f.kind
		// The operator's log gets the fact, not the message: it may carry user data.
		e.logger.WarnContext(ctx, "action execution failed", "trigger", lc.trigger, "action_id", f.actionID, "kind", f.kind)
	}
	e.audit.Record(ctx, domain.LogEvent{
		Type: audit.TypeActionLog, Description: desc,
		ClientID: lc.clientID, ClientName: lc.clientName, UserID: lc.userID, UserName: lc.userName,
		IP: lc.ip, UserAgent: lc.userAgent, Hostname: lc.hostname, Audience: lc.audience, Details: details,
	})
}

// groupLines groups console lines by action, in the order the actions ran.
func groupLines(logs []actions.LogLine, red func(string) string) []map[string]any {
	var out []map[string]any
	index := map[string]int{}
	for _, l := range logs {
		i, ok := index[l.ActionName]
		if !ok {
			i = len(out)
			index[l.ActionName] = i
			out = append(out, map[string]any{"action_name": l.ActionName, "lines": []map[string]any{}})
		}
		lines := out[i]["lines"].([]map[string]any)
		out[i]["lines"] = append(lines, map[string]any{"level": l.Level, "message": red(l.Line)})
	}
	return out
}

// newRedactor returns a function that masks every secret value of the chain's actions.
func newRedactor(c *chain) func(string) string {
	var values []string
	if c != nil {
		for _, b := range c.bound {
			for _, v := range b.Secrets {
				if len(v) >= minRedactLen {
					values = append(values, v)
				}
			}
		}
	}
	if len(values) == 0 {
		return func(s string) string { return s }
	}
	// Longest first: the replacer tries its pairs in order, and a secret that contains
	// another must be masked whole.
	sort.Slice(values, func(i, j int) bool { return len(values[i]) > len(values[j]) })
	pairs := make([]string, 0, 2*len(values))
	for _, v := range values {
		pairs = append(pairs, v, redacted)
	}
	r := strings.NewReplacer(pairs...)
	return r.Replace
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !validCut(s, n) {
		n--
	}
	return s[:n] + "…"
}

// validCut reports whether s[:n] ends on a UTF-8 rune boundary.
func validCut(s string, n int) bool { return n >= len(s) || s[n]&0xC0 != 0x80 }
