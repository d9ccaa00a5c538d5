package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// compose renders m as an RFC 5322 message: headers from validated single-line values only (no
// header injection), the subject and display names RFC 2047-encoded, the text and HTML parts as
// quoted-printable in a multipart/alternative body.
func compose(m *domain.OutboundEmail, from, messageIDHost string, date time.Time) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	fromAddr, err := mail.ParseAddress(from)
	if err != nil || strings.ContainsAny(from, "\r\n") {
		return nil, fmt.Errorf("mail: the sender address %q is not valid", from)
	}
	toAddr, _ := mail.ParseAddress(m.To) // Validate parsed it
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", fromAddr.String())
	header("To", toAddr.String())
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", date.UTC().Format(time.RFC1123Z))
	header("Message-ID", "<"+m.ID+"@"+messageIDHost+">")
	header("MIME-Version", "1.0")
	header("Auto-Submitted", "auto-generated") // RFC 3834: no auto-replies to this
	switch {
	case m.HTML == "":
		header("Content-Type", `text/plain; charset="utf-8"`)
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		writeQP(&b, m.Text)
	case m.Text == "":
		header("Content-Type", `text/html; charset="utf-8"`)
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		writeQP(&b, m.HTML)
	default:
		boundary := randomBoundary()
		header("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
		b.WriteString("\r\n")
		for _, part := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
			b.WriteString("--" + boundary + "\r\n")
			b.WriteString(`Content-Type: ` + part.typ + `; charset="utf-8"` + "\r\n")
			b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
			writeQP(&b, part.body)
			b.WriteString("\r\n")
		}
		b.WriteString("--" + boundary + "--\r\n")
	}
	return b.Bytes(), nil
}

func writeQP(b *bytes.Buffer, s string) {
	w := quotedprintable.NewWriter(b)
	_, _ = w.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")))
	_ = w.Close()
}

func randomBoundary() string {
	var r [16]byte
	_, _ = rand.Read(r[:])
	return "gatehouse-" + hex.EncodeToString(r[:])
}

func parseAddress(s string) (string, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", err
	}
	return a.Address, nil
}
