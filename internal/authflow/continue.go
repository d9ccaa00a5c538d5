package authflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/trigger"
	"github.com/gatehouse/gatehouse/web"
)

// Redirect Actions (Auth0's "Redirect with Actions"). A post-login Action's
// api.redirect.sendUserTo pauses the Actions (trigger.Outcome.Redirect); the redirect step stores
// the transaction again under a new id, bound to this browser, with the paused run, and sends the
// browser to the Action's URL with state=<that id>. The other site sends the browser back to
// /continue?state=… (GET, or a POST with a session token). /continue loads the transaction only for
// the browser that holds its binding cookie and whose session is the transaction's user, then
// dispatches the flow again: claim consumes the transaction (single-use: a replay finds nothing),
// and the actions step resumes the paused run, which applies its outcome as any run does. Nothing
// of the paused run is applied before that, so a user who never comes back leaves only a
// transaction that expires.
const ContinuePath = "/continue"

// Limits of the form posted to /continue.
const (
	maxContinueForm   = 64 << 10
	maxContinueFields = 100
	// continueRepostField marks the same-origin re-post of a cross-site POST (see continueLogin).
	continueRepostField = "_gatehouse_continue"
)

// actionRedirect is the redirect step: when an Action asked for a redirect, the transaction is
// stored under the state the Actions were told (f.redirectState) and the browser sent away.
func (h *Handler) actionRedirect(w http.ResponseWriter, r *http.Request, f *flow) stepResult {
	rd := f.tokens.Redirect
	if rd == nil {
		return next
	}
	failType, _ := f.logTypes()
	u, err := url.Parse(rd.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || f.redirectState == "" || f.silent() {
		// The runtime refuses all of these; the flow does not rely on it.
		h.record(r, failType, "post-login action redirect refused", f.client, f.user)
		h.respondError(w, r, f.tx, protocol.NewError(http.StatusBadRequest, "interaction_required", "The login cannot be redirected."))
		return answered
	}
	q := u.Query()
	q.Set("state", f.redirectState)
	u.RawQuery = q.Encode()

	now := h.now().UTC()
	tx := *f.tx
	tx.ID = f.redirectState
	tx.UserID = f.user.UserID
	tx.ActionsResume = rd.Resume
	tx.MFARequired = false
	tx.CreatedAt, tx.ExpiresAt = now, now.Add(domain.LoginTransactionLifetime)
	tx.BrowserBindingHash = domain.HashSecret(h.ensureBinding(w, r))
	if err := h.store.CreateTransaction(r.Context(), &tx); err != nil {
		h.internalError(w, r, fmt.Errorf("redirect: store transaction: %w", err))
		return answered
	}
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet {
		h.leaveByForm(w, r, u)
		return answered
	}
	w.Header().Set("Location", u.String())
	w.WriteHeader(http.StatusFound)
	return answered
}

// leaveByForm sends the browser to u from the answer to a form (the login form, a second factor,
// /continue): browsers hold a redirect that follows a form submission to the form page's CSP
// form-action, which cannot name a site only an Action knows. A page of its own, whose
// form-action is u's origin alone, makes the step a GET form submitted by script.
func (h *Handler) leaveByForm(w http.ResponseWriter, r *http.Request, u *url.URL) {
	var fields []web.FormField
	for k, vs := range u.Query() {
		for _, v := range vs {
			fields = append(fields, web.FormField{Name: k, Value: v})
		}
	}
	action := *u
	action.RawQuery = ""
	h.autoForm(w, r, web.FormPostData{Action: action.String(), Fields: fields, Get: true, Heading: "Continuing…"}, u.String())
}

// autoForm renders a form that submits itself to d.Action; its CSP lets the form, and the
// redirects that answer it, go only to the origins of targets.
func (h *Handler) autoForm(w http.ResponseWriter, r *http.Request, d web.FormPostData, targets ...string) {
	var sources []string
	for _, t := range targets {
		s, ok := httpserver.FormActionSource(t)
		if !ok {
			h.internalError(w, r, fmt.Errorf("redirect: a form cannot target %q", t))
			return
		}
		if !slices.Contains(sources, s) {
			sources = append(sources, s)
		}
	}
	sort.Slice(d.Fields, func(i, j int) bool { return d.Fields[i].Name < d.Fields[j].Name })
	nonce := web.NewNonce()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'self'; "+
		"img-src 'self' data:; form-action "+strings.Join(sources, " ")+"; base-uri 'none'; frame-ancestors 'none'")
	d.Base = h.base(r.Context())
	d.Base.Nonce = nonce
	h.render(r.Context(), w, http.StatusOK, web.PageFormPost, d)
}

