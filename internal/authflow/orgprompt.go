package authflow

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/web"
)

// The organization prompts of an application that requires organizations (organization_usage
// require) when /authorize names none, by the client's organization_require_behavior:
//
//   - pre_login_prompt: before the login form, the user types their organization's name
//     (OrganizationSelectionPath); the sign-in then goes on as with organization=<that id>, with
//     the organization's branding and connections on the login page.
//   - post_login_prompt: after the user has authenticated, the organization is one of theirs: the
//     only one without a question, else the one they pick (OrganizationPickerPath, the first 20 as
//     Auth0 lists them); a user of none is refused with access_denied.
//   - no_prompt: no page; /authorize answers invalid_request (organizationParam).
//
// Either way the organization step (checkOrganization) then checks the membership and the
// connection as for organization=: a prompt only chooses, it never lets anyone in.
const (
	OrganizationSelectionPath = "/u/organization-selection"
	OrganizationPickerPath    = "/u/organization-picker"
)

// Messages of the organization prompts.
const (
	MsgUnknownOrganization = "We couldn't find an organization with that name."
	msgOrganizationName    = "Please enter your organization's name."
	msgPickOrganization    = "Please choose one of your organizations."
)

// pickerSize is how many of a user's organizations the picker offers (Auth0's organization
// picker shows the first 20 they joined).
const pickerSize = 20

// promptOrganization is the pre-login prompt: the organization's name before anything else.
func (h *Handler) promptOrganization(w http.ResponseWriter, r *http.Request, f *flow) stepResult {
	if f.tx.OrganizationPrompt != domain.OrganizationRequirePreLoginPrompt || f.tx.OrganizationID != "" {
		return next
	}
	if f.silent() {
		return h.organizationInteraction(w, r, f)
	}
	return h.showPage(w, r, f, OrganizationSelectionPath)
}

// pickOrganization is the post-login prompt: once the user is known, one of their organizations.
func (h *Handler) pickOrganization(w http.ResponseWriter, r *http.Request, f *flow) stepResult {
	if f.tx.OrganizationPrompt != domain.OrganizationRequirePostLoginPrompt || f.tx.OrganizationID != "" {
		return next
	}
	ctx := r.Context()
	orgs, _, err := h.store.ListUserOrganizations(ctx, f.sess.UserID, store.Page{PerPage: pickerSize})
	if err != nil {
		h.internalError(w, r, fmt.Errorf("organization picker: %w", err))
		return answered
	}
	switch {
	case len(orgs) == 0:
		h.endTransaction(ctx, f.tx, f.stored)
		failType, _ := f.logTypes()
		reason := fmt.Sprintf("user %s is not part of any organization", f.sess.UserID)
		h.record(r, failType, reason, f.client, &domain.User{UserID: f.sess.UserID})
		h.respondError(w, r, f.tx, protocol.AccessDenied("%s", reason))
		return answered
	case len(orgs) == 1:
		// One membership: no question to ask. The transaction is claimed next, so the choice
		// lives in this request only.
		f.tx.OrganizationID = orgs[0].ID
		return next
	case f.silent():
		return h.organizationInteraction(w, r, f)
	}
	return h.showPage(w, r, f, OrganizationPickerPath)
}

// organizationInteraction ends a prompt=none request that would need an organization prompt
// (OIDC Core §3.1.2.6: interaction_required).
func (h *Handler) organizationInteraction(w http.ResponseWriter, r *http.Request, f *flow) stepResult {
	h.endTransaction(r.Context(), f.tx, f.stored)
	failType, _ := f.logTypes()
	h.record(r, failType, "An organization must be chosen", f.client, nil)
	h.respondError(w, r, f.tx, protocol.NewError(http.StatusBadRequest, "interaction_required",
		"An organization must be chosen for this application"))
	return answered
}

// organizationSelectionPage is GET /u/organization-selection?state=<transaction id>.
func (h *Handler) organizationSelectionPage(w http.ResponseWriter, r *http.Request) {
	fs := h.loadTx(w, r, r.URL.Query().Get("state"))
	if fs == nil {
		return
	}
	if !awaitsOrganization(fs.tx, domain.OrganizationRequirePreLoginPrompt) {
		h.errorPage(w, r, staleTransaction())
		return
	}
	h.render(r.Context(), w, http.StatusOK, web.PageOrganizationSelection, h.selectionData(r, fs, "", ""))
}

// organizationSelectionSubmit is POST /u/organization-selection: a known organization's name
// records it on the transaction and returns to the dispatcher, which goes on to the login form.
func (h *Handler) organizationSelectionSubmit(w http.ResponseWriter, r *http.Request) {
	fs := h.loadPostedTx(w, r)
	if fs == nil {
		return
	}
	ctx := r.Context()
	if !awaitsOrganization(fs.tx, domain.OrganizationRequirePreLoginPrompt) {
		h.errorPage(w, r, staleTransaction())
		return
	}
	typed := strings.TrimSpace(r.PostForm.Get("organization_name"))
	if !csrfValid(fs.secret, fs.tx.ID, r.PostForm.Get("csrf")) {
		h.render(ctx, w, http.StatusForbidden, web.PageOrganizationSelection, h.selectionData(r, fs, typed, MsgFormExpired))
		return
	}
	if typed == "" {
		h.render(ctx, w, http.StatusBadRequest, web.PageOrganizationSelection, h.selectionData(r, fs, typed, msgOrganizationName))
		return
	}
	// The prompt takes the name people know their organization by (Auth0's prompt does too,
	// whatever allow_organization_name_in_authentication_api says about the parameter).
	o, err := h.store.GetOrganizationByName(ctx, strings.ToLower(typed))
	if errors.Is(err, store.ErrNotFound) {
		h.render(ctx, w, http.StatusBadRequest, web.PageOrganizationSelection,
			h.selectionData(r, fs, protocol.Truncate(typed, 50), MsgUnknownOrganization))
		return
	}
	if err != nil {
		h.internalError(w, r, fmt.Errorf("organization prompt: %w", err))
		return
	}
	fs.tx.OrganizationID = o.ID
	if err := h.store.UpdateTransaction(ctx, fs.tx); err != nil {
		h.internalError(w, r, fmt.Errorf("organization prompt: update transaction: %w", err))
		return
	}
	h.dispatch(w, r, &flow{client: fs.client, tx: fs.tx, stored: true})
}

