package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/devtenant"
)

// TestConcurrentRefreshesDoNotFork: requests presenting one refresh token at once, on a client whose
// rotation has no leeway (the seeded web app), give exactly one new refresh token; every other
// request is refused as a reuse, which revokes the family, so the winner's token is refused after
// the race too and no second chain of tokens goes on refreshing (RFC 9700 §4.14.2). Each racer has
// its own TCP connection; the requests run the post-login Action before rotating, as in production.
func TestConcurrentRefreshesDoNotFork(t *testing.T) {
	for _, engine := range []struct {
		name       string
		start      func(t *testing.T) []*node
		wideRounds int
	}{
		// SQLite's writers queue nearly in arrival order: a 20-way race forks in about one round
		// of ten on the unguarded code, against one in two on PostgreSQL.
		{"SQLite, one node", func(t *testing.T) []*node { return []*node{startNode(t)} }, 60},
		{"PostgreSQL, two nodes", func(t *testing.T) []*node { return startPostgresNodes(t, 2) }, 10},
	} {
		t.Run(engine.name, func(t *testing.T) {
			nodes := engine.start(t)
			t.Run("20-way", func(t *testing.T) { raceRefreshes(t, nodes, 20, engine.wideRounds) })
			t.Run("2-way", func(t *testing.T) { raceRefreshes(t, nodes, 2, 40) })
		})
	}
}

// raceRefreshes runs rounds races of racers requests each, racer i sending to nodes[i%len(nodes)].
func raceRefreshes(t *testing.T, nodes []*node, racers, rounds int) {
	t.Helper()
	signer := nodes[0]
	web := signer.tenant.WebApp
	cfg := oauth2.Config{ClientID: web.ClientID, ClientSecret: web.ClientSecret, RedirectURL: devtenant.Callback,
		Endpoint: oauth2.Endpoint{AuthURL: signer.issuer + "authorize", TokenURL: signer.issuer + "oauth/token",
			AuthStyle: oauth2.AuthStyleInParams},
		Scopes: []string{"openid", "offline_access"}}
	browse := browser(t)
	user := signer.tenant.Users[0]
	clients := make([]*http.Client, racers)
	for i := range clients {
		// A transport each: every racer's request travels on a connection of its own.
		tr := &http.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		clients[i] = &http.Client{Transport: tr}
	}
	forked := 0
	for round := range rounds {
		verifier := oauth2.GenerateVerifier()
		cb := signIn(t, browse, cfg.AuthCodeURL("race", oauth2.S256ChallengeOption(verifier)), user.Email, user.Password)
		tok, err := cfg.Exchange(context.Background(), cb.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil || tok.RefreshToken == "" {
			t.Fatalf("round %d: code exchange: %v (refresh token %q)", round, err, tok.RefreshToken)
		}

		answers := make([]refreshAnswer, racers)
		var ready, done sync.WaitGroup
		start := make(chan struct{})
		for i := range racers {
			ready.Add(1)
			done.Add(1)
			go func() {
				defer done.Done()
				ready.Done()
				<-start
				answers[i] = postRefresh(clients[i], nodes[i%len(nodes)], web, tok.RefreshToken)
			}()
		}
		ready.Wait()
		close(start)
		done.Wait()

		var winners []refreshAnswer
		for i, a := range answers {
			switch {
			case a.err != nil:
				t.Fatalf("round %d, racer %d: %v", round, i, a.err)
			case a.status == http.StatusOK && a.RefreshToken != "":
				winners = append(winners, a)
			case a.status != http.StatusBadRequest || a.Error != "invalid_grant":
				t.Fatalf("round %d, racer %d: %d %s %s", round, i, a.status, a.Error, a.Description)
			}
		}
		if len(winners) != 1 {
			if forked == 0 {
				t.Errorf("round %d: %d of %d racing refreshes got a new refresh token, want exactly 1", round, len(winners), racers)
			}
			forked++
			continue
		}
		if a := postRefresh(clients[0], nodes[len(nodes)-1], web, winners[0].RefreshToken); a.status != http.StatusBadRequest || a.Error != "invalid_grant" {
			t.Fatalf("round %d: the winner's token after the reuses: %d %s %v; want 400 invalid_grant (family revoked)", round, a.status, a.Error, a.err)
		}
	}
	if forked > 0 {
		t.Fatalf("%d-way: the family forked in %d of %d rounds", racers, forked, rounds)
	}
}

type refreshAnswer struct {
	status       int
	err          error
	RefreshToken string `json:"refresh_token"`
	Error        string `json:"error"`
	Description  string `json:"error_description"`
}

// postRefresh sends grant_type=refresh_token to n's token endpoint as the seeded web app does.
func postRefresh(c *http.Client, n *node, web devtenant.WebApp, refreshToken string) refreshAnswer {
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {web.ClientID}, "client_secret": {web.ClientSecret},
		"refresh_token": {refreshToken}}
	resp, err := c.Post(n.issuer+"oauth/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return refreshAnswer{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	a := refreshAnswer{status: resp.StatusCode, err: err}
	if err == nil {
		if jerr := json.Unmarshal(body, &a); jerr != nil {
			a.err = fmt.Errorf("status %d, body %q: %w", resp.StatusCode, body, jerr)
		}
	}
	return a
}
