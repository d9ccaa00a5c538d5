package protocol_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
)

func TestResponseType(t *testing.T) {
	for _, tc := range []struct {
		raw, want, err string
		code, idToken  bool
	}{
		{raw: "code", want: "code", code: true},
		{raw: "id_token", want: "id_token", idToken: true},
		{raw: "code id_token", want: "code id_token", code: true, idToken: true},
		{raw: "id_token code", want: "code id_token", code: true, idToken: true},
		{raw: "  code   id_token ", want: "code id_token", code: true, idToken: true},
		{raw: "", err: "invalid_request"},
		{raw: "token", err: "unsupported_response_type"},
		{raw: "id_token token", err: "unsupported_response_type"},
		{raw: "code id_token token", err: "unsupported_response_type"},
		{raw: "none", err: "unsupported_response_type"},
		{raw: "CODE", err: "unsupported_response_type"},
		{raw: "code code", err: "invalid_request"},
	} {
		rt, code, idToken, e := protocol.ResponseType(tc.raw)
		switch {
		case tc.err != "" && (e == nil || e.Code != tc.err || rt != "" || code || idToken):
			t.Errorf("%q: %q %v %v %v, want error %s", tc.raw, rt, code, idToken, e, tc.err)
		case tc.err == "" && (e != nil || rt != tc.want || code != tc.code || idToken != tc.idToken):
			t.Errorf("%q: %q %v %v %v, want %q", tc.raw, rt, code, idToken, e, tc.want)
		}
	}
	plain := &domain.Client{GrantTypes: []string{domain.GrantAuthorizationCode}}
	implicit := &domain.Client{GrantTypes: []string{domain.GrantAuthorizationCode, domain.GrantImplicit}}
	if protocol.ImplicitAllowed(plain, false) != nil || protocol.ImplicitAllowed(implicit, true) != nil {
		t.Error("an allowed response type is refused")
	}
	if e := protocol.ImplicitAllowed(plain, true); e == nil || e.Code != "unauthorized_client" {
		t.Errorf("an ID token for a client without implicit: %v", e)
	}
}
