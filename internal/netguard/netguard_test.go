package netguard_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/netguard"
)

func TestAllowed(t *testing.T) {
	for _, s := range []string{"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
		"0.0.0.0", "::1", "::", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "64:ff9b::a00:1", "224.0.0.1", "255.255.255.255"} {
		if netguard.Allowed(netip.MustParseAddr(s)) {
			t.Errorf("%s allowed", s)
		}
	}
	for _, s := range []string{"93.184.216.34", "8.8.8.8", "2606:4700::1111", "64:ff9b::808:808"} {
		if !netguard.Allowed(netip.MustParseAddr(s)) {
			t.Errorf("%s refused", s)
		}
	}
}

func TestCheckURL(t *testing.T) {
	ctx := context.Background()
	prod := netguard.Policy{}
	for _, u := range []string{"http://127.0.0.1:8080/x", "https://[::1]/", "https://10.0.0.5/in", "http://localhost:9/",
		"ftp://example.com/", "https:///nohost", "https://169.254.169.254/latest/meta-data"} {
		if err := prod.CheckURL(ctx, u); !errors.Is(err, netguard.ErrForbidden) {
			t.Errorf("%s: %v, want refused", u, err)
		}
	}
	if err := prod.CheckURL(ctx, "https://93.184.216.34/in"); err != nil {
		t.Errorf("a public address refused: %v", err)
	}
	dev := netguard.Policy{AllowPrivate: true}
	if err := dev.CheckURL(ctx, "http://127.0.0.1:8080/x"); err != nil {
		t.Errorf("dev refused loopback: %v", err)
	}
}

// TestClientRefusesAtConnect: the production client does not connect to a loopback server even
// when handed its URL directly (as after a DNS answer changed); the development client does.
func TestClientRefusesAtConnect(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.0.0.1/", http.StatusFound)
	}))
	defer srv.Close()
	_, err := netguard.Policy{}.Client(time.Second).Get(srv.URL)
	if !errors.Is(err, netguard.ErrForbidden) {
		t.Fatalf("production client reached loopback: %v", err)
	}
	res, err := netguard.Policy{AllowPrivate: true}.Client(time.Second).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Errorf("redirect followed: %d", res.StatusCode)
	}
}
