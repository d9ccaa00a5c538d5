package authflow

import (
	"slices"
	"testing"
)

// The sign-in's order is a contract the package doc describes: authentication first, the
// transaction claimed before anything that must run once, a device confirmed (a page) before the
// claim, Actions before the code is issued or the device approved (an Action's redirect right after
// them, before MFA, as Auth0 runs MFA once every Action has); the organization's name asked
// before authentication, the organization picked after it and before the claim (both are pages).
func TestSignInStepOrder(t *testing.T) {
	var names []string
	for _, s := range signInSteps {
		names = append(names, s.name)
	}
	want := []string{"organization prompt", "authenticate", "device", "organization picker", "claim", "user", "organization", "scopes", "actions", "redirect", "mfa", "issue"}
	if !slices.Equal(names, want) {
		t.Fatalf("steps %v, want %v", names, want)
	}
}
