package chaos_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/postgres/pgtest"
)

// record is one request of the load, with when it was sent and answered.
type record struct {
	kind, node  string
	sent, done  time.Time
	a           answer
	expected    bool // the answer the operation wants (2xx, or the documented refusal)
	afterFailed bool // a refresh retried after its previous attempt got no clean answer
}

type recorder struct {
	mu   sync.Mutex
	recs []record
}

func (r *recorder) add(rec record) {
	r.mu.Lock()
	r.recs = append(r.recs, rec)
	r.mu.Unlock()
}

// window is a span of the run in which some failures are allowed.
type window struct{ from, to time.Time }

func (w window) covers(r record) bool {
	return !w.from.IsZero() && r.done.After(w.from) && r.sent.Before(w.to)
}

// TestChaos: three nodes under mixed load; node 2 is killed with SIGKILL and restarted; the database
// becomes unreachable for four seconds. See the package comment for what is checked.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos test skipped in -short mode")
	}
	schema := pgtest.SchemaURL(t)
	nodes, issuer, proxy, bin, env := startCluster(t, schema)
	mgmtID, mgmtSecret := managementClient(t, bin, env)
	te := configure(t, nodes[0].base, issuer, mgmtID, mgmtSecret)
	recv := startLogReceiver(t)
	streamFrom := createLogStream(t, nodes[0].base, te, recv, schema)

	rec := &recorder{}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	pick := func(r *rand.Rand) *gatehouseNode {
		for {
			n := nodes[r.IntN(len(nodes))]
			if n.up.Load() {
				return n
			}
		}
	}
	var (
		wg       sync.WaitGroup
		usersMu  sync.Mutex
		created  []string // user ids answered 2xx
		refreshQ = make(chan string, 64)
	)
	run := func(name string, seed uint64, f func(r *rand.Rand)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 7))
			for ctx.Err() == nil {
				f(r)
			}
		}()
	}
	// Tokens.
	for w := range 3 {
		run("tokens", uint64(w), func(r *rand.Rand) {
			n := pick(r)
			rc := record{kind: "client_credentials", node: n.name, sent: time.Now()}
			rc.a = do(context.Background(), "POST", n.base+"oauth/token", "", url.Values{"grant_type": {"client_credentials"},
				"client_id": {te.m2mID}, "client_secret": {te.m2mSecret}, "audience": {te.audience}}, nil)
			rc.done, rc.expected = time.Now(), rc.a.status == http.StatusOK
			rec.add(rc)
		})
	}
	// Browser sign-ins through the load balancer, each code exchanged at a node for a refresh token.
	for w := range 2 {
		run("signin", uint64(10+w), func(r *rand.Rand) {
			n := pick(r)
			rc := record{kind: "sign-in", node: n.name, sent: time.Now()}
			rt, a := signIn(context.Background(), te, n.base, te.users[r.IntN(len(te.users))])
			rc.a, rc.done, rc.expected = a, time.Now(), rt != ""
			rec.add(rc)
			if rt != "" {
				select {
				case refreshQ <- rt:
				default:
				}
			}
		})
	}
	// Refresh chains: each token rotated at a random node until the chain breaks.
	for w := range 2 {
		run("refresh", uint64(20+w), func(r *rand.Rand) {
			var rt string
			select {
			case rt = <-refreshQ:
			case <-ctx.Done():
				return
			}
			unclean := false
			for i := 0; i < 20 && ctx.Err() == nil; i++ {
				n := pick(r)
				rc := record{kind: "refresh", node: n.name, sent: time.Now(), afterFailed: unclean}
				rc.a = refresh(context.Background(), te, n.base, rt)
				rc.done, rc.expected = time.Now(), rc.a.status == http.StatusOK
				rec.add(rc)
				switch {
				case rc.expected:
					rt, unclean = rc.a.str("refresh_token"), false
				case rc.a.err != nil || rc.a.status == http.StatusServiceUnavailable:
					unclean = true // the rotation may or may not have committed: try the same token again
					time.Sleep(200 * time.Millisecond)
				default:
					return // refused: start another chain
				}
			}
		})
	}
	// Management API writes.
	run("mgmt", 30, func(r *rand.Rand) {
		n := pick(r)
		rc := record{kind: "mgmt-write", node: n.name, sent: time.Now()}
		rc.a = do(context.Background(), "POST", n.base+"api/v2/users", te.mgmtToken, nil, map[string]any{
			"connection": "Username-Password-Authentication", "email": fmt.Sprintf("w-%d-%d@example.test", time.Now().UnixNano(), r.Uint32()),
			"password": userPassword})
		rc.done, rc.expected = time.Now(), rc.a.status == http.StatusCreated
		rec.add(rc)
		if rc.expected {
			usersMu.Lock()
			created = append(created, rc.a.str("user_id"))
			usersMu.Unlock()
		}
	})

	// The faults.
	var kill, outage window
	time.Sleep(5 * time.Second)
	kill.from = time.Now()
	nodes[1].kill()
	time.Sleep(2 * time.Second)
	nodes[1].start()
	kill.to = time.Now().Add(time.Second)
	time.Sleep(3 * time.Second)
	outage.from = time.Now()
	proxy.cut()
	time.Sleep(4 * time.Second)
	if err := proxy.restore(); err != nil {
		t.Fatal(err)
	}
	restored := time.Now()
	outage.to = restored.Add(3 * time.Second) // pools notice their connections are gone on next use
	time.Sleep(8 * time.Second)
	stop()
	wg.Wait()

	checkAnswers(t, rec.recs, kill, outage)
	checkWritesReadable(t, nodes, te, created)
	checkRefreshRace(t, nodes, te)
	checkNothingHalfWritten(t, schema)
	checkLogStream(t, nodes, schema, recv, streamFrom)
	checkLogs(t, nodes)
}

