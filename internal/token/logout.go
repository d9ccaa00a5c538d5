package token

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/keys"
)

// BackchannelLogoutEvent is the events member of a logout token (OpenID Connect Back-Channel
// Logout 1.0 §2.4).
const BackchannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// logoutTokenLifetime bounds how long a logout token may be replayed against a client that does
// not remember jtis; each delivery attempt signs a fresh one.
const logoutTokenLifetime = 2 * time.Minute

// LogoutToken signs a logout token for clientID about the user sub and the session sid (§2.4):
// iss, aud, iat, exp, jti, sub, sid and the back-channel logout event; never a nonce; typ
// logout+jwt (§2.4, RFC 8725 §3.11), so that it cannot be taken for an ID token.
func (i *Issuer) LogoutToken(ctx context.Context, clientID, sub, sid string) (string, error) {
	signer, err := i.keys.Current(ctx, keys.RS256)
	if err != nil {
		return "", err
	}
	now := i.now()
	c := newPayload(384)
	c.str("iss", i.issuer)
	c.str("aud", clientID)
	c.num("iat", now.Unix())
	c.num("exp", now.Add(logoutTokenLifetime).Unix())
	c.str("jti", domain.RandomToken(16))
	if sub != "" {
		c.str("sub", sub)
	}
	if sid != "" {
		c.str("sid", sid)
	}
	c.value("events", map[string]any{BackchannelLogoutEvent: map[string]any{}})
	body, err := c.bytes()
	if err != nil {
		return "", fmt.Errorf("token: encode logout token claims: %w", err)
	}
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"` + signer.Alg + `","kid":"` + signer.KID + `","typ":"logout+jwt"}`))
	return signer.Sign(header, base64.RawURLEncoding.EncodeToString(body))
}
