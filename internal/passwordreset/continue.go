package passwordreset

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/trigger"
	"github.com/gatehouse/gatehouse/web"
)

// A password-reset-post-challenge Action's api.redirect.sendUserTo (Auth0's redirect from the
// password reset flow). The link's GET sends the browser to the Action's URL with state=<id>, an
// id that starts with domain.ResetContinuePrefix; the reset is stored, as a sign-in's redirect is,
// as a login transaction under that id: bound to this browser (the hash of its form secret), to
// the ticket (by hash), expiring with the ticket or the transaction lifetime, whichever comes
// first, and holding the paused run. The ticket's secret is kept sealed under a key derived from
// the browser's form secret, so the stored record alone cannot open the reset. The other site sends
// the browser back to /continue?state=… (authflow hands reset states over here): the transaction
// is consumed (single use), the run resumes with the redirecting action's onContinuePostChallenge
// and the rest of the chain, and a run that lets the reset through marks the ticket for this
// browser only; the browser goes on to the new-password form, or to the second factor an Action
// asked for. Until then neither the form nor its POST is reachable: both run the trigger again,
// and the POST is refused when the chain would send the browser away.

// maxContinueState bounds the state /continue brings back before it is looked up.
const maxContinueState = 128

// newContinueState is the id a redirect from this reset carries.
func newContinueState() string { return domain.ResetContinuePrefix + domain.RandomToken(32) }

// continuedKey is the mark of a reset resumed, and let through, in the browser holding formSecret.
func continuedKey(t *domain.Ticket, formSecret string) string {
	return "reset_continued:" + hex.EncodeToString(t.Hash) + ":" + csrfToken(formSecret, "continued")[:22]
}

// sealKey is the AES-256 key that seals a continuation's ticket secret: only the browser holding
// formSecret, back with state, can derive it.
func sealKey(formSecret, state string) []byte {
	m := hmac.New(sha256.New, []byte(formSecret))
	m.Write([]byte("gatehouse reset continue\x00"))
	m.Write([]byte(state))
	return m.Sum(nil)
}

func sealTicket(formSecret, state, secret string) ([]byte, error) {
	block, err := aes.NewCipher(sealKey(formSecret, state))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, []byte(secret), []byte(state)), nil
}

func unsealTicket(formSecret, state string, sealed []byte) (string, bool) {
	block, err := aes.NewCipher(sealKey(formSecret, state))
	if err != nil {
		return "", false
	}
	aead, err := cipher.NewGCM(block)
	if err != nil || len(sealed) < aead.NonceSize() {
		return "", false
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(state))
	if err != nil {
		return "", false
	}
	return string(plain), true
}

