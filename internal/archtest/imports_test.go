// Package archtest holds the test that keeps the import graph pointing one way: leaves import no
// flow, stores import no handler, handlers do not reach into each other, SDKs stand alone. The map
// it enforces is docs/architecture.md.
package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/gatehouse/gatehouse/"

// rule: a package (and, with a trailing "/...", everything below it) may import, of this module,
// only what allow lists, or must not import what deny lists.
type rule struct {
	pkg   string
	allow []string // nil: no allow-list
	deny  []string
	why   string
}

var rules = []rule{
	{pkg: "internal/domain", allow: []string{}, why: "the domain is the leaf everything shares"},
	{pkg: "internal/oauth/protocol", allow: []string{"internal/domain"}, why: "the protocol core is imported by every flow and imports none"},
	{pkg: "internal/store/...", allow: []string{"internal/domain", "internal/store/...", "internal/privatefs", "internal/testclock"},
		why: "a store backend knows records, never a handler"},
	{pkg: "internal/metrics", allow: []string{}, why: "counters are a leaf every flow imports"},
	{pkg: "internal/passwordpolicy", allow: []string{"internal/domain", "internal/password"}, why: "the password rules are shared by every flow that takes a new password and know none of them"},
	{pkg: "internal/guard", allow: []string{"internal/domain"}, why: "limits count through a small interface any store satisfies, read the tenant's attack protection settings (domain entities), and know no flow"},
	{pkg: "internal/netguard", allow: []string{}, why: "the rule on where a node may connect is a leaf every outbound caller shares"},
	{pkg: "internal/logstream", allow: []string{"internal/domain", "internal/store", "internal/keys", "internal/netguard"},
		why: "log delivery reads the log and its streams from the store and knows no flow"},
	{pkg: "internal/upstream", allow: []string{"internal/domain", "internal/keys", "internal/netguard"},
		why: "brokering to another provider knows connections and the node's network rule, never a route or the store"},
	{pkg: "internal/userimport", allow: []string{"internal/domain", "internal/password", "internal/store"},
		why: "bulk import and export are the store's work, run by the Management API, the command line and every node alike"},
	{pkg: "internal/tenantcode", allow: []string{"internal/domain", "internal/store", "internal/mail/mailtemplate", "internal/bootstrap"},
		why: "tenant as code maps files to domain entities and writes them through the store; it compiles code and seals secrets through the interfaces the command hands it"},
	{pkg: "internal/actions", allow: []string{"internal/netguard"}, why: "the JavaScript sandbox knows nothing of the flows that call it; its fetch connects under the one address rule"},
	{pkg: "sdk/...", allow: []string{"sdk/..."}, why: "the SDKs are used by other modules and cannot see internal packages"},
	{pkg: "internal/mgmt", deny: []string{"internal/oauth", "internal/passwordreset", "internal/oauth/grant", "internal/authflow", "internal/session", "internal/actionexec", "internal/token", "internal/keys", "internal/app"},
		why: "the Management API is reached through the interfaces it declares (token verifier, key manager, compiler)"},
	{pkg: "internal/session", deny: []string{"internal/authflow", "internal/oauth", "internal/oauth/grant", "internal/mgmt", "internal/actionexec", "internal/app"},
		why: "sessions are used by sign-in, not the other way round"},
	{pkg: "internal/oauth/...", deny: []string{"internal/authflow", "internal/session", "internal/mgmt", "internal/actionexec", "internal/app"},
		why: "the token endpoint declares what it needs of Actions and sign-in as interfaces"},
	{pkg: "internal/authflow", deny: []string{"internal/mgmt", "internal/passwordreset", "internal/oauth", "internal/oauth/grant", "internal/actionexec", "internal/app"},
		why: "sign-in shares the protocol core with the token endpoint and declares what it needs of Actions as an interface"},
	{pkg: "internal/actionexec", deny: []string{"internal/authflow", "internal/oauth", "internal/oauth/grant", "internal/session", "internal/mgmt", "internal/app"},
		why: "the Actions runner returns one outcome (internal/trigger) that each flow applies"},
	{pkg: "internal/passwordreset", deny: []string{"internal/authflow", "internal/oauth", "internal/oauth/grant", "internal/session", "internal/mgmt", "internal/actionexec", "internal/mail", "internal/app"},
		why: "password reset queues mail through the store and ends sessions through the store; it links to sign-in by path"},
	{pkg: "internal/emailverify", deny: []string{"internal/authflow", "internal/oauth", "internal/oauth/grant", "internal/session", "internal/mgmt", "internal/actionexec", "internal/mail", "internal/passwordreset", "internal/app"},
		why: "verification queues mail through the store; sign-up and the Management API reach it through the functions they are handed"},
	{pkg: "internal/bootstrap", allow: []string{"internal/domain", "internal/store"},
		why: "first-run records are written through the store interfaces; the commands that call it own config and I/O"},
	{pkg: "internal/admin", deny: []string{"internal/store", "internal/store/...", "internal/mgmt", "internal/oauth", "internal/oauth/...",
		"internal/authflow", "internal/session", "internal/token", "internal/keys", "internal/bootstrap", "internal/actionexec"},
		why: "the dashboard reads and writes only through the Management API (no back door)"},
	{pkg: "internal/checklist", allow: []string{},
		why: "the security checklist judges a tenant in Management API shapes, read by whoever calls it (the dashboard through the API, doctor through the store or a remote API)"},
	{pkg: "internal/appverify", allow: []string{},
		why: "verify drives an app from outside, as a browser does; it must not lean on Gatehouse's internals"},
	{pkg: "internal/trigger", allow: []string{"internal/domain", "internal/store"}, why: "the post-login outcome is shared by every flow and the runner"},
	{pkg: "internal/mail", allow: []string{"internal/domain", "internal/store", "internal/audit", "internal/keys"},
		why: "mail delivers what flows queue; it knows the store and the tenant log, never a flow"},
	{pkg: "internal/mail/mailtemplate", allow: []string{"internal/domain", "internal/store"},
		why: "templates render what a flow asks for and read only the tenant's templates and settings"},
	{pkg: "internal/backchannel", allow: []string{"internal/domain", "internal/store"},
		why: "back-channel logout delivers what session queues and signs through an interface; it knows no flow"},
	{pkg: "internal/devmail", allow: []string{"internal/domain", "internal/store"},
		why: "the development mailbox only reads what the mail worker stored"},
	{pkg: "internal/...", deny: []string{"internal/app", "cmd/..."}, why: "only the binary composes the node"},
}

