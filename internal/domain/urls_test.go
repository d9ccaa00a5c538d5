package domain_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
)

func TestValidateAppURL(t *testing.T) {
	tests := []struct {
		url, appType string
		wantErr      string // substring; "" = valid
	}{
		{"https://yourapp.com/api/auth/callback", domain.AppTypeRegularWeb, ""},
		{"http://localhost:3000/api/auth/callback", domain.AppTypeRegularWeb, ""},
		{"http://127.0.0.1:3000/cb", domain.AppTypeRegularWeb, ""},
		{"http://[::1]:3000/cb", domain.AppTypeRegularWeb, ""},
		{"https://app.example.com/cb?tenant=1", domain.AppTypeRegularWeb, ""},
		{"com.example.app://callback", domain.AppTypeNative, ""},
		{"https://*.example.com/cb", domain.AppTypeRegularWeb, "wildcard"},
		{"https://example.com/*", domain.AppTypeRegularWeb, "wildcard"},
		{"*", domain.AppTypeRegularWeb, "wildcard"},
		{"https://example.com/cb#frag", domain.AppTypeRegularWeb, "fragment"},
		{"https://example.com/cb#", domain.AppTypeRegularWeb, "fragment"},
		{"http://example.com/cb", domain.AppTypeRegularWeb, "only https"},
		{"http://localhost.evil.com/cb", domain.AppTypeRegularWeb, "only https"},
		{"com.example.app://callback", domain.AppTypeRegularWeb, "custom schemes"},
		{"javascript:alert(1)", domain.AppTypeNative, "never allowed"},
		{"/relative/path", domain.AppTypeRegularWeb, "absolute"},
		{"", domain.AppTypeRegularWeb, "empty"},
		{"https://user@example.com/cb", domain.AppTypeRegularWeb, "user information"},
		{"https:///cb", domain.AppTypeRegularWeb, "no host"},
		{"https://exa mple.com/", domain.AppTypeRegularWeb, "white space"},
	}
	for _, tt := range tests {
		err := domain.ValidateAppURL("callbacks[0]", tt.url, tt.appType)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("ValidateAppURL(%q, %s) = %v; want valid", tt.url, tt.appType, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ValidateAppURL(%q, %s) = %v; want error containing %q", tt.url, tt.appType, err, tt.wantErr)
			continue
		}
		if err.Field != "callbacks[0]" || err.Code != domain.CodeInvalid {
			t.Errorf("ValidateAppURL(%q): field %q code %q; want callbacks[0], invalid", tt.url, err.Field, err.Code)
		}
	}
}

func TestValidateOrigin(t *testing.T) {
	for _, ok := range []string{"https://yourapp.com", "http://localhost:3000", "https://yourapp.com/"} {
		if err := domain.ValidateOrigin("web_origins[0]", ok, domain.AppTypeSPA); err != nil {
			t.Errorf("ValidateOrigin(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"https://yourapp.com/path", "https://yourapp.com?x=1", "https://*.yourapp.com"} {
		if err := domain.ValidateOrigin("web_origins[0]", bad, domain.AppTypeSPA); err == nil {
			t.Errorf("ValidateOrigin(%q) accepted", bad)
		}
	}
}

func TestSameLogoutURL(t *testing.T) {
	tests := []struct {
		registered, candidate string
		want                  bool
	}{
		{"http://localhost:3000", "http://localhost:3000", true},
		{"http://localhost:3000", "http://localhost:3000/", true},
		{"http://localhost:3000/", "http://localhost:3000", true},
		{"https://yourapp.com", "https://yourapp.com/", true},
		{"https://yourapp.com", "https://yourapp.com.evil.com", false},
		{"https://yourapp.com", "https://yourapp.com/other", false},
		{"https://yourapp.com/bye", "https://yourapp.com/bye/", false},
		{"https://yourapp.com", "https://YOURAPP.com", false},
		{"https://yourapp.com", "https://yourapp.com/?next=https://evil.com", false},
		{"https://yourapp.com", "https://yourapp.com#x", false},
		{"https://yourapp.com", "//yourapp.com", false},
		{"https://yourapp.com/?a=1", "https://yourapp.com/?a=1", true},
		{"https://yourapp.com/?a=1", "https://yourapp.com/?a=2", false},
	}
	for _, tt := range tests {
		if got := domain.SameLogoutURL(tt.registered, tt.candidate); got != tt.want {
			t.Errorf("SameLogoutURL(%q, %q) = %v; want %v", tt.registered, tt.candidate, got, tt.want)
		}
	}
}
