package userimport

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"strconv"
	"time"
)

// ExportLinkTTL is how long an export's download link works once issued: Auth0's signed location
// is valid for 60 seconds, and every read of the job issues a fresh one.
const ExportLinkTTL = 60 * time.Second

// Why a download link was refused. Both are told apart only after the signature checked out, so
// that a forged link learns nothing but that it is not valid.
var (
	ErrLinkInvalid = errors.New("userimport: the download link is not valid")
	ErrLinkExpired = errors.New("userimport: the download link has expired")
)

// ExportLinks signs and checks the download links of users exports. A link is an HMAC over the job
// id and the link's expiry under a server key, so nothing a link grants is stored: the database
// holds neither the link nor anything that would rebuild it, and a link stops working at its expiry
// whatever the job's retention.
type ExportLinks struct {
	key []byte
	ttl time.Duration
}

// NewExportLinks returns a signer under key, which every node of a deployment must share (derive
// it from the master key for this one purpose).
func NewExportLinks(key []byte) (*ExportLinks, error) {
	if len(key) < 32 {
		return nil, errors.New("userimport: the export link key must be at least 32 bytes")
	}
	return &ExportLinks{key: append([]byte(nil), key...), ttl: ExportLinkTTL}, nil
}

// URL returns jobID's download link, valid from now for ExportLinkTTL. baseURL is the Management
// API's (https://HOST/api/v2/).
func (l *ExportLinks) URL(baseURL, jobID string, now time.Time) string {
	exp := strconv.FormatInt(now.Add(l.ttl).Unix(), 10)
	q := url.Values{"expires": {exp}, "signature": {hex.EncodeToString(l.sign(jobID, exp))}}
	return baseURL + "jobs/" + url.PathEscape(jobID) + "/download?" + q.Encode()
}

// maxExpiresLen bounds the expiry parameter before it is parsed: a Unix time in seconds.
const maxExpiresLen = 19

// Check reports whether expires and signature, a link's query parameters, are a link this key
// issued for jobID that has not expired at now: nil, ErrLinkInvalid or ErrLinkExpired.
func (l *ExportLinks) Check(jobID, expires, signature string, now time.Time) error {
	if len(expires) == 0 || len(expires) > maxExpiresLen || len(signature) != 2*sha256.Size {
		return ErrLinkInvalid
	}
	sig, err := hex.DecodeString(signature)
	if err != nil || !hmac.Equal(sig, l.sign(jobID, expires)) {
		return ErrLinkInvalid
	}
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil {
		return ErrLinkInvalid
	}
	if !now.Before(time.Unix(exp, 0)) {
		return ErrLinkExpired
	}
	return nil
}

// sign is the MAC of one link. The purpose label and the separators keep a MAC of one (job,
// expiry) pair from reading as another's, or as anything else signed under a related key.
func (l *ExportLinks) sign(jobID, expires string) []byte {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte("gatehouse users export download\x00"))
	m.Write([]byte(jobID))
	m.Write([]byte{0})
	m.Write([]byte(expires))
	return m.Sum(nil)
}