// sendAway stores the paused reset under state and sends the browser to the Action's URL.
func (h *Handler) sendAway(w http.ResponseWriter, r *http.Request, t *domain.Ticket, secret, state string, rd *trigger.Redirect) {
	target, err := url.Parse(rd.URL)
	if err != nil || (target.Scheme != "https" && target.Scheme != "http") || target.Host == "" {
		// The runtime refuses all of these; the flow does not rely on it.
		h.internalError(w, r, errors.New("reset: redirect target refused"))
		return
	}
	q := target.Query()
	q.Set("state", state)
	target.RawQuery = q.Encode()

	fs := h.ensureFormSecret(w, r)
	sealed, err := sealTicket(fs, state, secret)
	if err != nil {
		h.internalError(w, r, fmt.Errorf("reset: seal the ticket: %w", err))
		return
	}
	now := h.o.Now().UTC()
	expires := now.Add(domain.LoginTransactionLifetime)
	if t.ExpiresAt.Before(expires) {
		expires = t.ExpiresAt
	}
	tx := &domain.LoginTransaction{ID: state, BrowserBindingHash: domain.HashSecret(fs), ClientID: t.ClientID, UserID: t.UserID,
		CreatedAt: now, ExpiresAt: expires,
		PasswordReset: &domain.ResetContinuation{TicketHash: t.Hash, SealedTicket: sealed, Resume: rd.Resume}}
	if err := h.o.Store.CreateTransaction(r.Context(), tx); err != nil {
		h.internalError(w, r, fmt.Errorf("reset: store the continuation: %w", err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet {
		h.leaveByForm(w, r, target)
		return
	}
	w.Header().Set("Location", target.String())
	w.WriteHeader(http.StatusFound)
}

// leaveByForm sends the browser to u from the answer to a form (a POST back to /continue whose
// resumed run redirects again): browsers hold a redirect that follows a form submission to the
// form page's CSP form-action, which cannot name a site only an Action knows. A page of its own,
// whose form-action is u's origin alone, makes the step a GET form submitted by script (as the
// sign-in does).
func (h *Handler) leaveByForm(w http.ResponseWriter, r *http.Request, u *url.URL) {
	source, ok := httpserver.FormActionSource(u.String())
	if !ok {
		h.internalError(w, r, errors.New("reset: a form cannot target the redirect"))
		return
	}
	var fields []web.FormField
	for k, vs := range u.Query() {
		for _, v := range vs {
			fields = append(fields, web.FormField{Name: k, Value: v})
		}
	}
	sort.Slice(fields, func(i, j int) bool { return fields[i].Name < fields[j].Name })
	action := *u
	action.RawQuery = ""
	nonce := web.NewNonce()
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'self'; "+
		"img-src 'self' data:; form-action "+source+"; base-uri 'none'; frame-ancestors 'none'")
	d := web.FormPostData{Base: h.base(r.Context()), Action: action.String(), Fields: fields, Get: true, Heading: "Continuing…"}
	d.Base.Nonce = nonce
	h.render(w, r, http.StatusOK, web.PageFormPost, d)
}

// ContinueBound reports whether r carries this browser's reset cookie (authflow.ResetContinuer).
func (h *Handler) ContinueBound(r *http.Request) bool { return h.formSecret(r) != "" }

// Continue is /continue?state=… for a reset an Action sent away (authflow.ResetContinuer): body is
// the form posted, nil for a GET. Every refusal shows the invalid-link page and changes nothing.
func (h *Handler) Continue(w http.ResponseWriter, r *http.Request, state string, body map[string]string) {
	ctx := r.Context()
	fs := h.formSecret(r)
	if fs == "" || len(state) > maxContinueState || !strings.HasPrefix(state, domain.ResetContinuePrefix) {
		h.refuse(w, r, nil, "Invalid or expired password reset continuation")
		return
	}
	tx, err := h.o.Store.GetTransaction(ctx, state)
	if errors.Is(err, store.ErrNotFound) {
		h.refuse(w, r, nil, "Invalid or expired password reset continuation")
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	c := tx.PasswordReset
	if c == nil || !h.o.Now().Before(tx.ExpiresAt) || !hmac.Equal(domain.HashSecret(fs), tx.BrowserBindingHash) {
		h.refuse(w, r, nil, "Password reset continuation from another browser, or of another kind")
		return
	}
	secret, ok := unsealTicket(fs, state, c.SealedTicket)
	if !ok {
		h.refuse(w, r, nil, "Password reset continuation from another browser")
		return
	}
	// Single use: of requests racing with the same state, one goes on.
	if err := h.o.Store.ConsumeTransaction(ctx, state); errors.Is(err, store.ErrNotFound) {
		h.refuse(w, r, nil, "Password reset continuation already used")
		return
	} else if err != nil {
		h.internalError(w, r, err)
		return
	}
	t, u, err := h.liveTicket(r, secret)
	if errors.Is(err, errTicketInvalid) || (err == nil && !hmac.Equal(t.Hash, c.TicketHash)) {
		h.refuse(w, r, t, "Invalid or expired password reset link")
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if h.o.PostChallenge == nil {
		h.internalError(w, r, errors.New("reset: a continuation without Actions"))
		return
	}
	ev := h.challengeEvent(r, t, u)
	ev.Resume, ev.ContinueState, ev.RedirectState = c.Resume, state, newContinueState()
	ev.Query, ev.Body = trigger.FirstValues(r.URL.Query()), body
	out, err := h.o.PostChallenge.PasswordResetPostChallenge(ctx, ev)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if !h.applyChallenge(w, r, t, u, secret, ev.RedirectState, out, true) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, domain.ResetPasswordPath+"?ticket="+url.QueryEscape(secret), http.StatusSeeOther)
}
