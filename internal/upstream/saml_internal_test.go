package upstream

import (
	"testing"

	"github.com/crewjam/saml"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// TestSAMLProfile: the user id from user_id_attribute, fieldsMap.user_id or the NameID; the
// profile from fieldsMap, else the usual names (names or friendly names); the email unverified.
func TestSAMLProfile(t *testing.T) {
	attr := func(name, friendly, v string) saml.Attribute {
		return saml.Attribute{Name: name, FriendlyName: friendly, Values: []saml.AttributeValue{{Value: v}}}
	}
	a := &saml.Assertion{Subject: &saml.Subject{NameID: &saml.NameID{Value: "00u1abc"}},
		AttributeStatements: []saml.AttributeStatement{{Attributes: []saml.Attribute{
			attr("urn:oid:0.9.2342.19200300.100.1.3", "mail", "ada@partner.example"),
			attr("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", "", "Ada"),
			attr("employeeNumber", "", "E-42"),
			attr("displayName", "", "Ada L."),
			attr("nick", "", "countess"),
		}}}}
	for _, tc := range []struct {
		name    string
		opts    domain.SAMLOptions
		subject string
		nick    string
	}{
		{"NameID", domain.SAMLOptions{}, "00u1abc", ""},
		{"user_id_attribute", domain.SAMLOptions{UserIDAttribute: "employeeNumber"}, "E-42", ""},
		{"user_id_attribute absent", domain.SAMLOptions{UserIDAttribute: "missing"}, "00u1abc", ""},
		{"fieldsMap.user_id", domain.SAMLOptions{FieldsMap: map[string]domain.FieldSource{"user_id": {"missing", "employeeNumber"}, "nickname": {"nick"}}}, "E-42", "countess"},
	} {
		c := &domain.Connection{Name: "partner", Strategy: domain.StrategySAMLP}
		c.Options.SAMLOptions = tc.opts
		p, err := samlProfile(c, a)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p.Subject != tc.subject || p.Nickname != tc.nick || p.Email != "ada@partner.example" || p.GivenName != "Ada" ||
			p.Name != "Ada L." || p.EmailVerified {
			t.Errorf("%s: %+v", tc.name, p)
		}
	}
	if _, err := samlProfile(&domain.Connection{Strategy: domain.StrategySAMLP}, &saml.Assertion{}); err == nil {
		t.Error("an assertion naming nobody was accepted")
	}
}