// continueLogin is GET and POST /continue?state=…: the browser back from a redirect Action's site.
// A state that starts with domain.ResetContinuePrefix is a password reset's, which the reset flow
// resumes (h.resetContinue); any other is a sign-in's.
//
// A POST from another site carries no SameSite=Lax cookie, so the browser binding cannot be
// checked on it. Rather than keep what it posted anywhere, such a POST is answered with a page on
// Gatehouse's origin that posts the same fields to /continue again: that same-site POST comes with
// the cookie and is checked like any other. The re-post is marked so that a browser without the
// cookie gets the error page instead of a loop; nothing is stored before the browser is checked.
func (h *Handler) continueLogin(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	var body map[string]string
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxContinueForm)
		if err := r.ParseForm(); err != nil || len(r.PostForm) > maxContinueFields {
			h.errorPage(w, r, staleTransaction())
			return
		}
		if s := r.PostForm.Get("state"); s != "" {
			state = s
		}
		bound := h.bindingSecret(r) != ""
		if h.isReset(state) {
			bound = h.resetContinue.ContinueBound(r)
		}
		if !bound && r.PostForm.Get(continueRepostField) == "" {
			h.repostContinue(w, r, state)
			return
		}
		body = trigger.FirstValues(r.PostForm)
		delete(body, continueRepostField)
	}
	if h.isReset(state) {
		h.resetContinue.Continue(w, r, state, body)
		return
	}
	fs := h.loadTx(w, r, state)
	if fs == nil {
		return
	}
	if fs.tx.ActionsResume == nil {
		// A live transaction of another kind (a login form's): not one a redirect can resume
		// (loadTx already refused a password reset's).
		h.errorPage(w, r, staleTransaction())
		return
	}
	sess, err := h.sessions.Current(r.Context(), r)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if sess == nil || sess.UserID != fs.tx.UserID {
		h.errorPage(w, r, staleTransaction())
		return
	}
	h.dispatch(w, r, &flow{client: fs.client, tx: fs.tx, stored: true, sess: sess, continued: true, continueBody: body})
}

// repostContinue answers a cross-site POST to /continue with a same-origin form posting its
// fields. Its CSP admits the answer the re-post gets: the client's redirect_uri (or a page of
// Gatehouse's own). The transaction is only read here.
func (h *Handler) repostContinue(w http.ResponseWriter, r *http.Request, state string) {
	var tx *domain.LoginTransaction
	err := store.ErrNotFound
	if len(state) <= 128 { // bounded before it is looked up
		tx, err = h.store.GetTransaction(r.Context(), state)
	}
	if err == nil && h.isReset(state) != (tx.PasswordReset != nil) {
		err = store.ErrNotFound // a state of the other kind
	}
	if err != nil || (tx.ActionsResume == nil && tx.PasswordReset == nil) || !h.now().Before(tx.ExpiresAt) {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			h.internalError(w, r, err)
			return
		}
		h.errorPage(w, r, staleTransaction())
		return
	}
	fields := []web.FormField{{Name: continueRepostField, Value: "1"}}
	for k, vs := range r.PostForm {
		if k != continueRepostField && len(vs) > 0 {
			fields = append(fields, web.FormField{Name: k, Value: vs[0]})
		}
	}
	targets := []string{h.continueURL}
	if tx.RedirectURI != "" {
		targets = append(targets, tx.RedirectURI)
	}
	h.autoForm(w, r, web.FormPostData{Action: h.continueURL + "?" + url.Values{"state": {state}}.Encode(), Fields: fields,
		Heading: "Continuing…"}, targets...)
}

// isReset reports whether state is a password reset's, which the reset flow resumes.
func (h *Handler) isReset(state string) bool {
	return h.resetContinue != nil && strings.HasPrefix(state, domain.ResetContinuePrefix)
}

// keptActions is what the post-login Actions decided, as the MFA step keeps it (ActionsDone).
type keptActions struct {
	Scopes            []string                `json:"scopes"`
	ActionScopes      []string                `json:"action_scopes,omitempty"`
	IDTokenClaims     map[string]any          `json:"id_token_claims,omitempty"`
	AccessTokenClaims map[string]any          `json:"access_token_claims,omitempty"`
	MFA               *trigger.MFARequirement `json:"mfa,omitempty"`
}

func keepActions(t trigger.Tokens) ([]byte, error) {
	b, err := json.Marshal(keptActions{Scopes: t.Scopes, ActionScopes: t.ActionScopes,
		IDTokenClaims: t.IDTokenClaims, AccessTokenClaims: t.AccessTokenClaims, MFA: t.MFA})
	if err != nil {
		return nil, fmt.Errorf("mfa: keep the Actions' outcome: %w", err)
	}
	return b, nil
}

// restoreActions puts kept decisions back on t; the metadata was saved when they were made.
func restoreActions(t *trigger.Tokens, b []byte) error {
	var k keptActions
	if err := json.Unmarshal(b, &k); err != nil {
		return fmt.Errorf("actions: kept outcome: %w", err)
	}
	t.Scopes, t.ActionScopes, t.IDTokenClaims, t.AccessTokenClaims, t.MFA = k.Scopes, k.ActionScopes, k.IDTokenClaims, k.AccessTokenClaims, k.MFA
	return nil
}
