package grant

import (
	"context"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// mfaRequired refuses a password exchange that the tenant's MFA policy or a post-login Action's
// api.multifactor.enable says needs a second factor: the password alone must not yield tokens
// there. Auth0 answers 403 mfa_required with an mfa_token for its MFA API (/mfa/challenge and
// the mfa-otp grant); Gatehouse has no MFA API yet, so the answer carries no token and the client
// must use the browser sign-in, where the factor is asked for.
func (d *Deps) mfaRequired(ctx context.Context, tk *trigger.Tokens) *protocol.Error {
	g, err := d.Store.GetGuardianSettings(ctx)
	if err != nil {
		return protocol.ServerError(err)
	}
	if !g.AnyFactorEnabled() {
		return nil
	}
	byPolicy := g.AlwaysMFA() && (tk.MFA == nil || tk.MFA.Provider != "none")
	if byPolicy || tk.MFA.Required() {
		return protocol.NewError(http.StatusForbidden, "mfa_required", "Multifactor authentication required")
	}
	return nil
}
