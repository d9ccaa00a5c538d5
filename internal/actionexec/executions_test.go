package actionexec_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/actionexec"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// Every run leaves an execution record: one result per action that ran, with its times and, for
// the one that failed, its error (secrets redacted); the outcome and the run's log entry name it.
func TestExecutionRecorded(t *testing.T) {
	e := MustEnv(t, envOptions{})
	first := MustDeploy(t, e.st, "first", domain.TriggerPostLogin, `exports.onExecutePostLogin = async (event, api) => {
  console.log('first ran');
};`)
	second := MustDeploy(t, e.st, "second", domain.TriggerPostLogin, `exports.onExecutePostLogin = async (event) => {
  throw new Error('boom with ' + event.secrets.KEY);
};`, domain.ActionSecret{Name: "KEY", Value: "s3cr3t-value"})
	MustBind(t, e.st, domain.TriggerPostLogin, first, second)
	before := time.Now().UTC().Add(-time.Millisecond)
	out, err := e.ex.PostLogin(ctx, e.loginInput(e.admin))
	must(t, err)
	if out.Denial == nil || out.Denial.Reason != actionexec.FailedReason || out.ExecutionID == "" {
		t.Fatalf("outcome %+v", out)
	}
	e.ex.Flush(ctx)
	x, err := e.st.GetActionExecution(ctx, out.ExecutionID)
	must(t, err)
	if x.TriggerID != "post-login" || x.Status != domain.ExecutionFinal || len(x.Results) != 2 {
		t.Fatalf("execution %+v", x)
	}
	r0, r1 := x.Results[0], x.Results[1]
	if r0.ActionName != "first" || r0.Error != nil || r1.ActionName != "second" || r1.Error == nil {
		t.Fatalf("results %+v %+v", r0, r1)
	}
	if r1.Error.ID != "exception" || r1.Error.Msg != "Error: boom with [redacted]" {
		t.Fatalf("error %+v", r1.Error)
	}
	if r0.StartedAt.Before(before) || r0.EndedAt.Before(r0.StartedAt) || r1.StartedAt.Before(r0.EndedAt) || x.UpdatedAt.Before(r1.EndedAt) {
		t.Fatalf("times out of order: %+v", x)
	}
	logs := e.actionLogs(t)
	if len(logs) != 1 || logs[0].Details["execution_id"] != out.ExecutionID {
		t.Fatalf("log entries %+v", logs)
	}

	// A successful run is recorded too, and Apply hands its id to the flow's log event.
	MustBind(t, e.st, domain.TriggerPostLogin, first)
	out, err = e.ex.PostLogin(ctx, e.loginInput(e.admin))
	must(t, err)
	var tk trigger.Tokens
	if _, err := trigger.Apply(ctx, e.st, e.admin.UserID, out, &tk); err != nil {
		t.Fatal(err)
	}
	if got := jsonOf(t, trigger.LogDetails(tk.Executions)); got != `{"actions":{"executions":["`+out.ExecutionID+`"]}}` {
		t.Fatalf("log details %s", got)
	}
	e.ex.Flush(ctx)
	x, err = e.st.GetActionExecution(ctx, out.ExecutionID)
	must(t, err)
	if len(x.Results) != 1 || x.Results[0].Error != nil {
		t.Fatalf("execution %+v", x)
	}
}

// password-reset-post-challenge: a deny is the reason for the user; no binding runs nothing.
func TestPasswordResetPostChallengeRunner(t *testing.T) {
	e := MustEnv(t, envOptions{})
	ev := trigger.PasswordResetPostChallenge{User: e.member, Client: e.client, Connection: domain.DefaultConnection, IP: "203.0.113.7"}
	out, err := e.ex.PasswordResetPostChallenge(ctx, ev)
	must(t, err)
	if out.Ran || out.Denial != nil {
		t.Fatalf("no binding: %+v", out)
	}
	a := MustDeploy(t, e.st, "gate", domain.TriggerPasswordResetPostChallenge, `exports.onExecutePostChallenge = async (event, api) => {
  if (event.authorization.roles.includes('user') && event.client.metadata.tier === 'gold') {
    api.access.deny('Members reset through support (' + event.request.ip + ')');
  }
};`)
	MustBind(t, e.st, domain.TriggerPasswordResetPostChallenge, a)
	out, err = e.ex.PasswordResetPostChallenge(ctx, ev)
	must(t, err)
	if !out.Ran || out.Denial == nil || out.Denial.Reason != "Members reset through support (203.0.113.7)" {
		t.Fatalf("outcome %+v", out)
	}
	ev.User = e.admin
	out, err = e.ex.PasswordResetPostChallenge(ctx, ev)
	must(t, err)
	if !out.Ran || out.Denial != nil {
		t.Fatalf("admin: %+v", out)
	}
}

// post-change-password runs in the background, is retried after a failure, and each attempt is an
// execution of its own.
func TestPostChangePasswordRetried(t *testing.T) {
	e := MustEnv(t, envOptions{})
	a := MustDeploy(t, e.st, "notify", domain.TriggerPostChangePassword, `exports.onExecutePostChangePassword = async (event, api) => {
  const n = Number((api.cache.get('n') || { value: '0' }).value) + 1;
  api.cache.set('n', String(n));
  console.log('attempt ' + n + ' for ' + event.user.email + ' via ' + event.request.method);
  if (n === 1) throw new Error('first attempt fails');
};`)
	MustBind(t, e.st, domain.TriggerPostChangePassword, a)
	e.ex.PostChangePassword(ctx, trigger.PostChangePassword{User: e.member, Connection: domain.DefaultConnection, Method: "PATCH"})
	e.ex.WaitBackground()
	e.ex.Flush(ctx)
	logs := e.actionLogs(t)
	if len(logs) != 2 {
		t.Fatalf("%d log entries, want 2 (a failure, then a success)", len(logs))
	}
	var ids []string
	all := ""
	for _, l := range logs {
		ids = append(ids, l.Details["execution_id"].(string))
		all += jsonOf(t, l.Details["actions"])
	}
	if ids[0] == ids[1] || !strings.Contains(all, "attempt 2 for member@example.test via PATCH") {
		t.Fatalf("ids %v, lines %s", ids, all)
	}
	for _, id := range ids {
		if _, err := e.st.GetActionExecution(ctx, id); err != nil {
			t.Fatalf("execution %s: %v", id, err)
		}
	}
}
