package mgmt

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// guardian serves the tenant's MFA settings (/guardian/policies, /guardian/factors) and a user's
// enrolled factors (/users/{id}/authentication-methods, /users/{id}/enrollments) in Auth0's shapes.
// The sign-in reads the settings (authflow's mfa step); the factors are package mfa's.
type guardian struct {
	st store.Store
}

func (h *Handler) guardianRoutes() []route {
	g := &guardian{st: h.st}
	return []route{
		{method: "GET", path: "/guardian/policies", scopes: []string{"read:mfa_policies"}, fn: g.getPolicies},
		{method: "PUT", path: "/guardian/policies", scopes: []string{"update:mfa_policies"},
			desc: "Set the multi-factor authentication policies", fn: g.putPolicies},
		{method: "GET", path: "/guardian/factors", scopes: []string{"read:guardian_factors"}, fn: g.listFactors},
		{method: "PUT", path: "/guardian/factors/{name}", scopes: []string{"update:guardian_factors"},
			desc: "Update a multi-factor authentication factor", fn: g.putFactor},
		{method: "GET", path: "/users/{id}/authentication-methods", scopes: []string{"read:authentication_methods"}, fn: g.listMethods},
		{method: "GET", path: "/users/{id}/authentication-methods/{method_id}", scopes: []string{"read:authentication_methods"}, fn: g.getMethod},
		{method: "DELETE", path: "/users/{id}/authentication-methods", scopes: []string{"delete:authentication_methods"},
			desc: "Delete all authentication methods of a user", fn: g.deleteMethods},
		{method: "DELETE", path: "/users/{id}/authentication-methods/{method_id}", scopes: []string{"delete:authentication_methods"},
			desc: "Delete an authentication method of a user", fn: g.deleteMethod},
		{method: "GET", path: "/users/{id}/enrollments", scopes: []string{"read:users"}, fn: g.listEnrollments},
		{method: "POST", path: "/users/{id}/multifactor/actions/invalidate-remember-browser", scopes: []string{"update:users"},
			desc: "Invalidate all remembered browsers for all authentication factors", fn: g.invalidateRememberBrowser},
	}
}

func (g *guardian) getPolicies(c *call) (int, any, error) {
	s, err := g.st.GetGuardianSettings(c.ctx())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.Policies, nil
}

// putPolicies replaces the policies: [] (MFA only when an app or an Action asks), or one of
// all-applications and confidence-score (taken as always: Gatehouse has no risk score).
func (g *guardian) putPolicies(c *call) (int, any, error) {
	var body []string
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	if body == nil {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "Payload validation error: 'Expected type array but found type null'.")
	}
	if len(body) > 1 {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "Payload validation error: 'Array is too long (%d), maximum 1'.", len(body))
	}
	for _, p := range body {
		if p != domain.PolicyAllApplications && p != domain.PolicyConfidenceScore {
			return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody,
				"Payload validation error: 'No enum match for: \"%s\"' on property [0] (all-applications, confidence-score).", p)
		}
	}
	s, err := g.st.GetGuardianSettings(c.ctx())
	if err != nil {
		return 0, nil, err
	}
	s.Policies = body
	if err := g.st.PutGuardianSettings(c.ctx(), s); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, body, nil
}

type factorOut struct {
	Name         string `json:"name"`
	Enabled      bool   `json:"enabled"`
	TrialExpired bool   `json:"trial_expired"`
}

func (g *guardian) listFactors(c *call) (int, any, error) {
	s, err := g.st.GetGuardianSettings(c.ctx())
	if err != nil {
		return 0, nil, err
	}
	out := make([]factorOut, 0, len(domain.GuardianFactors))
	for _, name := range domain.GuardianFactors {
		out = append(out, factorOut{Name: name, Enabled: s.Enabled[name] && domain.GuardianSupported(name)})
	}
	return http.StatusOK, out, nil
}