// checkAnswers: no 500 and no stack anywhere; on the surviving nodes every request succeeded
// outside the outage, where failures are 503s with a JSON body (an HTML page in the sign-in flow).
func checkAnswers(t *testing.T, recs []record, kill, outage window) {
	t.Helper()
	counts := map[string]map[string]int{}
	bad := 0
	report := func(r record, why string) {
		if bad++; bad <= 15 {
			t.Errorf("%s at %s (%s after start of outage): %s: %d %v %.300s", r.kind, r.node,
				r.sent.Sub(outage.from).Round(time.Millisecond), why, r.a.status, r.a.err, r.a.body)
		}
	}
	for _, r := range recs {
		if counts[r.kind] == nil {
			counts[r.kind] = map[string]int{}
		}
		key := fmt.Sprint(r.a.status)
		if r.a.err != nil {
			key = "no answer"
		}
		counts[r.kind][key]++
		if r.a.status == http.StatusInternalServerError {
			report(r, "a 500")
			continue
		}
		if strings.Contains(r.a.body, "goroutine ") || strings.Contains(r.a.body, ".go:") {
			report(r, "a stack trace in the answer")
			continue
		}
		if r.expected {
			continue
		}
		switch {
		case outage.covers(r):
			if r.a.err != nil {
				report(r, "no answer during the outage (want a clean 503)")
			} else if r.a.status != http.StatusServiceUnavailable {
				// A refresh retried after an unclean failure may find its token already rotated.
				if !(r.kind == "refresh" && r.afterFailed && r.a.status == http.StatusBadRequest) {
					report(r, "not a 503 during the outage")
				}
			} else if r.kind != "sign-in" && !json.Valid([]byte(r.a.body)) {
				report(r, "a 503 without a JSON body")
			}
		case r.kind == "refresh" && r.afterFailed && r.a.status == http.StatusBadRequest:
			// Its previous attempt may have committed before the outage cut the answer off.
		case kill.covers(r) && (r.node == "node2" || r.kind == "sign-in"):
			// In flight at the killed node when it died (a sign-in goes through the load balancer).
		default:
			report(r, "a failure outside the outage on a serving node")
		}
	}
	t.Logf("answers by kind and status: %v", counts)
	for _, kind := range []string{"client_credentials", "sign-in", "refresh", "mgmt-write"} {
		if counts[kind]["200"]+counts[kind]["201"] < 5 {
			t.Errorf("too few successful %s to prove anything: %v", kind, counts[kind])
		}
	}
}

