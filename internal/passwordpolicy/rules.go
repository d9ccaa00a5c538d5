package passwordpolicy

import "strings"

// The rules are password-sheriff's (github.com/auth0/password-sheriff, lib/rules), with its
// messages and codes, so that a report reads exactly as Auth0's does.

// rule is one strength rule: explain describes it, missing checks a password against it.
type rule interface {
	explain() Rule
	missing(password string) Rule
}

// levelRules are the rules of each strength level, as auth0-password-policies defines them:
//
//	none:      length ≥ 1
//	low:       length ≥ 6
//	fair:      length ≥ 8, and lower case, upper case and numbers
//	good:      length ≥ 8, and 3 of lower case, upper case, numbers, special characters
//	excellent: length ≥ 10, 3 of the 4 classes, and no more than 2 identical characters in a row
//
// An unset level ("", Auth0's null) is none.
func levelRules(level string) []rule {
	all4 := []charset{lowerCase, upperCase, numbers, specialCharacters}
	switch level {
	case "low":
		return []rule{lengthRule(6)}
	case "fair":
		return []rule{lengthRule(8), containsRule{sets: []charset{lowerCase, upperCase, numbers}}}
	case "good":
		return []rule{lengthRule(8), containsAtLeastRule{atLeast: 3, sets: all4}}
	case "excellent":
		return []rule{lengthRule(10), containsAtLeastRule{atLeast: 3, sets: all4}, identicalCharsRule{max: 2}}
	}
	return []rule{lengthRule(1)}
}

// lengthRule: at least minLength characters (UTF-16 code units, as JavaScript counts).
type lengthRule int

func (l lengthRule) explain() Rule {
	if l == 1 {
		return Rule{Message: "Non-empty password required", Code: "nonEmpty"}
	}
	return Rule{Message: "At least %d characters in length", Format: []any{int(l)}, Code: "lengthAtLeast"}
}

func (l lengthRule) missing(pw string) Rule {
	r := l.explain()
	r.Verified = pw != "" && jsLength(pw) >= int(l)
	return r
}

// charset is one class of characters with password-sheriff's message and code.
type charset struct {
	message, code string
	test          func(rune) bool
}

// specials are OWASP's password special characters, the set password-sheriff tests.
const specials = " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

var (
	lowerCase         = charset{"lower case letters (a-z)", "lowerCase", func(r rune) bool { return r >= 'a' && r <= 'z' }}
	upperCase         = charset{"upper case letters (A-Z)", "upperCase", func(r rune) bool { return r >= 'A' && r <= 'Z' }}
	numbers           = charset{"numbers (i.e. 0-9)", "numbers", func(r rune) bool { return r >= '0' && r <= '9' }}
	specialCharacters = charset{"special characters (e.g. !@#$%^&*)", "specialCharacters", func(r rune) bool { return strings.ContainsRune(specials, r) }}
)

func (c charset) found(pw string) bool { return strings.IndexFunc(pw, c.test) >= 0 }

func items(sets []charset, pw string, check bool) ([]Rule, int) {
	out := make([]Rule, len(sets))
	n := 0
	for i, c := range sets {
		out[i] = Rule{Message: c.message, Code: c.code}
		if check && c.found(pw) {
			out[i].Verified = true
			n++
		}
	}
	return out, n
}

// containsRule: every listed class must appear ("Should contain:").
type containsRule struct{ sets []charset }

func (c containsRule) explain() Rule {
	its, _ := items(c.sets, "", false)
	return Rule{Message: "Should contain:", Code: "shouldContain", Items: its}
}

func (c containsRule) missing(pw string) Rule {
	its, n := items(c.sets, pw, true)
	return Rule{Message: "Should contain:", Code: "shouldContain", Items: its, Verified: n == len(c.sets)}
}

// containsAtLeastRule: at least atLeast of the listed classes must appear.
type containsAtLeastRule struct {
	atLeast int
	sets    []charset
}

const containsAtLeastMsg = "Contain at least %d of the following %d types of characters:"

func (c containsAtLeastRule) explain() Rule {
	its, _ := items(c.sets, "", false)
	return Rule{Message: containsAtLeastMsg, Code: "containsAtLeast", Format: []any{c.atLeast, len(c.sets)}, Items: its}
}

func (c containsAtLeastRule) missing(pw string) Rule {
	its, n := items(c.sets, pw, true)
	return Rule{Message: containsAtLeastMsg, Code: "containsAtLeast", Format: []any{c.atLeast, len(c.sets)}, Items: its, Verified: n >= c.atLeast}
}

// identicalCharsRule: no more than max identical characters in a row.
type identicalCharsRule struct{ max int }

func (c identicalCharsRule) explain() Rule {
	return Rule{Message: `No more than %d identical characters in a row (e.g., "%s" not allowed)`, Code: "identicalChars",
		Format: []any{c.max, strings.Repeat("a", c.max+1)}}
}

func (c identicalCharsRule) missing(pw string) Rule {
	r := c.explain()
	r.Verified = pw != ""
	var prev rune
	run := 0
	for i, ch := range pw {
		if i > 0 && ch == prev {
			run++
		} else {
			prev, run = ch, 1
		}
		if run > c.max {
			r.Verified = false
			break
		}
	}
	return r
}
