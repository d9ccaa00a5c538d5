package trigger

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Outcome is what the Actions of one trigger run decided. The zero Outcome changes nothing.
// Credentials exchange sets only AccessTokenClaims and Denial.
type Outcome struct {
	// Denial, when set, fails the flow; metadata is saved all the same (spec §5.3).
	Denial *Denial
	// Custom claims per token (api.idToken / api.accessToken.setCustomClaim), already filtered of
	// the names Auth0 restricts.
	IDTokenClaims     map[string]any
	AccessTokenClaims map[string]any
	// Scope changes (api.accessToken.addScope / removeScope); see Apply for when they hold.
	AddScopes    []string
	RemoveScopes []string
	// AppMetadata and UserMetadata are merged into the user's (a nil value deletes the key).
	AppMetadata  map[string]any
	UserMetadata map[string]any
	// MFA is an api.multifactor.enable call, applied by the sign-in's MFA step. Decisions still to
	// come land here too, each applied by the sign-in step that owns it.
	MFA *MFARequirement
	// ExecutionID names the run's execution record (GET /api/v2/actions/executions/{id}); the
	// flow's tenant log event lists it in details.actions.executions (Apply adds it to Tokens).
	ExecutionID string
	// Redirect is an api.redirect.sendUserTo call: the Actions paused, and nothing else in the
	// Outcome is applied yet (Redirect.Resume holds it until /continue). Sign-in only.
	Redirect *Redirect
}

// Redirect is a post-login pause: the browser goes to URL with state added, and the sign-in
// resumes at /continue?state=… with the Actions run again from Resume (PostLogin.Resume).
type Redirect struct {
	// URL is absolute http(s), the Action's query already encoded; the flow adds state.
	URL string
	// Resume is the runner's record of the paused run, opaque to the flow, which keeps it with
	// the stored transaction until the browser comes back.
	Resume []byte
}

// MFARequirement is what a post-login Action asked of the second factor.
type MFARequirement struct {
	// Provider is "none" when the Action turned MFA off for this sign-in; anything else asks for it.
	Provider             string
	AllowRememberBrowser bool
	// Challenge lists the factor types the second factor must be one of (api.authentication.
	// challengeWith/challengeWithAny), in the Action's order; empty allows any. Enroll lists the
	// types the user must enroll when they have none of them (enrollWith/enrollWithAny).
	Challenge []string
	Enroll    []string
}

// Required reports whether the requirement asks for a second factor.
func (m *MFARequirement) Required() bool { return m != nil && m.Provider != "none" }

// Denial is api.access.deny.
type Denial struct {
	// Code is the OAuth error: access_denied for post-login; credentials exchange may use
	// invalid_request, invalid_scope or server_error.
	Code string
	// Reason is the error_description.
	Reason string
}

// Tokens is what a flow is about to issue; Apply changes it as an Outcome says.
type Tokens struct {
	// Scopes are the granted scopes, RBAC applied.
	Scopes []string
	// ActionScopes are the scopes in Scopes that Actions added: later exchanges of the grant keep
	// them even where RBAC would not, since Actions override RBAC (spec §2.3).
	ActionScopes      []string
	IDTokenClaims     map[string]any
	AccessTokenClaims map[string]any
	// MayAdd reports whether an Action may add scope (for a user token, grant.ActionMayAdd on the
	// token's API). Nil refuses every addition.
	MayAdd func(scope string) bool
	// MFA is the Actions' second-factor requirement, for the sign-in's MFA step.
	MFA *MFARequirement
	// Executions are the ids of the Actions executions of this flow, for its tenant log event.
	Executions []string
	// Redirect is the Actions' pause, for the sign-in's redirect step; when set, nothing else
	// of the Outcome was applied.
	Redirect *Redirect
	// ScopesFixed ignores the Outcome's scope changes: a refresh cannot widen what its grant holds
	// (RFC 6749 §6), and a machine token has no post-login.
	ScopesFixed bool
}

