package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// SMTP is a sender over one SMTP server. A zero Timeout means 30 seconds for the whole exchange.
type SMTP struct {
	Host     string
	Port     int
	User     string
	Password string
	// RootCAs verifies the server's certificate; nil means the system roots. Tests and private
	// relays set it; verification is never switched off.
	RootCAs *x509.CertPool
	// HeloName is what the client says in EHLO; empty means "localhost".
	HeloName string
	Timeout  time.Duration
}

// ImplicitTLSPort is the SMTP submission port that speaks TLS from the first byte (RFC 8314).
const ImplicitTLSPort = 465

// IsLoopbackHost reports whether host is loopback as written: "localhost" or a loopback IP
// literal. A name is not resolved, so DNS cannot turn a remote host into a "local" one.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.IsLoopback()
}

// plain reports whether the connection is allowed, and chosen, to be unencrypted: a loopback host
// with no credentials.
func (s *SMTP) plain() bool { return IsLoopbackHost(s.Host) && s.User == "" && s.Password == "" }

// CheckProvider validates a provider before it is saved. The transport rule needs no check here —
// every setting has a safe transport, since TLS is demanded at connection unless plain is allowed
// — but credentials aimed at port 25 (server-to-server relay, where STARTTLS is often absent) are
// refused up front rather than failing at every send.
func CheckProvider(p *domain.EmailProvider) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if p.Credentials.SMTPPort == 25 && p.Credentials.SMTPUser != "" && !IsLoopbackHost(p.Credentials.SMTPHost) {
		return domain.Invalidf("credentials.smtp_port", "Port 25 is for relaying between servers; use 587 (STARTTLS) or 465 (TLS) with credentials.")
	}
	return nil
}

// ErrPermanent marks a failure no retry will fix (a 5xx answer, a refused transport).
var ErrPermanent = errors.New("permanent failure")

// Send delivers one message whose envelope sender is from.
func (s *SMTP) Send(ctx context.Context, m *domain.OutboundEmail, from string) error {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	tlsConf := &tls.Config{ServerName: s.Host, RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}

	var conn net.Conn
	var err error
	d := &net.Dialer{}
	if s.Port == ImplicitTLSPort {
		conn, err = (&tls.Dialer{NetDialer: d, Config: tlsConf}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("connect to %s: %w", addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()

	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		return classify("greeting", err)
	}
	defer c.Close()
	helo := s.HeloName
	if helo == "" {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return classify("EHLO", err)
	}
	if _, isTLS := conn.(*tls.Conn); !isTLS && !s.plain() {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("%s does not offer STARTTLS, and credentials are only sent over TLS: %w", addr, ErrPermanent)
		}
		if err := c.StartTLS(tlsConf); err != nil {
			return fmt.Errorf("STARTTLS with %s: %w", addr, err)
		}
	}
	if s.User != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("%s does not accept authentication: %w", addr, ErrPermanent)
		}
		// PlainAuth itself refuses to send credentials over an unencrypted connection to a
		// non-localhost server: a second guard behind the STARTTLS rule above.
		if err := c.Auth(smtp.PlainAuth("", s.User, s.Password, s.Host)); err != nil {
			return classify("AUTH", err)
		}
	}
	body, err := compose(m, from, helo, time.Now())
	if err != nil {
		return fmt.Errorf("%w: %w", err, ErrPermanent)
	}
	env, _ := envelope(from)
	rcpt, _ := envelope(m.To)
	if err := c.Mail(env); err != nil {
		return classify("MAIL FROM", err)
	}
	if err := c.Rcpt(rcpt); err != nil {
		return classify("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return classify("DATA", err)
	}
	if _, err := w.Write(body); err != nil {
		return classify("DATA", err)
	}
	if err := w.Close(); err != nil {
		return classify("DATA", err)
	}
	_ = c.Quit()
	return nil
}

// envelope returns the bare address of a header address ("Name <a@b>" → "a@b").
func envelope(s string) (string, error) {
	a, err := parseAddress(s)
	if err != nil {
		return "", err
	}
	return a, nil
}

// classify wraps an SMTP failure; a 5xx reply is permanent (RFC 5321 §4.2.1).
func classify(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return fmt.Errorf("%s: %w: %w", step, err, ErrPermanent)
	}
	return fmt.Errorf("%s: %w", step, err)
}
