package authflow

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// A sign-in is this list of steps, run in order by dispatch over one transaction. Each step either
// hands the flow to the next one or answers the request itself: a hosted page that returns to
// dispatch once done, an error to the client, or, at the end, the authorization response. Every
// entry to the flow (GET /authorize, a hosted form submitted) calls dispatch, which starts again at
// the first step: a step must therefore pass a flow it has already dealt with, deciding that from
// server-side state only (the stored transaction, the session), never from what the browser says.
//
// A step that shows a page must come before claim: after it the transaction is no longer stored,
// and the flow lives only in the request that claimed it.
var signInSteps = []step{
	// pre_login_prompt: the organization's name before the login form (orgprompt.go)
	{"organization prompt", (*Handler).promptOrganization},
	{"authenticate", (*Handler).authenticate}, // a session that satisfies the request, else the login form
	{"device", (*Handler).confirmDevice},      // a device sign-in: the user confirms the device by name
	// post_login_prompt: the user's only organization, or the one they pick (orgprompt.go)
	{"organization picker", (*Handler).pickOrganization},
	{"claim", (*Handler).claim},    // the transaction leaves the store: one request goes on
	{"user", (*Handler).checkUser}, // the user exists and is not blocked
	// an organization sign-in: the invitation accepted, or the membership checked or assigned
	{"organization", (*Handler).checkOrganization},
	{"scopes", (*Handler).resolveScopes},     // the RBAC rule: what the code may grant
	{"actions", (*Handler).postLoginActions}, // post-login Actions; their outcome applied
	{"redirect", (*Handler).actionRedirect},  // an Action's sendUserTo: away until /continue (continue.go)
	{"mfa", (*Handler).requireMFA},           // a second factor when policy, app or Action asks (mfa.go)
	{"issue", (*Handler).issue},              // the authorization code stored and sent
}

// step is one stage of a sign-in.
type step struct {
	name string
	run  func(h *Handler, w http.ResponseWriter, r *http.Request, f *flow) stepResult
}

// stepResult is what a step did with the flow.
type stepResult int

const (
	// next hands the flow to the following step.
	next stepResult = iota
	// answered means the step wrote the response; the flow stops here for this request.
	answered
)

// flow is one request's pass over a transaction: what the steps run so far have established.
type flow struct {
	client *domain.Client
	tx     *domain.LoginTransaction
	// stored tells whether tx is in the store (it is once the browser has been sent to a hosted page).
	stored bool
	// sess is the session that authenticates the user: set by a sign-in form that has just created
	// it, otherwise found by authenticate.
	sess *domain.Session
	user *domain.User // from checkUser on
	// requested and api are the transaction's scopes and audience; tokens what the code will carry
	// (from resolveScopes on, changed by postLoginActions).
	requested []string
	api       *domain.ResourceServer
	tokens    trigger.Tokens
	// org, organization and orgRoles are the organization signed in through (from checkOrganization
	// on): the tokens' org claims, the organization, and the names of the member's roles in it.
	org          *domain.OrgClaims
	organization *domain.Organization
	orgRoles     []string
	// redirectState is the id the transaction is stored under if an Action redirects; continued
	// is set when this request is /continue, with the form it posted (nil for a GET).
	redirectState string
	continued     bool
	continueBody  map[string]string
}

// silent tells a prompt=none request, which may show no page (OIDC Core §3.1.2.6).
func (f *flow) silent() bool { return f.tx.Prompt == "none" }

// logTypes are the tenant log types of this sign-in's failure and success.
func (f *flow) logTypes() (failure, success string) {
	if f.silent() {
		return audit.TypeSilentAuthFailed, audit.TypeSilentAuth
	}
	return audit.TypeLoginFailure, audit.TypeLoginSuccess
}

// dispatch runs the sign-in steps over f until one answers.
func (h *Handler) dispatch(w http.ResponseWriter, r *http.Request, f *flow) {
	for _, s := range signInSteps {
		if s.run(h, w, r, f) == answered {
			return
		}
	}
	h.internalError(w, r, errors.New("authorize: the sign-in ended without an answer"))
}
