package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

const actionsPerPage = 20

// maxActionCode is the Management API's limit on an action's code (domain.MaxActionCodeBytes),
// repeated here only to say it on the page and in the editor script; the API decides.
const maxActionCode = 100 * 1024

// action is an Action as the Management API shows it, with the fields the pages use.
type action struct {
	ID                string          `json:"id"`
	Name              string          `json:"name"`
	SupportedTriggers []actionTrigger `json:"supported_triggers"`
	Code              string          `json:"code"`
	Runtime           string          `json:"runtime"`
	Status            string          `json:"status"`
	Secrets           []struct {
		Name      string `json:"name"`
		UpdatedAt string `json:"updated_at"`
	} `json:"secrets"`
	AllChangesDeployed bool           `json:"all_changes_deployed"`
	DeployedVersion    *actionVersion `json:"deployed_version"`
	CreatedAt          string         `json:"created_at"`
	UpdatedAt          string         `json:"updated_at"`
}

type actionTrigger struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

type actionVersion struct {
	ID        string `json:"id"`
	Number    int    `json:"number"`
	Code      string `json:"code"`
	Deployed  bool   `json:"deployed"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
}

// TriggerLabel names the action's first trigger for people.
func (a action) TriggerLabel() string {
	if len(a.SupportedTriggers) == 0 {
		return "—"
	}
	return flowByTrigger(a.SupportedTriggers[0].ID).Label
}

// StatusLabel says where the action stands, as Auth0's dashboard does.
func (a action) StatusLabel() string {
	switch {
	case a.DeployedVersion == nil:
		return "Not deployed"
	case !a.AllChangesDeployed:
		return "Draft changes"
	default:
		return "Deployed"
	}
}

// flow is one of Actions > Flows: a trigger whose bound actions run in order.
type flow struct {
	Slug, Label, Trigger, Version, Handler, Help string
	// Start and End say where in the user's journey the flow's actions run.
	Start, End string
}

var flows = []flow{
	{"login", "Login", "post-login", "v3", "onExecutePostLogin",
		"Runs after a user signs in, before tokens are issued: add claims (the guide's roles), deny access, require MFA, " +
			"or send the user to another site (api.redirect.sendUserTo) and resume at /continue with onContinuePostLogin.",
		"Start: user signed in", "Complete: tokens issued"},
	{"m2m", "Machine to Machine", "credentials-exchange", "v2", "onExecuteCredentialsExchange",
		"Runs when an application exchanges its client credentials for an access token.",
		"Start: client credentials checked", "Complete: token issued"},
	{"pre-user-registration", "Pre User Registration", "pre-user-registration", "v2", "onExecutePreUserRegistration",
		"Runs before a user signs up through the database connection (the signup page, /dbconnections/signup): deny the signup or set metadata.",
		"Start: signup form sent", "Complete: user created"},
	{"post-user-registration", "Post User Registration", "post-user-registration", "v2", "onExecutePostUserRegistration",
		"Runs in the background after a user signs up: tell other systems (the FAQ's user sync).",
		"Start: user created", "Complete: nothing waits for these actions"},
	{"password-reset", "Password Reset", "password-reset-post-challenge", "v1", "onExecutePostChallenge",
		"Runs when a user opens a valid password reset link, before the new password form: deny the reset, ask for the user's second factor (api.authentication.challengeWith), or send the user to another site (api.redirect.sendUserTo) and resume at /continue with onContinuePostChallenge.",
		"Start: reset link proved", "Complete: new password form shown"},
	{"change-password", "Post Change Password", "post-change-password", "v2", "onExecutePostChangePassword",
		"Runs in the background after a password changes (reset link, change ticket, Management API): notify other systems.",
		"Start: password changed", "Complete: nothing waits for these actions"},
	{"send-phone-message", "Send Phone Message", "send-phone-message", "v2", "onExecuteSendPhoneMessage",
		"Runs where an SMS or voice code would be sent (Auth0's custom phone provider): event.message_options has the recipient and text. " +
			"This server sends no SMS, so nothing fires it yet; try an action with its Test panel (or the Management API's test endpoint).",
		"Start: code ready to send", "Complete: message handed over"},
}

func flowBySlug(slug string) (flow, bool) {
	for _, f := range flows {
		if f.Slug == slug {
			return f, true
		}
	}
	return flow{}, false
}

func flowByTrigger(trigger string) flow {
	for _, f := range flows {
		if f.Trigger == trigger {
			return f
		}
	}
	return flow{Slug: "", Label: trigger, Trigger: trigger}
}

// starterCode is what a new action's editor opens with.
func starterCode(f flow) string {
	if f.Trigger == "credentials-exchange" {
		return "/**\n * Handler that will be called during the execution of a Client Credentials exchange.\n *\n" +
			" * @param {Event} event - Details about the client credentials grant request.\n" +
			" * @param {CredentialsExchangeAPI} api - Methods to change the behavior of the exchange.\n */\n" +
			"exports.onExecuteCredentialsExchange = async (event, api) => {\n};\n"
	}
	if f.Trigger != "post-login" && f.Handler != "" {
		return "/**\n * Handler that will be called during the execution of the " + f.Label + " flow.\n *\n" +
			" * @param {Event} event - Details about the user and the request.\n" +
			" * @param {API} api - Methods to change the behavior of the flow.\n */\n" +
			"exports." + f.Handler + " = async (event, api) => {\n};\n"
	}
	return "/**\n * Handler that will be called during the execution of a PostLogin flow.\n *\n" +
		" * @param {Event} event - Details about the user and the context in which they are logging in.\n" +
		" * @param {PostLoginAPI} api - Methods to change the behavior of the login.\n */\n" +
		"exports.onExecutePostLogin = async (event, api) => {\n};\n\n" +
		"/**\n * Handler that will be invoked when this action is resuming after an external redirect. If your\n" +
		" * onExecutePostLogin function does not perform a redirect, this function can be safely ignored.\n *\n" +
		" * @param {Event} event - Details about the user and the context in which they are logging in.\n" +
		" * @param {PostLoginAPI} api - Methods to change the behavior of the login.\n */\n" +
		"// exports.onContinuePostLogin = async (event, api) => {\n// };\n"
}

func (h *Handler) actionRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+Path+"actions", h.page(h.actionList))
	mux.Handle("GET "+Path+"actions/new", h.page(h.newAction))
	mux.Handle("POST "+Path+"actions/new", h.page(h.createAction))
	mux.Handle("GET "+Path+"actions/{id}", h.page(h.actionEditor))
	mux.Handle("POST "+Path+"actions/{id}", h.page(h.saveAction))
	mux.Handle("POST "+Path+"actions/{id}/secrets", h.page(h.actionSecrets))
	mux.Handle("POST "+Path+"actions/{id}/test", h.page(h.testAction))
	mux.Handle("GET "+Path+"actions/{id}/versions", h.page(h.actionVersions))
	mux.Handle("GET "+Path+"actions/{id}/versions/{vid}", h.page(h.actionVersionView))
	mux.Handle("POST "+Path+"actions/{id}/versions/{vid}/deploy", h.page(h.rollBackAction))
	mux.Handle("GET "+Path+"actions/{id}/delete", h.page(h.confirmDeleteAction))
	mux.Handle("POST "+Path+"actions/{id}/delete", h.page(h.deleteAction))
	mux.Handle("GET "+Path+"flows/{flow}", h.page(h.flowPage))
	mux.Handle("POST "+Path+"flows/{flow}", h.page(h.changeFlow))
}

type actionListData struct {
	Search string
	Rows   []action
	Nav    listNav
	Flows  []flow
}

func (h *Handler) actionList(w http.ResponseWriter, r *http.Request, v *viewer) {
	search, page := searchTerm(r, "q"), pageNumber(r)
	d := actionListData{Search: search, Flows: flows}
	if search == "" {
		var out struct {
			Actions []action `json:"actions"`
			Total   int      `json:"total"`
		}
		if err := v.api.do(r.Context(), "GET", fmt.Sprintf("actions/actions?page=%d&per_page=%d", page, actionsPerPage), nil, &out); err != nil {
			h.apiFailed(w, r, v, err)
			return
		}
		d.Rows, d.Nav = out.Actions, newListNav(Path+"actions", nil, page, actionsPerPage, len(out.Actions), out.Total)
	} else {
		// The API finds actions by exact name only; the dashboard filters the (bounded) list.
		all, err := allActions(r.Context(), v.api, "")
		if err != nil {
			h.apiFailed(w, r, v, err)
			return
		}
		var found []action
		needle := strings.ToLower(search)
		for _, a := range all {
			if strings.Contains(strings.ToLower(a.Name), needle) {
				found = append(found, a)
			}
		}
		d.Rows = window(found, page, actionsPerPage)
		d.Nav = newListNav(Path+"actions", url.Values{"q": {search}}, page, actionsPerPage, len(d.Rows), len(found))
	}
	lay := &layoutData{Title: "Actions", Nav: "actions", Data: d}
	if r.URL.Query().Get("deleted") == "1" {
		lay.Flash = "Action deleted."
	}
	h.render(w, r, http.StatusOK, "actions", lay, v)
}

// allActions walks the action list (at most 50 pages of 100), optionally only those for trigger.
func allActions(ctx context.Context, a *api, trigger string) ([]action, error) {
	var all []action
	for p := 0; p < 50; p++ {
		q := url.Values{"page": {strconv.Itoa(p)}, "per_page": {"100"}}
		if trigger != "" {
			q.Set("triggerId", trigger)
		}
		var out struct {
			Actions []action `json:"actions"`
		}
		if err := a.do(ctx, "GET", "actions/actions?"+q.Encode(), nil, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Actions...)
		if len(out.Actions) < 100 {
			break
		}
	}
	return all, nil
}

type newActionData struct {
	Name, Trigger string
	Flows         []flow
}

func (h *Handler) newAction(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.render(w, r, http.StatusOK, "action_new", &layoutData{Title: "Create action", Nav: "actions",
		Data: newActionData{Trigger: "post-login", Flows: flows}}, v)
}

func (h *Handler) createAction(w http.ResponseWriter, r *http.Request, v *viewer) {
	d := newActionData{Name: r.PostFormValue("name"), Trigger: r.PostFormValue("trigger"), Flows: flows}
	f := flowByTrigger(d.Trigger)
	body := map[string]any{"name": strings.TrimSpace(d.Name),
		"supported_triggers": []map[string]string{{"id": d.Trigger, "version": f.Version}},
		"code":               starterCode(f)}
	var created action
	if err := v.api.do(r.Context(), "POST", "actions/actions", body, &created); err != nil {
		var ae *APIError
		if !errors.As(err, &ae) {
			h.apiFailed(w, r, v, err)
			return
		}
		h.render(w, r, ae.StatusCode, "action_new", &layoutData{Title: "Create action", Nav: "actions", Error: ae.Message, Data: d}, v)
		return
	}
	http.Redirect(w, r, Path+"actions/"+url.PathEscape(created.ID)+"?created=1", http.StatusSeeOther)
}

// compileLine finds "Line 3:7" in the API's deploy refusal: the compiler's position in the code.
var compileLine = regexp.MustCompile(`Line (\d+):(\d+)`)

// codeLine is one line of an excerpt around a compile error.
type codeLine struct {
	N     int
	Text  string
	Error bool
}

type actionEditorData struct {
	Action      action
	Flow        flow
	Code        string // as typed, when a save was refused
	ErrorLine   int    // the compiler's line, 0 for none
	ErrorColumn int
	Excerpt     []codeLine
	MaxCode     int
	CanWrite    bool
	CanDeploy   bool
	CanDelete   bool
	Base        string
	// TestPayload is the Test panel's event (as typed, else the trigger's sample); Test the last
	// run's result.
	TestPayload string
	Test        *actionTestResult
}

func (h *Handler) loadAction(w http.ResponseWriter, r *http.Request, v *viewer) (action, bool) {
	var a action
	if err := v.api.do(r.Context(), "GET", "actions/actions/"+url.PathEscape(r.PathValue("id")), nil, &a); err != nil {
		h.apiFailed(w, r, v, err)
		return a, false
	}
	return a, true
}

func (h *Handler) editorData(a action, v *viewer) actionEditorData {
	f := flow{Label: "—"}
	if len(a.SupportedTriggers) > 0 {
		f = flowByTrigger(a.SupportedTriggers[0].ID)
	}
	return actionEditorData{Action: a, Flow: f, Code: a.Code, MaxCode: maxActionCode,
		CanWrite: v.Can("update:actions"), CanDeploy: v.Can("create:actions"), CanDelete: v.Can("delete:actions"),
		Base: Path + "actions/" + url.PathEscape(a.ID), TestPayload: sampleEvent(f.Trigger)}
}

func (h *Handler) actionEditor(w http.ResponseWriter, r *http.Request, v *viewer) {
	a, ok := h.loadAction(w, r, v)
	if !ok {
		return
	}
	d := &layoutData{Title: a.Name, Nav: "actions", Data: h.editorData(a, v)}
	switch {
	case r.URL.Query().Get("created") == "1":
		d.Flash = "Action created. Write its code, then Deploy it and add it to a flow."
	case r.URL.Query().Get("deployed") == "1":
		d.Flash = fmt.Sprintf("Deployed as version %d.", deployedNumber(a))
	case r.URL.Query().Get("saved") == "1":
		d.Flash = "Draft saved. It runs only once deployed."
	case r.URL.Query().Get("secrets") == "1":
		d.Flash = "Secrets saved. Deploy the action for the running version to use them."
	}
	h.render(w, r, http.StatusOK, "action", d, v)
}

func deployedNumber(a action) int {
	if a.DeployedVersion == nil {
		return 0
	}
	return a.DeployedVersion.Number
}

// saveAction saves the code as a draft and, for Deploy, deploys it. A refused save changes
// nothing; a deploy the compiler refuses leaves the draft saved and shows the error at its line.
func (h *Handler) saveAction(w http.ResponseWriter, r *http.Request, v *viewer) {
	a, ok := h.loadAction(w, r, v)
	if !ok {
		return
	}
	code := strings.ReplaceAll(r.PostFormValue("code"), "\r\n", "\n")
	deploy := r.PostFormValue("op") == "deploy"
	refused := func(err error, saved bool) {
		var ae *APIError
		if !errors.As(err, &ae) {
			h.apiFailed(w, r, v, err)
			return
		}
		d := h.editorData(a, v)
		d.Code = code
		msg := ae.Message
		if saved {
			msg = "Saved as a draft, not deployed. " + msg
		}
		if m := compileLine.FindStringSubmatch(ae.Message); m != nil {
			d.ErrorLine, _ = strconv.Atoi(m[1])
			d.ErrorColumn, _ = strconv.Atoi(m[2])
			d.Excerpt = excerpt(code, d.ErrorLine)
		}
		h.render(w, r, ae.StatusCode, "action", &layoutData{Title: a.Name, Nav: "actions", Error: msg, Data: d}, v)
	}
	// Saving always asks the API (so a role that may not change the action hears so); deploying
	// saves first only when the code changed.
	if code != a.Code || !deploy {
		if err := v.api.do(r.Context(), "PATCH", "actions/actions/"+url.PathEscape(a.ID), map[string]any{"code": code}, &a); err != nil {
			refused(err, false)
			return
		}
	}
	if !deploy {
		http.Redirect(w, r, Path+"actions/"+url.PathEscape(a.ID)+"?saved=1", http.StatusSeeOther)
		return
	}
	if err := v.api.do(r.Context(), "POST", "actions/actions/"+url.PathEscape(a.ID)+"/deploy", nil, nil); err != nil {
		refused(err, true)
		return
	}
	http.Redirect(w, r, Path+"actions/"+url.PathEscape(a.ID)+"?deployed=1", http.StatusSeeOther)
}

// excerpt is the code around line (two lines either side), numbered.
func excerpt(code string, line int) []codeLine {
	all := strings.Split(code, "\n")
	if line < 1 || line > len(all) {
		return nil
	}
	var out []codeLine
	for n := max(1, line-2); n <= min(len(all), line+2); n++ {
		out = append(out, codeLine{N: n, Text: all[n-1], Error: n == line})
	}
	return out
}

// actionSecrets adds or replaces one secret, or removes one. The API keeps the value of each
// secret named without a value, so the others are sent by name only: values are write-only and
// the dashboard never holds them.
func (h *Handler) actionSecrets(w http.ResponseWriter, r *http.Request, v *viewer) {
	a, ok := h.loadAction(w, r, v)
	if !ok {
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	value := r.PostFormValue("value")
	remove := r.PostFormValue("op") == "remove"
	list := []map[string]any{}
	for _, s := range a.Secrets {
		if s.Name != name {
			list = append(list, map[string]any{"name": s.Name})
		}
	}
	if !remove {
		list = append(list, map[string]any{"name": name, "value": value})
	}
	if err := v.api.do(r.Context(), "PATCH", "actions/actions/"+url.PathEscape(a.ID), map[string]any{"secrets": list}, nil); err != nil {
		var ae *APIError
		if !errors.As(err, &ae) {
			h.apiFailed(w, r, v, err)
			return
		}
		d := h.editorData(a, v)
		h.render(w, r, ae.StatusCode, "action", &layoutData{Title: a.Name, Nav: "actions", Error: "Secrets: " + ae.Message, Data: d}, v)
		return
	}
	http.Redirect(w, r, Path+"actions/"+url.PathEscape(a.ID)+"?secrets=1#secrets", http.StatusSeeOther)
}

type actionVersionsData struct {
	Action    action
	Rows      []actionVersion
	Nav       listNav
	Base      string
	CanDeploy bool
}

func (h *Handler) actionVersions(w http.ResponseWriter, r *http.Request, v *viewer) {
	a, ok := h.loadAction(w, r, v)
	if !ok {
		return
	}
	page := pageNumber(r)
	var out struct {
		Versions []actionVersion `json:"versions"`
		Total    int             `json:"total"`
	}
	base := Path + "actions/" + url.PathEscape(a.ID)
	if err := v.api.do(r.Context(), "GET", fmt.Sprintf("actions/actions/%s/versions?page=%d&per_page=%d", url.PathEscape(a.ID), page, actionsPerPage), nil, &out); err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	d := actionVersionsData{Action: a, Rows: out.Versions, Base: base, CanDeploy: v.Can("create:actions"),
		Nav: newListNav(base+"/versions", nil, page, actionsPerPage, len(out.Versions), out.Total)}
	lay := &layoutData{Title: a.Name + " · Versions", Nav: "actions", Data: d}
	if r.URL.Query().Get("rolledback") == "1" {
		lay.Flash = fmt.Sprintf("Deployed again as version %d.", deployedNumber(a))
	}
	h.render(w, r, http.StatusOK, "action_versions", lay, v)
}

type actionVersionData struct {
	Action    action
	Version   actionVersion
	Base      string
	CanDeploy bool
}

func (h *Handler) actionVersionView(w http.ResponseWriter, r *http.Request, v *viewer) {
	a, ok := h.loadAction(w, r, v)
	if !ok {
		return
	}
	var ver actionVersion
	if err := v.api.do(r.Context(), "GET", "actions/actions/"+url.PathEscape(a.ID)+"/versions/"+url.PathEscape(r.PathValue("vid")), nil, &ver); err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	h.render(w, r, http.StatusOK, "action_version", &layoutData{Title: fmt.Sprintf("%s · Version %d", a.Name, ver.Number), Nav: "actions",
		Data: actionVersionData{Action: a, Version: ver, Base: Path + "actions/" + url.PathEscape(a.ID), CanDeploy: v.Can("create:actions")}}, v)
}

// rollBackAction deploys an earlier version again (as a new version, as Auth0 does).
func (h *Handler) rollBackAction(w http.ResponseWriter, r *http.Request, v *viewer) {
	id, vid := r.PathValue("id"), r.PathValue("vid")
	if err := v.api.do(r.Context(), "POST", "actions/actions/"+url.PathEscape(id)+"/versions/"+url.PathEscape(vid)+"/deploy", nil, nil); err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, Path+"actions/"+url.PathEscape(id)+"/versions?rolledback=1", http.StatusSeeOther)
}

type deleteActionData struct {
	Action action
	Bound  []string // the flows it runs in
	Base   string
}

// confirmDeleteAction is the confirmation step before deleting: it names the flows the action
// would be removed from.
func (h *Handler) confirmDeleteAction(w http.ResponseWriter, r *http.Request, v *viewer) {
	a, ok := h.loadAction(w, r, v)
	if !ok {
		return
	}
	d := deleteActionData{Action: a, Base: Path + "actions/" + url.PathEscape(a.ID)}
	for _, f := range flows {
		bs, err := flowBindings(r.Context(), v.api, f.Trigger)
		if err != nil {
			h.apiFailed(w, r, v, err)
			return
		}
		for _, b := range bs {
			if b.Action.ID == a.ID {
				d.Bound = append(d.Bound, f.Label)
				break
			}
		}
	}
	h.render(w, r, http.StatusOK, "action_delete", &layoutData{Title: "Delete " + a.Name, Nav: "actions", Data: d}, v)
}

func (h *Handler) deleteAction(w http.ResponseWriter, r *http.Request, v *viewer) {
	id := r.PathValue("id")
	if r.PostFormValue("confirm") != "yes" {
		http.Redirect(w, r, Path+"actions/"+url.PathEscape(id)+"/delete", http.StatusSeeOther)
		return
	}
	if err := v.api.do(r.Context(), "DELETE", "actions/actions/"+url.PathEscape(id)+"?force=true", nil, nil); err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, Path+"actions?deleted=1", http.StatusSeeOther)
}