// checkWritesReadable: every user the Management API answered 201 for is there, on every node.
func checkWritesReadable(t *testing.T, nodes []*gatehouseNode, te *tenant, ids []string) {
	t.Helper()
	for i, id := range ids {
		n := nodes[i%len(nodes)]
		if a := do(context.Background(), "GET", n.base+"api/v2/users/"+url.PathEscape(id), te.mgmtToken, nil, nil); a.status != http.StatusOK {
			t.Errorf("user %s answered 201 but reads %d at %s", id, a.status, n.name)
		}
	}
	t.Logf("%d users created under load, all readable", len(ids))
}

// checkRefreshRace: the same refresh token sent to two nodes at the same instant succeeds on one.
func checkRefreshRace(t *testing.T, nodes []*gatehouseNode, te *tenant) {
	t.Helper()
	for i := range 8 {
		rt, a := signIn(context.Background(), te, nodes[0].base, te.users[i%len(te.users)])
		if rt == "" {
			t.Fatalf("sign-in for the race: %d %v %s", a.status, a.err, a.body)
		}
		start := make(chan struct{})
		results := make([]answer, 2)
		var wg sync.WaitGroup
		for j, n := range []*gatehouseNode{nodes[(i)%3], nodes[(i+1)%3]} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[j] = refresh(context.Background(), te, n.base, rt)
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, r := range results {
			if r.status == http.StatusOK {
				ok++
			} else if r.status != http.StatusBadRequest && r.status != http.StatusForbidden {
				t.Errorf("race %d: the losing refresh answered %d %s", i, r.status, r.body)
			}
		}
		if ok != 1 {
			t.Errorf("race %d: %d of two concurrent uses of one refresh token succeeded", i, ok)
		}
	}
}

// checkNothingHalfWritten reads the schema: every redeemed code's refresh family exists, and no
// refresh family has two live tokens (a token accepted twice would leave two).
func checkNothingHalfWritten(t *testing.T, schema string) {
	t.Helper()
	st, err := postgres.Open(context.Background(), schema, postgres.Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db := st.DB()
	for what, q := range map[string]string{
		"redeemed codes without their refresh family": `SELECT COUNT(*) FROM authorization_codes c WHERE c.used_at IS NOT NULL
			AND c.issued_family_id <> '' AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = c.issued_family_id)`,
		"refresh families with two live tokens": `SELECT COUNT(*) FROM (SELECT family_id FROM refresh_tokens
			WHERE rotated_at IS NULL AND revoked_at IS NULL GROUP BY family_id HAVING COUNT(*) > 1) f`,
		"refresh families with a generation twice": `SELECT COUNT(*) FROM (SELECT family_id, generation FROM refresh_tokens
			GROUP BY family_id, generation HAVING COUNT(*) > 1) g`,
	} {
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n != 0 {
			t.Errorf("%d %s", n, what)
		}
	}
	var families int
	_ = db.QueryRow(`SELECT COUNT(DISTINCT family_id) FROM refresh_tokens`).Scan(&families)
	t.Logf("%d refresh families checked", families)
	_ = sql.ErrNoRows
}

// checkLogs: no node logged a panic.
func checkLogs(t *testing.T, nodes []*gatehouseNode) {
	t.Helper()
	for _, n := range nodes {
		b, err := readFile(n.logs)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b, "panic") || strings.Contains(b, "goroutine ") {
			t.Errorf("%s logged a panic:\n%s", n.name, tail([]byte(b)))
		}
		errs := 0
		for _, line := range strings.Split(b, "\n") {
			if strings.Contains(line, `"level":"ERROR"`) {
				errs++
				// What the outage explains is counted, anything else shown.
				// A 500 is always shown: its cause is what the outage did not explain.
				if strings.Contains(line, "server_error") || !strings.Contains(line, "temporarily_unavailable") &&
					!strings.Contains(line, "unexpected EOF") && !strings.Contains(line, "connection refused") &&
					!strings.Contains(line, "conn closed") {
					t.Logf("%s: %.600s", n.name, line)
				}
			}
		}
		t.Logf("%s logged %d errors", n.name, errs)
	}
}
