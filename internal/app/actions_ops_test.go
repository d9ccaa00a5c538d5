package app_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/store"
)

// cacheAction reads what the previous run left in api.cache, puts it in the token and leaves the
// next number for the next run.
const cacheAction = `exports.onExecuteCredentialsExchange = async (event, api) => {
  const hit = api.cache.get('runs');
  api.accessToken.setCustomClaim('https://gatehouse.test/seen', hit ? hit.value : 'none');
  const r = api.cache.set('runs', String(hit ? Number(hit.value) + 1 : 1));
  if (r.type !== 'success') throw new Error('cache set: ' + r.code);
};`

// settableClock is a clock both nodes of a test read, moved forward by the test.
type settableClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *settableClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *settableClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// TestActionCacheAcrossNodes: a value api.cache.set stores during a run on one node is what the
// next run reads on another node on the same database, until its lifetime (15 minutes by default)
// has passed. Both engines: two nodes on one SQLite file, two nodes on one PostgreSQL.
func TestActionCacheAcrossNodes(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			clock := &settableClock{}
			opt := func(o *app.Options) { o.Now = clock.now }
			var nodes []*node
			if engine == "sqlite" {
				nodes = startNodes(t, filepath.Join(t.TempDir(), "shared.db"), 2, opt)
			} else {
				nodes = startPostgresNodes(t, 2, opt)
			}
			m := newMgmtClient(t, nodes[0])
			m.bind("credentials-exchange", m.deployAction("cache", "credentials-exchange", cacheAction))

			seen := func(n *node) string {
				t.Helper()
				cc := clientcredentials.Config{ClientID: n.tenant.ManagementAPI.ClientID, ClientSecret: n.tenant.ManagementAPI.ClientSecret,
					TokenURL: n.issuer + "oauth/token", EndpointParams: url.Values{"audience": {n.tenant.ManagementAPI.Audience}}}
				tok, err := cc.Token(context.Background())
				if err != nil {
					t.Fatalf("token from %s: %v", n.issuer, err)
				}
				v, _ := decodeJWT(t, tok.AccessToken)["https://gatehouse.test/seen"].(string)
				return v
			}
			// Each node's issuer field is its own address: the request goes to that node.
			if got := seen(nodes[0]); got != "none" {
				t.Fatalf("first run saw %q, want none", got)
			}
			if got := seen(nodes[1]); got != "1" {
				t.Fatalf("the run on the second node saw %q, want the first node's 1", got)
			}
			if got := seen(nodes[0]); got != "2" {
				t.Fatalf("the run back on the first node saw %q, want the second node's 2", got)
			}
			clock.advance(15*time.Minute + time.Second)
			if got := seen(nodes[1]); got != "none" {
				t.Fatalf("after its lifetime the entry was still read: %q", got)
			}
		})
	}
}

// TestActionExecutionsAPI: the token endpoint's log event names the execution its Actions ran as
// (details.actions.executions), and GET /api/v2/actions/executions/{id} shows it in Auth0's shape.
func TestActionExecutionsAPI(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	m.bind("credentials-exchange", m.deployAction("claims", "credentials-exchange",
		`exports.onExecuteCredentialsExchange = async (event, api) => { console.log('claims for ' + event.client.client_id); api.accessToken.setCustomClaim('https://gatehouse.test/x', 1); };`))
	_ = newMgmtClient(t, n) // one more client-credentials exchange, with the action bound
	// The tenant log is written in batches after the answer, so the setup's own exchange (no
	// action bound yet) may land after this one is counted: look for the event that names an
	// execution rather than for the newest one.
	var ids []any
	var seen []map[string]any
	for range 250 {
		logs, _, err := n.Store.ListLogs(context.Background(), store.LogFilter{Type: "seccft"}, store.Page{PerPage: 10})
		if err != nil {
			t.Fatalf("logs: %v", err)
		}
		seen = seen[:0]
		for _, l := range logs {
			seen = append(seen, l.Details)
			if acts, ok := l.Details["actions"].(map[string]any); ok {
				ids, _ = acts["executions"].([]any)
			}
		}
		if ids != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(ids) != 1 || len(seen) != 2 {
		t.Fatalf("seccft details %v, want two events, one naming one execution in actions.executions", seen)
	}
	id := ids[0].(string)
	var status int
	var x map[string]any
	for range 100 { // the record is written just after the answer, with the node's batch
		if status, x = m.do("GET", "actions/executions/"+id, nil); status != http.StatusNotFound {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if status != http.StatusOK || x["id"] != id || x["trigger_id"] != "credentials-exchange" || x["status"] != "final" {
		t.Fatalf("GET execution: %d %v", status, x)
	}
	results, _ := x["results"].([]any)
	if len(results) != 1 {
		t.Fatalf("results %v", x["results"])
	}
	r := results[0].(map[string]any)
	for _, k := range []string{"started_at", "ended_at"} {
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", r[k].(string)); err != nil {
			t.Fatalf("%s %v: %v", k, r[k], err)
		}
	}
	if logs, _ := r["logs"].([]any); len(logs) != 1 || !strings.HasPrefix(logs[0].(map[string]any)["message"].(string), "claims for ") ||
		logs[0].(map[string]any)["level"] != "log" {
		t.Fatalf("result logs %v", r["logs"])
	}
	if r["action_name"] != "claims" || r["error"] != nil || x["created_at"] == "" || x["updated_at"] == "" {
		t.Fatalf("result %v of %v", r, x)
	}
	if status, body := m.do("GET", "actions/executions/no-such-execution", nil); status != http.StatusNotFound {
		t.Fatalf("unknown execution: %d %v", status, body)
	}

	// A browser sign-in: its "s" event names the post-login execution (the dev tenant's guide Action).
	u := n.tenant.Users[0]
	if r := signInWithAPI(t, n, u.Email, u.Password); r.id == nil {
		t.Fatalf("sign-in failed: %s", r.callback)
	}
	if waitLogCount(t, n, "s", 1) < 1 {
		t.Fatal("no s event")
	}
	logs, _, err := n.Store.ListLogs(context.Background(), store.LogFilter{Type: "s"}, store.Page{PerPage: 1})
	if err != nil {
		t.Fatal(err)
	}
	acts, _ := logs[0].Details["actions"].(map[string]any)
	ids, _ = acts["executions"].([]any)
	if len(ids) != 1 {
		t.Fatalf("s details %v, want actions.executions with one id", logs[0].Details)
	}
	for range 100 {
		if status, x = m.do("GET", "actions/executions/"+ids[0].(string), nil); status != http.StatusNotFound {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if status != http.StatusOK || x["trigger_id"] != "post-login" {
		t.Fatalf("sign-in execution: %d %v", status, x)
	}
}
