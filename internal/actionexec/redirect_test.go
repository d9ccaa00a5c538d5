package actionexec_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/actionexec"
	"github.com/gatehouse/gatehouse/internal/domain"
)

const redirectingCode = `
exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://x/before', 1);
  api.user.setAppMetadata('pending', true);
  api.redirect.sendUserTo('https://idv.example.test/', {query: {t: api.redirect.encodeToken({secret: event.secrets.K})}});
};
exports.onContinuePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://x/after', api.redirect.validateToken({secret: event.secrets.K, tokenParameterName: 't'}).sub);
};`

// The executor turns a redirect into the one Outcome's Redirect, only for an interactive sign-in,
// and resumes it from the bytes it handed out; a resume whose action was unbound fails and is logged.
func TestPostLoginRedirectAndResume(t *testing.T) {
	e := MustEnv(t, envOptions{})
	a := MustDeploy(t, e.st, "redirecting", domain.TriggerPostLogin, redirectingCode, domain.ActionSecret{Name: "K", Value: "shared"})
	MustBind(t, e.st, domain.TriggerPostLogin, a)

	in := e.loginInput(e.admin)
	in.Interactive = false
	in.RedirectState = "state-1"
	out, err := e.ex.PostLogin(ctx, in)
	must(t, err)
	if deniedFor(out) != actionexec.FailedReason || out.Redirect != nil {
		t.Fatalf("prompt=none redirected: %+v", out)
	}

	in.Interactive = true
	out, err = e.ex.PostLogin(ctx, in)
	must(t, err)
	if out.Redirect == nil || out.IDTokenClaims != nil || out.AppMetadata != nil || !strings.HasPrefix(out.Redirect.URL, "https://idv.example.test/?t=") {
		t.Fatalf("outcome %+v", out)
	}
	token := strings.TrimPrefix(out.Redirect.URL, "https://idv.example.test/?t=")

	back := e.loginInput(e.admin)
	back.Resume, back.ContinueState = out.Redirect.Resume, "state-1"
	back.Request.Query = map[string]string{"state": "state-1", "t": token}
	res, err := e.ex.PostLogin(ctx, back)
	must(t, err)
	if res.Redirect != nil || res.IDTokenClaims["https://x/before"] != float64(1) || res.IDTokenClaims["https://x/after"] != e.admin.UserID ||
		res.AppMetadata["pending"] != true {
		t.Fatalf("resumed outcome %+v", res)
	}

	MustBind(t, e.st, domain.TriggerPostLogin)
	before := len(e.actionLogs(t))
	res, err = e.ex.PostLogin(ctx, back)
	must(t, err)
	if deniedFor(res) != actionexec.FailedReason || len(e.actionLogs(t)) != before+1 {
		t.Fatalf("resume without the action: %+v", res)
	}
}