// exempt may import what the rule for its area forbids: the composition root.
var exempt = map[string]bool{"internal/app": true}

func TestImportsPointOneWay(t *testing.T) {
	root := repoRoot(t)
	graph := imports(t, root)
	if len(graph) < 10 {
		t.Fatalf("read only %d packages from %s", len(graph), root)
	}
	var problems []string
	for pkg, deps := range graph {
		if exempt[pkg] {
			continue
		}
		for _, r := range rules {
			if !matches(r.pkg, pkg) {
				continue
			}
			for _, d := range deps {
				if matches(r.pkg, d) && strings.HasSuffix(r.pkg, "/...") && r.allow == nil {
					continue // inside its own area
				}
				bad := false
				if r.allow != nil {
					bad = !anyMatch(r.allow, d)
				}
				if anyMatch(r.deny, d) && !(d == pkg) {
					bad = true
				}
				if bad {
					problems = append(problems, pkg+" imports "+d+": "+r.why)
				}
			}
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

// imports returns, for every non-test package of the module under internal/ and sdk/, the module
// packages its non-test files import (paths relative to the module).
func imports(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	fset := token.NewFileSet()
	for _, top := range []string{"internal", "sdk", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			pkg := filepath.ToSlash(rel)
			if _, ok := out[pkg]; !ok {
				out[pkg] = nil
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if dep, ok := strings.CutPrefix(p, module); ok && !contains(out[pkg], dep) {
					out[pkg] = append(out[pkg], dep)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func matches(pattern, pkg string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}

func anyMatch(patterns []string, pkg string) bool {
	for _, p := range patterns {
		if matches(p, pkg) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}