// putFactor turns a factor on or off. Only otp, email and recovery-code can be turned on; the others are
// known (Auth0 lists them) and refused, so that no tenant believes a factor protects it when none does.
func (g *guardian) putFactor(c *call) (int, any, error) {
	name := c.r.PathValue("name")
	if !slices.Contains(domain.GuardianFactors, name) {
		return 0, nil, refuse(http.StatusNotFound, "", "Factor %q does not exist.", name)
	}
	var body struct {
		Enabled *bool `json:"enabled"`
	}
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	if body.Enabled == nil {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "Payload validation error: 'Missing required property: enabled'.")
	}
	if *body.Enabled && !domain.GuardianSupported(name) {
		return 0, nil, refuse(http.StatusBadRequest, codeNotSupported,
			"The %s factor is not supported by this server (otp, email, webauthn-roaming, webauthn-platform and recovery-code are).", name)
	}
	s, err := g.st.GetGuardianSettings(c.ctx())
	if err != nil {
		return 0, nil, err
	}
	s.Enabled[name] = *body.Enabled
	if err := g.st.PutGuardianSettings(c.ctx(), s); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"enabled": *body.Enabled}, nil
}

// methodOut is an authentication method as /users/{id}/authentication-methods shows it.
type methodOut struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Confirmed  bool   `json:"confirmed"`
	CreatedAt  string `json:"created_at"`
	LastAuthAt string `json:"last_auth_at,omitempty"`
}

func methodView(a *domain.MFAAuthenticator) methodOut {
	return methodOut{ID: a.ID, Type: a.Type, Confirmed: a.Confirmed, CreatedAt: isoTime(a.CreatedAt), LastAuthAt: isoTimePtr(a.LastAuthAt)}
}

// methods loads the user the path names and their authenticators.
func (g *guardian) methods(c *call) (*domain.User, []*domain.MFAAuthenticator, error) {
	u, err := load(c.ctx(), g.st.GetUser, c.r.PathValue("id"), nfUser)
	if err != nil {
		return nil, nil, err
	}
	list, err := g.st.ListMFAAuthenticators(c.ctx(), u.UserID)
	return u, list, err
}

// listMethods pages a user's methods with page, per_page and include_totals as Auth0 does: a bare
// array, or {start, limit, total, authenticators} (what auth0 v7's users.authenticationMethods.list
// reads). A user has a handful of methods, so the page is cut from the whole list.
func (g *guardian) listMethods(c *call) (int, any, error) {
	p, err := c.parsePaging()
	if err != nil {
		return 0, nil, err
	}
	u, list, err := g.methods(c)
	if err != nil {
		return 0, nil, err
	}
	out := make([]any, 0, len(list))
	for _, a := range list {
		out = append(out, methodView(a))
	}
	keys, err := g.st.ListWebAuthnCredentials(c.ctx(), u.UserID)
	if err != nil {
		return 0, nil, err
	}
	for _, k := range keys {
		out = append(out, webauthnMethodView(k))
	}
	total := len(out)
	from, to := min(p.Offset(), total), min(p.Offset()+p.Limit(), total)
	return http.StatusOK, p.list("authenticators", out[from:to], total), nil
}

var nfMethod = &apiError{http.StatusNotFound, "inexistent_authentication_method", "The authentication method does not exist."}

