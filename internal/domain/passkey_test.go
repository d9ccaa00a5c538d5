package domain_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// TestPasskeyOptions reads Auth0's connection options for passkeys and checks their rules.
func TestPasskeyOptions(t *testing.T) {
	conn := func(options string) *domain.Connection {
		c := &domain.Connection{ID: domain.NewConnectionID(), Name: "Username-Password-Authentication"}
		domain.ApplyConnectionDefaults(c)
		if err := json.Unmarshal([]byte(options), &c.Options); err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := conn(`{"authentication_methods":{"passkey":{"enabled":true},"password":{"enabled":true}},
		"passkey_options":{"challenge_ui":"autofill","progressive_enrollment_enabled":true,"local_enrollment_enabled":false}}`)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if !c.Options.PasskeysEnabled() || c.Options.PasskeyChallengeUI() != domain.PasskeyChallengeAutofill {
		t.Fatalf("options read as %+v", c.Options)
	}
	out, _ := json.Marshal(c.Options)
	for _, want := range []string{`"passkey":{"enabled":true}`, `"challenge_ui":"autofill"`, `"local_enrollment_enabled":false`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("options echo %s without %s", out, want)
		}
	}
	if c := conn(`{}`); c.Options.PasskeysEnabled() || c.Options.PasskeyChallengeUI() != domain.PasskeyChallengeBoth {
		t.Fatal("passkeys on, or challenge_ui not both, by default")
	}
	if c := conn(`{"authentication_methods":{"passkey":{"enabled":false}}}`); c.Options.PasskeysEnabled() {
		t.Fatal("passkey.enabled false reads as on")
	}
	for options, field := range map[string]string{
		`{"passkey_options":{"challenge_ui":"popup"}}`:                                         "options.passkey_options.challenge_ui",
		`{"authentication_methods":{"password":{"enabled":false},"passkey":{"enabled":true}}}`: "options.authentication_methods.password.enabled",
	} {
		err := conn(options).Validate()
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: error %v, want one on %s", options, err, field)
		}
	}
}
