package passwordpolicy

import (
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// MaxBytes bounds a password whatever the connection says, so that hashing cost stays bounded. It is
// Gatehouse's rule, shown as password-sheriff's maxLength rule when it is broken.
const MaxBytes = 128

// The names Auth0 gives a refused password (the `name` of /dbconnections/signup's error, the prefix
// of the Management API's message), and what each says.
const (
	NameStrength   = "PasswordStrengthError"
	NameDictionary = "PasswordDictionaryError"
	NameNoUserInfo = "PasswordNoUserInfoError"
	NameHistory    = "PasswordHistoryError"

	MsgStrength   = "Password is too weak"
	MsgDictionary = "Password is too common"
	MsgNoUserInfo = "Password contains user information"
	MsgHistory    = "Password has previously been used"
)

// Rule is one rule of a strength policy as password-sheriff describes it: a message with %d/%s
// placeholders filled from Format, a code, nested Items (the character classes) and, in a report,
// whether the password met it.
type Rule struct {
	Message  string `json:"message"`
	Format   []any  `json:"format,omitempty"`
	Code     string `json:"code"`
	Items    []Rule `json:"items,omitempty"`
	Verified bool   `json:"verified"`
}

// Text is the rule's message with its placeholders filled, as password-sheriff formats it.
func (r Rule) Text() string {
	out, i := r.Message, 0
	var b strings.Builder
	for j := 0; j < len(out); j++ {
		if out[j] == '%' && j+1 < len(out) && (out[j+1] == 'd' || out[j+1] == 's') && i < len(r.Format) {
			fmt.Fprint(&b, r.Format[i])
			i++
			j++
			continue
		}
		b.WriteByte(out[j])
	}
	return b.String()
}

// Report is the strength check of one password: every rule of the policy with whether it was met
// (Auth0's `description` of a PasswordStrengthError).
type Report struct {
	Rules    []Rule `json:"rules"`
	Verified bool   `json:"verified"`
}

// Violation is a refused password: Auth0's name and message and, for a weak password, the report and
// the policy's text.
type Violation struct {
	Name    string
	Message string
	Report  *Report // strength only
	Policy  string  // strength only: "* At least 8 characters in length\n…"
}

// Error is the Management API's message for the refusal ("PasswordStrengthError: Password is too weak").
func (v *Violation) Error() string { return v.Name + ": " + v.Message }

// Policy is a database connection's rules for a new password.
type Policy struct {
	rules          []rule
	dictionary     bool
	words          map[string]bool
	noPersonalInfo bool
	history        int
}

// New returns the policy a connection's options describe.
func New(o domain.ConnectionOptions) *Policy {
	p := &Policy{rules: levelRules(o.PasswordPolicy), history: o.HistorySize()}
	if c := o.PasswordComplexityOptions; c != nil && c.MinLength > 0 {
		// min_length replaces the level's length rule (auth0-password-policies' createRulesFromOptions).
		p.rules[0] = lengthRule(c.MinLength)
	}
	if d := o.PasswordDictionary; d != nil && d.Enable {
		p.dictionary = true
		p.words = make(map[string]bool, len(d.Dictionary))
		for _, w := range d.Dictionary {
			p.words[strings.ToLower(w)] = true
		}
	}
	p.noPersonalInfo = o.PasswordNoPersonalInfo != nil && o.PasswordNoPersonalInfo.Enable
	return p
}

// HistorySize is how many of a user's previous passwords a new one must differ from.
func (p *Policy) HistorySize() int { return p.history }

// Rules are the strength rules unchecked, for a page to list before anything is typed.
func (p *Policy) Rules() []Rule {
	out := make([]Rule, len(p.rules))
	for i, r := range p.rules {
		out[i] = r.explain()
	}
	return out
}

// Text is the policy as password-sheriff's toString renders it, Auth0's `policy` field:
// "* At least 8 characters in length\n* Contain at least 3 of the following 4 types of characters:\n * lower case letters (a-z)\n …".
func (p *Policy) Text() string {
	return flatten(p.Rules(), 0)
}

func flatten(rules []Rule, depth int) string {
	lines := make([]string, 0, len(rules))
	indent := strings.Repeat(" ", depth)
	for _, r := range rules {
		line := indent + "* " + r.Text()
		if len(r.Items) > 0 {
			line += "\n" + flatten(r.Items, depth+1)
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// Strength checks the password against the strength rules alone and returns the report.
func (p *Policy) Strength(password string) Report {
	rep := Report{Verified: true}
	for _, r := range p.rules {
		m := r.missing(password)
		rep.Rules = append(rep.Rules, m)
		rep.Verified = rep.Verified && m.Verified
	}
	if len(password) > MaxBytes {
		rep.Rules = append(rep.Rules, Rule{Message: "Maximum password length exceeded", Code: "maxLength", Format: []any{MaxBytes}})
		rep.Verified = false
	}
	return rep
}

// Check applies the policy to a new password for u (whose profile may be nil on a signup that has
// only an email): strength, then the dictionary, then personal information. History needs the
// user's previous hashes and is checked apart (CheckHistory). nil means the password is accepted.
func (p *Policy) Check(password string, u *domain.User) *Violation {
	if rep := p.Strength(password); !rep.Verified {
		return &Violation{Name: NameStrength, Message: MsgStrength, Report: &rep, Policy: p.Text()}
	}
	if p.dictionary {
		lower := strings.ToLower(password)
		if p.words[lower] || commonPassword(lower) {
			return &Violation{Name: NameDictionary, Message: MsgDictionary}
		}
	}
	if p.noPersonalInfo && u != nil && containsPersonalInfo(password, u) {
		return &Violation{Name: NameNoUserInfo, Message: MsgNoUserInfo}
	}
	return nil
}

// CheckHistory refuses a password that matches one of hashes (the user's current and previous
// password hashes, newest first, at most HistorySize of them). matches verifies the password against
// one hash; it is the caller's hasher, so each comparison costs what a sign-in costs.
func (p *Policy) CheckHistory(password string, hashes []string, matches func(hash, password string) (bool, error)) (*Violation, error) {
	if p.history == 0 {
		return nil, nil
	}
	if len(hashes) > p.history {
		hashes = hashes[:p.history]
	}
	for _, h := range hashes {
		ok, err := matches(h, password)
		if err != nil {
			return nil, err
		}
		if ok {
			return &Violation{Name: NameHistory, Message: MsgHistory}, nil
		}
	}
	return nil, nil
}

// minPersonalInfo is the shortest profile value a password may not contain. Auth0 does not publish
// one; Gatehouse ignores values of one or two characters, which would refuse nearly every password
// of a user called "Al" or "Jo" without protecting anything.
const minPersonalInfo = 3

// containsPersonalInfo reports whether the password contains, in any case, one of the profile values
// Auth0 lists for password_no_personal_info: name, username, nickname, user_metadata.name,
// user_metadata.first, user_metadata.last, and the part of the email before the @.
func containsPersonalInfo(password string, u *domain.User) bool {
	local, _, _ := strings.Cut(u.Email, "@")
	values := []string{u.Name, u.Username, u.Nickname, local}
	for _, k := range []string{"name", "first", "last"} {
		if s, ok := u.UserMetadata[k].(string); ok {
			values = append(values, s)
		}
	}
	lower := strings.ToLower(password)
	for _, v := range values {
		v = strings.ToLower(strings.TrimSpace(v))
		if len([]rune(v)) >= minPersonalInfo && strings.Contains(lower, v) {
			return true
		}
	}
	return false
}

// jsLength is a password's length as JavaScript's String.length counts it (UTF-16 code units), the
// way password-sheriff measures it.
func jsLength(s string) int { return len(utf16.Encode([]rune(s))) }
