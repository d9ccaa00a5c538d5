package e2e_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/examples/seedapp/seedapp"
	"github.com/gatehouse/gatehouse/sdk/webauth"
)

// seedApp is the guide's application started by MustStartSeedApp.
type seedApp struct {
	Web       string // http://localhost:PORT, the guide's development setup
	SecureWeb string // https://127.0.0.1:PORT, the same app served over TLS (production cookies)
	API       string // http://127.0.0.1:PORT
}

// MustStartSeedApp serves the seed app's API and, twice, its web app: once as the guide runs it in
// development (http://localhost) and once over HTTPS with the dev certificate, whose appSession
// cookie must then be Secure. The HTTPS one is on 127.0.0.1 so that the two apps' cookies, which
// browsers scope by host and not by port, stay apart. Both are registered on the guide's web client.
func MustStartSeedApp(t *testing.T, ctx context.Context, g *gatehouse, opts ...func(*seedapp.Config)) *seedApp {
	t.Helper()
	apiLn := mustListen(t)
	webLn := mustListen(t)
	tlsLn := mustListen(t)
	s := &seedApp{
		Web:       "http://localhost:" + port(webLn),
		SecureWeb: "https://127.0.0.1:" + port(tlsLn),
		API:       "http://127.0.0.1:" + port(apiLn),
	}
	g.MustRegisterApp(t, ctx, s.Web, s.SecureWeb)

	issuerClient := mustTrustingClient(t, g.CA.CACert)
	config := func(base string) seedapp.Config {
		c := seedapp.Config{
			Auth: webauth.Config{
				Secret:        randomSecret(t),
				BaseURL:       base,
				IssuerBaseURL: strings.TrimSuffix(g.Issuer, "/"), // as `gatehouse dev` prints it
				ClientID:      g.Tenant.WebApp.ClientID,
				ClientSecret:  g.Tenant.WebApp.ClientSecret,
				Audience:      g.Tenant.API.Identifier,
			},
			APIBaseURL: s.API,
			HTTPClient: issuerClient,
		}
		for _, o := range opts {
			o(&c)
		}
		return c
	}
	api, err := seedapp.NewAPI(config(s.Web))
	if err != nil {
		t.Fatal(err)
	}
	web, err := seedapp.NewWeb(config(s.Web))
	if err != nil {
		t.Fatal(err)
	}
	secureWeb, err := seedapp.NewWeb(config(s.SecureWeb))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(g.CA.Cert, g.CA.Key)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, api, apiLn)
	serve(t, web, webLn)
	serve(t, secureWeb, tls.NewListener(tlsLn, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
	return s
}

func serve(t *testing.T, h http.Handler, ln net.Listener) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
}

func mustListen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func port(ln net.Listener) string {
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return p
}

func randomSecret(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func mustTrustingClient(t *testing.T, caFile string) *http.Client {
	t.Helper()
	c, err := seedapp.TrustingClient(caFile)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