func (g *guardian) getMethod(c *call) (int, any, error) {
	u, err := load(c.ctx(), g.st.GetUser, c.r.PathValue("id"), nfUser)
	if err != nil {
		return 0, nil, err
	}
	a, err := g.st.GetMFAAuthenticator(c.ctx(), u.UserID, c.r.PathValue("method_id"))
	if errors.Is(err, store.ErrNotFound) {
		return g.getWebAuthnMethod(c, u)
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, methodView(a), nil
}

func (g *guardian) deleteMethods(c *call) (int, any, error) {
	u, err := load(c.ctx(), g.st.GetUser, c.r.PathValue("id"), nfUser)
	if err != nil {
		return 0, nil, err
	}
	if err := g.st.DeleteUserWebAuthnCredentials(c.ctx(), u.UserID); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, g.st.DeleteUserMFAAuthenticators(c.ctx(), u.UserID)
}

// deleteMethod deletes one method; deleting the last factor a user could answer with also deletes
// their recovery code, which only stands in for a lost factor.
func (g *guardian) deleteMethod(c *call) (int, any, error) {
	u, err := load(c.ctx(), g.st.GetUser, c.r.PathValue("id"), nfUser)
	if err != nil {
		return 0, nil, err
	}
	err = g.deleteFactor(c, u.UserID, c.r.PathValue("method_id"))
	if errors.Is(err, store.ErrNotFound) {
		err = g.st.DeleteWebAuthnCredential(c.ctx(), u.UserID, c.r.PathValue("method_id"))
	}
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, nfMethod
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// deleteFactor deletes one authenticator of userID, and the recovery code with the last factor it
// stood in for; ErrNotFound when the authenticator is not there.
func (g *guardian) deleteFactor(c *call, userID, id string) error {
	if err := g.st.DeleteMFAAuthenticator(c.ctx(), userID, id); err != nil {
		return err
	}
	list, err := g.st.ListMFAAuthenticators(c.ctx(), userID)
	if err != nil {
		return err
	}
	keys, err := g.st.ListWebAuthnCredentials(c.ctx(), userID)
	if err != nil {
		return err
	}
	hasKey := slices.ContainsFunc(keys, func(k *domain.WebAuthnCredential) bool { return k.Type != domain.MethodPasskey })
	if !hasKey && !slices.ContainsFunc(list, func(a *domain.MFAAuthenticator) bool { return a.Type != domain.MethodRecoveryCode && a.Confirmed }) {
		for _, a := range list {
			if err := g.st.DeleteMFAAuthenticator(c.ctx(), userID, a.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	return nil
}

// enrollmentOut is a Guardian enrollment (/users/{id}/enrollments): a confirmed second factor the
// user can be challenged with. Auth0's auth_method is authenticator for an app, webauthn-roaming
// and webauthn-platform for the WebAuthn factors; an email factor is "email" (its address in
// identifier). Passkeys (a first factor) and recovery codes (a stand-in for a lost factor) are not
// enrollments.
type enrollmentOut struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	Type        string `json:"type"`
	Name        string `json:"name,omitempty"`
	Identifier  string `json:"identifier,omitempty"`
	PhoneNumber string `json:"phone_number,omitempty"`
	AuthMethod  string `json:"auth_method"`
	EnrolledAt  string `json:"enrolled_at"`
	LastAuth    string `json:"last_auth,omitempty"`
}

// listEnrollments is GET /users/{id}/enrollments: every confirmed factor, oldest first by kind
// (authenticator apps and email, then WebAuthn keys).
func (g *guardian) listEnrollments(c *call) (int, any, error) {
	u, list, err := g.methods(c)
	if err != nil {
		return 0, nil, err
	}
	out := []enrollmentOut{}
	for _, a := range list {
		if !a.Confirmed {
			continue
		}
		switch a.Type {
		case domain.MethodTOTP:
			out = append(out, enrollmentView(a))
		case domain.MethodEmail:
			e := enrollmentView(a)
			e.Type, e.AuthMethod, e.Identifier = domain.FactorEmail, domain.FactorEmail, u.Email
			out = append(out, e)
		}
	}
	keys, err := g.st.ListWebAuthnCredentials(c.ctx(), u.UserID)
	if err != nil {
		return 0, nil, err
	}
	for _, k := range keys {
		if k.Type == domain.MethodPasskey {
			continue
		}
		out = append(out, enrollmentOut{ID: k.ID, Status: "confirmed", Type: k.Type, Name: truncateName(k.Name, 20), AuthMethod: k.Type,
			EnrolledAt: isoTime(k.CreatedAt), LastAuth: isoTimePtr(k.LastAuthAt)})
	}
	return http.StatusOK, out, nil
}

// truncateName cuts a name to Auth0's 20 characters for an enrollment's name.
func truncateName(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

func enrollmentView(a *domain.MFAAuthenticator) enrollmentOut {
	status := "pending"
	if a.Confirmed {
		status = "confirmed"
	}
	return enrollmentOut{ID: a.ID, Status: status, Type: "authenticator", AuthMethod: "authenticator",
		EnrolledAt: isoTime(a.CreatedAt), LastAuth: isoTimePtr(a.LastAuthAt)}
}

// invalidateRememberBrowser forgets every browser the user asked to be remembered: the next
// sign-in asks for the second factor again.
func (g *guardian) invalidateRememberBrowser(c *call) (int, any, error) {
	u, err := load(c.ctx(), g.st.GetUser, c.r.PathValue("id"), nfUser)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, g.st.ForgetRememberedBrowsers(c.ctx(), u.UserID)
}
