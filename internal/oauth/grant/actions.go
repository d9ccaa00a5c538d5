package grant

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// ActionRunner runs the Actions bound to the triggers that fire at the token endpoint (spec §5):
// credentials exchange before a client-credentials token (§5.4), and post-login on a refresh-token
// exchange (trigger.Refresh) and a password exchange (trigger.Password): no redirects, no MFA. Post-login Actions of a browser login run in the
// /authorize flow, which stores their outcome on the authorization code. A nil ActionRunner means no
// Actions are configured.
type ActionRunner interface {
	trigger.CredentialsExchangeRunner
	trigger.PostLoginRunner
}

// denial turns an Action's deny into the token endpoint's error (spec §5.3, §5.4).
func denial(d *trigger.Denial) *protocol.Error {
	code := d.Code
	status := http.StatusForbidden
	switch code {
	case "invalid_request", "invalid_scope":
		status = http.StatusBadRequest
	case "server_error":
		status = http.StatusInternalServerError
	default:
		code = "access_denied"
	}
	return &protocol.Error{Status: status, Code: code, Description: d.Reason}
}
