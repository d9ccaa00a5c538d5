package passwordreset

import (
	"strings"
	"testing"
	"time"
)

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		24 * time.Hour: "24 hours", time.Hour: "1 hour", 5 * 24 * time.Hour: "5 days", 48 * time.Hour: "2 days",
		30 * time.Minute: "30 minutes", 90 * time.Minute: "90 minutes", time.Second: "1 minute", 25 * time.Hour: "25 hours",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// The mail's markup escapes what it is given: a tenant name or an address cannot add markup.
func TestResetMailEscapes(t *testing.T) {
	m, err := loadMailTemplates()
	if err != nil {
		t.Fatal(err)
	}
	msg, err := m.render(`<b>Acme</b>`, `"x<y"@example.com`, "https://id.example/u/reset-password?ticket=abc", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(msg.HTML, "<b>Acme") || strings.Contains(msg.HTML, "x<y") {
		t.Fatalf("unescaped input in the HTML part:\n%s", msg.HTML)
	}
	for _, part := range []string{msg.HTML, msg.Text} {
		if !strings.Contains(part, "https://id.example/u/reset-password?ticket=abc") || !strings.Contains(part, "24 hours") {
			t.Fatalf("part lacks the link or the lifetime:\n%s", part)
		}
	}
	if msg.Kind != KindResetEmail || msg.Subject != "Reset your password" {
		t.Fatalf("message = %+v", msg)
	}
}

func TestCleanState(t *testing.T) {
	for in, want := range map[string]string{
		"ZMw4ERV1aHnY0HG6Mob1hEZSPF2BRT32": "ZMw4ERV1aHnY0HG6Mob1hEZSPF2BRT32",
		"":                                 "",
		"a b":                              "",
		`"><script>`:                       "",
		strings.Repeat("a", 129):           "",
	} {
		if got := cleanState(in); got != want {
			t.Errorf("cleanState(%q) = %q, want %q", in, got, want)
		}
	}
}
