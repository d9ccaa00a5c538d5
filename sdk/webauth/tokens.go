package webauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// tokenResponse is the token endpoint's success body (RFC 6749 §5.1).
type tokenResponse struct {
	AccessToken  string    `json:"access_token"`
	IDToken      string    `json:"id_token"`
	RefreshToken string    `json:"refresh_token"`
	TokenType    string    `json:"token_type"`
	ExpiresIn    flexInt64 `json:"expires_in"`
	Scope        string    `json:"scope"`
}

// flexInt64 accepts a JSON number or a numeric string (some issuers quote expires_in).
type flexInt64 int64

func (f *flexInt64) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("expires_in: %w", err)
	}
	*f = flexInt64(n)
	return nil
}

// TokenError is an error answer of the token endpoint (RFC 6749 §5.2). Its fields come from
// the issuer and never contain the tokens that were sent.
type TokenError struct {
	Status      int
	Code        string // e.g. invalid_grant
	Description string // e.g. "Unknown or invalid refresh token."
}

func (e *TokenError) Error() string {
	if e.Description != "" {
		return fmt.Sprintf("webauth: token endpoint answered %d %s (%s)", e.Status, e.Code, e.Description)
	}
	return fmt.Sprintf("webauth: token endpoint answered %d %s", e.Status, e.Code)
}

// tokenRequest posts form to the token endpoint with client authentication (RFC 6749 §2.3.1:
// for HTTP Basic, client_id and client_secret are form-urlencoded before base64).
func (c *Client) tokenRequest(ctx context.Context, p *provider, form url.Values) (*tokenResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.TokenEndpoint, nil)
	if err != nil {
		return nil, fmt.Errorf("webauth: token request: %w", err)
	}
	switch c.cfg.TokenAuthMethod {
	case ClientSecretPost:
		form.Set("client_id", c.cfg.ClientID)
		form.Set("client_secret", c.cfg.ClientSecret)
	default:
		req.SetBasicAuth(url.QueryEscape(c.cfg.ClientID), url.QueryEscape(c.cfg.ClientSecret))
	}
	body := form.Encode()
	req.Body = io.NopCloser(strings.NewReader(body))
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("webauth: token endpoint: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("webauth: token endpoint: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		te := &TokenError{Status: resp.StatusCode}
		var e struct {
			Error            string `json:"error"`
			ErrorDescription string `json:"error_description"`
		}
		if json.Unmarshal(raw, &e) == nil {
			te.Code, te.Description = e.Error, e.ErrorDescription
		}
		if te.Code == "" {
			te.Code = "server_error"
		}
		return nil, te
	}
	var tr tokenResponse
	if err := json.Unmarshal(raw, &tr); err != nil {
		return nil, fmt.Errorf("webauth: token response: %w", err)
	}
	if tr.AccessToken == "" {
		return nil, fmt.Errorf("webauth: token response has no access_token")
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "bearer") {
		return nil, fmt.Errorf("webauth: unsupported token_type %q", tr.TokenType)
	}
	return &tr, nil
}
