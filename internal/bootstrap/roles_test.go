package bootstrap_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/bootstrap"
)

func TestReadOnlyScopes(t *testing.T) {
	all := []string{"read:users", "update:users", "read:client_keys", "read:logs", "read:user_idp_tokens", "create:roles", "read:roles"}
	got := strings.Join(bootstrap.ReadOnlyScopes(all), " ")
	if got != "read:users read:logs read:roles" {
		t.Errorf("read-only scopes: %s", got)
	}
}
