package passwordpolicy_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/passwordpolicy"
)

func level(l string) *passwordpolicy.Policy {
	return passwordpolicy.New(domain.ConnectionOptions{PasswordPolicy: l})
}

// TestLevels checks each strength level against Auth0's documented rules ("Password Strength in Auth0
// Database Connections"): none = at least one character; low = 6 characters; fair = 8 characters with
// lower case, upper case and numbers; good = 8 characters with 3 of the 4 classes; excellent = 10
// characters with 3 of the 4 classes and no more than 2 identical characters in a row ("111" refused).
func TestLevels(t *testing.T) {
	cases := []struct {
		level, password string
		ok              bool
	}{
		{"none", "", false},
		{"none", "a", true},
		{"", "a", true}, // Auth0's null level is none
		{"low", "abcde", false},
		{"low", "abcdef", true},
		{"low", "ééééé", false}, // five characters, however many bytes
		{"fair", "abcdefg1A", true},
		{"fair", "Abcdef1", false},   // 7 characters
		{"fair", "abcdefgh1", false}, // no upper case
		{"fair", "ABCDEFGH1", false}, // no lower case
		{"fair", "Abcdefgh!", false}, // no number: special characters do not stand in for one
		{"good", "abcdefg1A", true},  // lower, upper, number
		{"good", "abcdefg1!", true},  // lower, number, special
		{"good", "ABCDEFG1!", true},  // upper, number, special
		{"good", "abcdefgh!", false}, // two classes
		{"good", "Abc1!", false},     // 5 characters
		{"good", "abcdéfgh1", false}, // é is none of the four classes (ASCII tests, as password-sheriff's)
		{"good", "abc defg1", true},  // a space is a special character (OWASP's list)
		{"excellent", "Abcdefgh1!", true},
		{"excellent", "Abcdefg1!", false},   // 9 characters
		{"excellent", "Abcdefgh111", false}, // "111": three identical characters in a row
		{"excellent", "Abcdefgh11x", true},  // two in a row are allowed
		{"excellent", "aaaBBBccc1", false},
		{"excellent", "abcdefghij", false}, // one class
	}
	for _, c := range cases {
		v := level(c.level).Check(c.password, nil)
		if (v == nil) != c.ok {
			t.Errorf("%s %q: accepted=%v, want %v (%v)", c.level, c.password, v == nil, c.ok, v)
		}
		if v != nil && (v.Name != "PasswordStrengthError" || v.Message != "Password is too weak" || v.Report == nil || v.Report.Verified) {
			t.Errorf("%s %q: violation %+v", c.level, c.password, v)
		}
	}
}

// TestReportShape: the report is password-sheriff's missing() output, which Auth0 returns as a
// PasswordStrengthError's description (spec §1.9), and the policy text its toString().
func TestReportShape(t *testing.T) {
	v := level("good").Check("abc", nil)
	if v == nil {
		t.Fatal("weak password accepted")
	}
	got, _ := json.Marshal(v.Report)
	want := `{"rules":[{"message":"At least %d characters in length","format":[8],"code":"lengthAtLeast","verified":false},` +
		`{"message":"Contain at least %d of the following %d types of characters:","format":[3,4],"code":"containsAtLeast","items":[` +
		`{"message":"lower case letters (a-z)","code":"lowerCase","verified":true},` +
		`{"message":"upper case letters (A-Z)","code":"upperCase","verified":false},` +
		`{"message":"numbers (i.e. 0-9)","code":"numbers","verified":false},` +
		`{"message":"special characters (e.g. !@#$%^\u0026*)","code":"specialCharacters","verified":false}],"verified":false}],"verified":false}`
	if string(got) != want {
		t.Errorf("report\n got %s\nwant %s", got, want)
	}
	wantPolicy := "* At least 8 characters in length\n* Contain at least 3 of the following 4 types of characters:\n" +
		" * lower case letters (a-z)\n * upper case letters (A-Z)\n * numbers (i.e. 0-9)\n * special characters (e.g. !@#$%^&*)"
	if v.Policy != wantPolicy {
		t.Errorf("policy\n got %q\nwant %q", v.Policy, wantPolicy)
	}
	if got := level("excellent").Text(); !strings.HasSuffix(got, `* No more than 2 identical characters in a row (e.g., "aaa" not allowed)`) {
		t.Errorf("excellent text: %q", got)
	}
	if got := level("none").Text(); got != "* Non-empty password required" {
		t.Errorf("none text: %q", got)
	}
	if got := level("fair").Text(); !strings.Contains(got, "* Should contain:\n * lower case letters (a-z)") {
		t.Errorf("fair text: %q", got)
	}
}

func TestMinLengthReplacesTheLevelsLength(t *testing.T) {
	p := passwordpolicy.New(domain.ConnectionOptions{PasswordPolicy: "good", PasswordComplexityOptions: &domain.PasswordComplexityOptions{MinLength: 12}})
	if p.Check("Abcdefgh1!x", nil) == nil {
		t.Error("11 characters accepted with min_length 12")
	}
	if v := p.Check("Abcdefgh1!xy", nil); v != nil {
		t.Errorf("12 characters refused: %v", v)
	}
	low := passwordpolicy.New(domain.ConnectionOptions{PasswordPolicy: "low", PasswordComplexityOptions: &domain.PasswordComplexityOptions{MinLength: 3}})
	if v := low.Check("abc", nil); v != nil {
		t.Errorf("min_length 3 below the level's 6 is the rule: %v", v)
	}
}

