package seedapp_test

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/examples/seedapp/seedapp"
)

func TestParseDotEnv(t *testing.T) {
	tests := []struct {
		name, in string
		want     [][2]string
		wantErr  string
	}{
		{"the guide's block", "# Auth0 Configuration\nAUTH0_SECRET='abc=+/def'\nAUTH0_BASE_URL='http://localhost:3000'\n\n# AUTH0_BASE_URL='https://yourapp.com'\n",
			[][2]string{{"AUTH0_SECRET", "abc=+/def"}, {"AUTH0_BASE_URL", "http://localhost:3000"}}, ""},
		{"double quotes keep # and spaces", `A="x # y "`, [][2]string{{"A", "x # y "}}, ""},
		{"unquoted with comment", "A=value # note", [][2]string{{"A", "value"}}, ""},
		{"unquoted keeps inner #", "A=a#b", [][2]string{{"A", "a#b"}}, ""},
		{"export prefix and spaces", "export A = 'v'", [][2]string{{"A", "v"}}, ""},
		{"empty value", "A=", [][2]string{{"A", ""}}, ""},
		{"CRLF", "A='v'\r\nB=w\r\n", [][2]string{{"A", "v"}, {"B", "w"}}, ""},
		{"no equals", "AUTH0_SECRET", nil, "line 1"},
		{"bad name", "1A=x", nil, "line 1"},
		{"unterminated quote", "A=ok\nB='secret", nil, "line 2: unterminated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := seedapp.ParseDotEnv(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("error %q shows the line's content", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestLoadDotEnvKeepsTheEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env.local")
	if err := os.WriteFile(path, []byte("SEEDAPP_TEST_A='from file'\nSEEDAPP_TEST_B='from file'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SEEDAPP_TEST_A", "from env")
	t.Setenv("SEEDAPP_TEST_B", "")
	os.Unsetenv("SEEDAPP_TEST_B") // t.Setenv restores it afterwards
	set, err := seedapp.LoadDotEnv(path)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := os.Getenv("SEEDAPP_TEST_A"), os.Getenv("SEEDAPP_TEST_B"); a != "from env" || b != "from file" {
		t.Errorf("A=%q B=%q, want the environment to win and the file to fill the gap", a, b)
	}
	if !reflect.DeepEqual(set, []string{"SEEDAPP_TEST_B"}) {
		t.Errorf("set %v", set)
	}
	if set, err := seedapp.LoadDotEnv(filepath.Join(t.TempDir(), "missing")); err != nil || set != nil {
		t.Errorf("missing file: %v, %v", set, err)
	}
}

func TestTrustingClient(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := seedapp.TrustingClient(ca)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatalf("trusted CA: %v", err)
	}
	resp.Body.Close()

	plain, _ := seedapp.TrustingClient("")
	if resp, err := plain.Get(srv.URL); err == nil {
		resp.Body.Close()
		t.Error("system roots alone trusted the test server")
	}
	notPEM := filepath.Join(dir, "not.pem")
	_ = os.WriteFile(notPEM, []byte("hello"), 0o644)
	if _, err := seedapp.TrustingClient(notPEM); err == nil {
		t.Error("a file without certificates was accepted")
	}
}

func TestRecordsAreScopedToTheirOwner(t *testing.T) {
	s := seedapp.NewRecords()
	s.SeedFor("", "auth0|a")
	s.SeedFor("", "auth0|a") // a second visit adds nothing
	s.SeedFor("", "auth0|b")
	a := s.FindByOwner("", "auth0|a")
	if len(a) != 3 {
		t.Fatalf("auth0|a has %d records, want 3", len(a))
	}
	for _, r := range a {
		if r.OwnerID != "auth0|a" || r.OrgID != "" {
			t.Errorf("auth0|a sees %+v", r)
		}
	}
	if n := len(s.FindByOwner("", "auth0|nobody")); n != 0 {
		t.Errorf("an unknown user sees %d records", n)
	}
	if n := len(s.All()); n != 7 {
		t.Errorf("All: %d records, want 7 (one pre-existing, three each)", n)
	}
}

// A member's records in an organization are theirs in that organization only: not outside it,
// not in another organization, and not another member's.
func TestRecordsAreScopedToOrganizationAndOwner(t *testing.T) {
	s := seedapp.NewRecords()
	s.SeedFor("", "auth0|a")
	s.SeedFor("org_acme", "auth0|a")
	s.SeedFor("org_acme", "auth0|b")
	s.SeedFor("org_globex", "auth0|a")
	for _, tc := range []struct {
		org, owner string
		want       int
	}{
		{"", "auth0|a", 3}, {"org_acme", "auth0|a", 2}, {"org_acme", "auth0|b", 2}, {"org_globex", "auth0|a", 2},
		{"org_globex", "auth0|b", 0}, {"", "auth0|b", 0},
	} {
		got := s.FindByOwner(tc.org, tc.owner)
		if len(got) != tc.want {
			t.Errorf("%s in %q: %d records, want %d", tc.owner, tc.org, len(got), tc.want)
		}
		for _, r := range got {
			if r.OwnerID != tc.owner || r.OrgID != tc.org {
				t.Errorf("%s in %q sees %+v", tc.owner, tc.org, r)
			}
		}
	}
}