// organizationPickerPage is GET /u/organization-picker?state=<transaction id>: the organizations
// of the session's user.
func (h *Handler) organizationPickerPage(w http.ResponseWriter, r *http.Request) {
	fs := h.loadTx(w, r, r.URL.Query().Get("state"))
	if fs == nil {
		return
	}
	sess := h.pickerSession(w, r, fs)
	if sess == nil {
		return
	}
	d, err := h.pickerData(r, fs, sess.UserID, "")
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.render(r.Context(), w, http.StatusOK, web.PageOrganizationPicker, d)
}

// organizationPickerSubmit is POST /u/organization-picker: the organization chosen must be one the
// session's user is a member of; it is recorded on the transaction and the dispatcher goes on.
func (h *Handler) organizationPickerSubmit(w http.ResponseWriter, r *http.Request) {
	fs := h.loadPostedTx(w, r)
	if fs == nil {
		return
	}
	ctx := r.Context()
	sess := h.pickerSession(w, r, fs)
	if sess == nil {
		return
	}
	again := func(status int, msg string) {
		d, err := h.pickerData(r, fs, sess.UserID, msg)
		if err != nil {
			h.internalError(w, r, err)
			return
		}
		h.render(ctx, w, status, web.PageOrganizationPicker, d)
	}
	if !csrfValid(fs.secret, fs.tx.ID, r.PostForm.Get("csrf")) {
		again(http.StatusForbidden, MsgFormExpired)
		return
	}
	chosen := r.PostForm.Get("organization")
	member := false
	if strings.HasPrefix(chosen, "org_") && len(chosen) <= 64 {
		var err error
		if member, err = h.store.IsOrganizationMember(ctx, chosen, sess.UserID); err != nil {
			h.internalError(w, r, fmt.Errorf("organization picker: %w", err))
			return
		}
	}
	if !member {
		again(http.StatusBadRequest, msgPickOrganization)
		return
	}
	fs.tx.OrganizationID = chosen
	if err := h.store.UpdateTransaction(ctx, fs.tx); err != nil {
		h.internalError(w, r, fmt.Errorf("organization picker: update transaction: %w", err))
		return
	}
	h.dispatch(w, r, &flow{client: fs.client, tx: fs.tx, stored: true, sess: sess})
}

// pickerSession is the session whose user picks: the picker is shown only after authentication,
// to the user this transaction authenticated (when it did) in the browser that started it.
func (h *Handler) pickerSession(w http.ResponseWriter, r *http.Request, fs *flowState) *domain.Session {
	if !awaitsOrganization(fs.tx, domain.OrganizationRequirePostLoginPrompt) {
		h.errorPage(w, r, staleTransaction())
		return nil
	}
	sess, err := h.sessions.Current(r.Context(), r)
	if err != nil {
		h.internalError(w, r, err)
		return nil
	}
	if sess == nil || (fs.tx.UserID != "" && sess.UserID != fs.tx.UserID) {
		h.errorPage(w, r, staleTransaction())
		return nil
	}
	return sess
}

// awaitsOrganization tells a transaction waiting at the given organization prompt.
func awaitsOrganization(tx *domain.LoginTransaction, prompt string) bool {
	return tx.OrganizationPrompt == prompt && tx.OrganizationID == ""
}

func (h *Handler) selectionData(r *http.Request, fs *flowState, name, msg string) web.OrganizationSelectionData {
	return web.OrganizationSelectionData{
		Base: h.base(r.Context()), ClientName: fs.client.Name, State: fs.tx.ID, CSRF: csrfToken(fs.secret, fs.tx.ID),
		Action: OrganizationSelectionPath + "?state=" + url.QueryEscape(fs.tx.ID), Name: name, Error: msg,
	}
}

func (h *Handler) pickerData(r *http.Request, fs *flowState, userID, msg string) (web.OrganizationPickerData, error) {
	orgs, _, err := h.store.ListUserOrganizations(r.Context(), userID, store.Page{PerPage: pickerSize})
	if err != nil {
		return web.OrganizationPickerData{}, fmt.Errorf("organization picker: %w", err)
	}
	d := web.OrganizationPickerData{
		Base: h.base(r.Context()), ClientName: fs.client.Name, State: fs.tx.ID, CSRF: csrfToken(fs.secret, fs.tx.ID),
		Action: OrganizationPickerPath + "?state=" + url.QueryEscape(fs.tx.ID), Error: msg,
	}
	for _, o := range orgs {
		d.Organizations = append(d.Organizations, web.OrganizationChoice{ID: o.ID, Label: organizationName(o)})
	}
	return d, nil
}

// organizationName is what pages call an organization: its display name, else its name.
func organizationName(o *domain.Organization) string {
	if o.DisplayName != "" {
		return o.DisplayName
	}
	return o.Name
}