func TestMaximumLength(t *testing.T) {
	v := level("none").Check(strings.Repeat("a", passwordpolicy.MaxBytes+1), nil)
	if v == nil || v.Name != "PasswordStrengthError" {
		t.Fatalf("over-long password: %v", v)
	}
	last := v.Report.Rules[len(v.Report.Rules)-1]
	if last.Code != "maxLength" || last.Verified {
		t.Errorf("last rule %+v", last)
	}
	if level("none").Check(strings.Repeat("a", passwordpolicy.MaxBytes), nil) != nil {
		t.Error("a password of exactly MaxBytes refused")
	}
}

func TestDictionary(t *testing.T) {
	if n := passwordpolicy.CommonPasswordCount(); n < 10000 {
		t.Fatalf("built-in list has %d passwords, want at least 10000", n)
	}
	p := passwordpolicy.New(domain.ConnectionOptions{PasswordPolicy: "low",
		PasswordDictionary: &domain.PasswordDictionaryOptions{Enable: true, Dictionary: []string{"Gatehouse2024"}}})
	cases := []struct {
		pw string
		ok bool
	}{
		{"password", false},  // first line of the list
		{"PaSsWoRd1", false}, // listed as password1; case does not matter
		{"eyphed", false},    // last line of the list
		{"trustno1", false},  // from the middle
		{"gatehouse2024", false},
		{"GATEHOUSE2024", false},
		{"correct horse battery staple", true},
		{"password-but-longer", true}, // contains a listed word: judged by strength alone
	}
	for _, c := range cases {
		v := p.Check(c.pw, nil)
		if (v == nil) != c.ok {
			t.Errorf("%q: accepted=%v, want %v", c.pw, v == nil, c.ok)
		}
		if v != nil && (v.Name != "PasswordDictionaryError" || v.Error() != "PasswordDictionaryError: Password is too common") {
			t.Errorf("%q: %v", c.pw, v)
		}
	}
	off := passwordpolicy.New(domain.ConnectionOptions{PasswordPolicy: "low", PasswordDictionary: &domain.PasswordDictionaryOptions{Enable: false}})
	if v := off.Check("password", nil); v != nil {
		t.Errorf("dictionary off still refuses: %v", v)
	}
}

func TestNoPersonalInfo(t *testing.T) {
	p := passwordpolicy.New(domain.ConnectionOptions{PasswordPolicy: "low", PasswordNoPersonalInfo: &domain.EnableOption{Enable: true}})
	u := &domain.User{Email: "jdoe@example.com", Name: "John", Nickname: "johnny", Username: "jd",
		UserMetadata: map[string]any{"first": "Jonathan", "last": "Doe-Smith", "name": 7}}
	cases := []struct {
		pw string
		ok bool
	}{
		{"John1234", false},       // Auth0's own example
		{"xxJOHNxx", false},       // any case
		{"my-jdoe-pass", false},   // the email's local part
		{"Jonathan99", false},     // user_metadata.first
		{"i-am-doe-smith", false}, // user_metadata.last
		{"xjdx-1234", true},       // username "jd" is under three characters
		{"correct horse", true},
	}
	for _, c := range cases {
		v := p.Check(c.pw, u)
		if (v == nil) != c.ok {
			t.Errorf("%q: accepted=%v, want %v", c.pw, v == nil, c.ok)
		}
		if v != nil && v.Error() != "PasswordNoUserInfoError: Password contains user information" {
			t.Errorf("%q: %v", c.pw, v)
		}
	}
}

func TestHistory(t *testing.T) {
	p := passwordpolicy.New(domain.ConnectionOptions{PasswordPolicy: "none", PasswordHistory: &domain.PasswordHistoryOptions{Enable: true, Size: 2}})
	if p.HistorySize() != 2 {
		t.Fatalf("size %d", p.HistorySize())
	}
	var compared []string
	match := func(hash, pw string) (bool, error) {
		compared = append(compared, hash)
		return hash == "h:"+pw, nil
	}
	hashes := []string{"h:new", "h:older", "h:oldest"}
	if v, _ := p.CheckHistory("older", hashes, match); v == nil || v.Error() != "PasswordHistoryError: Password has previously been used" {
		t.Errorf("second newest accepted: %v", v)
	}
	compared = nil
	if v, _ := p.CheckHistory("oldest", hashes, match); v != nil {
		t.Errorf("a password beyond the history size refused: %v", v)
	}
	if len(compared) != 2 {
		t.Errorf("compared %d hashes, want the 2 the size keeps", len(compared))
	}
	off := passwordpolicy.New(domain.ConnectionOptions{})
	if v, _ := off.CheckHistory("new", hashes, match); v != nil {
		t.Errorf("history off refuses: %v", v)
	}
	if passwordpolicy.New(domain.ConnectionOptions{PasswordHistory: &domain.PasswordHistoryOptions{Enable: true}}).HistorySize() != domain.DefaultPasswordHistory {
		t.Error("enabled history without a size keeps Auth0's default of 5")
	}
}
