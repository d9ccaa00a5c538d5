package domain_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
)

func TestConnectionValidate(t *testing.T) {
	ok := func() *domain.Connection {
		c := &domain.Connection{ID: domain.NewConnectionID(), Name: "Username-Password-Authentication"}
		domain.ApplyConnectionDefaults(c)
		return c
	}
	if err := ok().Validate(); err != nil {
		t.Fatalf("default connection: %v", err)
	}
	cases := []struct {
		name   string
		change func(*domain.Connection)
		field  string
	}{
		{"bad name", func(c *domain.Connection) { c.Name = "has space" }, "name"},
		{"leading hyphen", func(c *domain.Connection) { c.Name = "-x" }, "name"},
		{"long name", func(c *domain.Connection) { c.Name = strings.Repeat("a", 129) }, "name"},
		{"social strategy", func(c *domain.Connection) { c.Strategy = "google-oauth2" }, "strategy"},
		{"unknown level", func(c *domain.Connection) { c.Options.PasswordPolicy = "strong" }, "options.passwordPolicy"},
		{"min length 0", func(c *domain.Connection) {
			c.Options.PasswordComplexityOptions = &domain.PasswordComplexityOptions{MinLength: 0}
		}, "options.password_complexity_options.min_length"},
		{"min length 129", func(c *domain.Connection) {
			c.Options.PasswordComplexityOptions = &domain.PasswordComplexityOptions{MinLength: 129}
		}, "options.password_complexity_options.min_length"},
		{"history 25", func(c *domain.Connection) {
			c.Options.PasswordHistory = &domain.PasswordHistoryOptions{Enable: true, Size: 25}
		}, "options.password_history.size"},
		{"dictionary too big", func(c *domain.Connection) {
			c.Options.PasswordDictionary = &domain.PasswordDictionaryOptions{Enable: true, Dictionary: make([]string, 201)}
		}, "options.password_dictionary.dictionary"},
		{"empty word", func(c *domain.Connection) {
			c.Options.PasswordDictionary = &domain.PasswordDictionaryOptions{Enable: true, Dictionary: []string{" "}}
		}, "options.password_dictionary.dictionary"},
		{"other realm", func(c *domain.Connection) { c.Realms = []string{"x"} }, "realms"},
	}
	for _, tc := range cases {
		c := ok()
		tc.change(c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v, want a problem with %s", tc.name, err, tc.field)
		}
	}
	c := ok()
	c.Options.PasswordHistory = &domain.PasswordHistoryOptions{Enable: true}
	domain.ApplyConnectionDefaults(c)
	if c.Options.HistorySize() != 5 {
		t.Errorf("history default %d", c.Options.HistorySize())
	}
}