// MetadataStore is the part of the store Apply writes to.
type MetadataStore interface {
	WithTx(ctx context.Context, fn func(tx store.Store) error) error
}

// Apply makes an Outcome hold, the same way for every flow:
//
//  0. a redirect (api.redirect.sendUserTo) is handed to t.Redirect and nothing else is applied;
//  1. the metadata it queued is merged into the stored user in one store transaction (a
//     concurrent profile change is not overwritten), even when the outcome denies (spec §5.3);
//  2. a denial is returned, and t is left alone;
//  3. otherwise the Actions' claims replace t's, and, unless t.ScopesFixed, the scopes they added
//     (well-formed, not yet granted, allowed by t.MayAdd) are granted and recorded in
//     t.ActionScopes, then the scopes they removed are taken out of both.
//
// saveErr reports metadata that could not be saved: the caller logs it and carries on, since the
// tokens do not depend on it. userID may be empty only for an outcome without metadata.
func Apply(ctx context.Context, st MetadataStore, userID string, o Outcome, t *Tokens) (deny *Denial, saveErr error) {
	if o.ExecutionID != "" {
		t.Executions = append(t.Executions, o.ExecutionID)
	}
	t.Redirect = o.Redirect
	if o.Redirect != nil {
		// Paused: the decisions so far travel in Redirect.Resume and hold only when the run
		// they belong to ends, so a user who never comes back leaves nothing written.
		return nil, nil
	}
	saveErr = saveMetadata(ctx, st, userID, o.AppMetadata, o.UserMetadata)
	if o.Denial != nil {
		return o.Denial, saveErr
	}
	t.IDTokenClaims, t.AccessTokenClaims = o.IDTokenClaims, o.AccessTokenClaims
	t.MFA = o.MFA
	if t.ScopesFixed {
		return nil, saveErr
	}
	for _, s := range o.AddScopes {
		if s != "" && !strings.ContainsAny(s, " \t\r\n") && !slices.Contains(t.Scopes, s) && t.MayAdd != nil && t.MayAdd(s) {
			t.Scopes = append(t.Scopes, s)
			t.ActionScopes = append(t.ActionScopes, s)
		}
	}
	removed := func(s string) bool { return slices.Contains(o.RemoveScopes, s) }
	t.ActionScopes = slices.DeleteFunc(t.ActionScopes, removed)
	t.Scopes = slices.DeleteFunc(t.Scopes, removed)
	return nil, saveErr
}

// LogDetails is the details.actions member Auth0 gives a flow's tenant log event when Actions ran:
// {"executions": [ids]}; nil when none did.
func LogDetails(executions []string) map[string]any {
	if len(executions) == 0 {
		return nil
	}
	return map[string]any{"actions": map[string]any{"executions": executions}}
}

// saveMetadata merges app and user metadata into the stored user inside one transaction.
func saveMetadata(ctx context.Context, st MetadataStore, userID string, app, user map[string]any) error {
	if len(app) == 0 && len(user) == 0 {
		return nil
	}
	if userID == "" {
		return errors.New("trigger: metadata without a user")
	}
	err := st.WithTx(ctx, func(tx store.Store) error {
		u, err := tx.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		u.AppMetadata = mergeMetadata(u.AppMetadata, app)
		u.UserMetadata = mergeMetadata(u.UserMetadata, user)
		return tx.UpdateUser(ctx, u)
	})
	if err != nil {
		return fmt.Errorf("trigger: metadata of user %s: %w", userID, err)
	}
	return nil
}

// mergeMetadata applies Auth0's shallow merge of src into dst: a key set to nil is deleted.
func mergeMetadata(dst, src map[string]any) map[string]any {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = map[string]any{}
	}
	for k, v := range src {
		if v == nil {
			delete(dst, k)
		} else {
			dst[k] = v
		}
	}
	return dst
}
