package actions

// A password-reset-post-challenge action may send the browser to another site, as a post-login
// one may (redirect.go): the chain pauses after it, and resumes at /continue?state=… with its
// onContinuePostChallenge, then the remaining actions' onExecutePostChallenge.

// resetContinueHandler is the export a resumed password-reset-post-challenge run calls on the
// action that redirected.
const resetContinueHandler = "onContinuePostChallenge"

// ResetOptions are what the reset flow's browser adds to a password-reset-post-challenge run.
type ResetOptions struct {
	// CanRedirect allows api.redirect.sendUserTo; State is the value a redirect carries as
	// `state`, and encodeToken signs in the token's state claim.
	CanRedirect bool
	State       string
	// Resume continues a run that redirected; ContinueState is the state /continue brought back,
	// which validateToken requires in the returned token.
	Resume        *ResetResume
	ContinueState string
}

// ResetRedirect is the api.redirect.sendUserTo call a reset run paused on: URL is the target with
// the action's query (the flow adds state); Resume is what the resumed run starts from.
type ResetRedirect struct {
	URL    string
	Target string
	Query  map[string]string
	Resume ResetResume
}

// ResetResume is a password-reset-post-challenge run paused by a redirect: which action redirected
// (by position and id, so a change of bindings in between is noticed) and the factor types the
// actions before it asked for. A denial stops the chain, so none is ever kept.
type ResetResume struct {
	Index     int      `json:"index"`
	ActionID  string   `json:"action_id"`
	Challenge []string `json:"challenge,omitempty"`
}

// check refuses to resume when the action that redirected is no longer bound at its place.
func (p *ResetResume) check(actions []Bound) error {
	if p.Index < 0 || p.Index >= len(actions) || actions[p.Index].ActionID != p.ActionID {
		return &ExecutionError{Kind: KindException, ActionID: p.ActionID,
			Message: "the action that redirected is no longer bound at its place in the password-reset-post-challenge trigger; the reset cannot continue"}
	}
	return nil
}
