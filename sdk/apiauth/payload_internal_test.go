package apiauth

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
)

var payloadSeeds = []string{
	`{"iss":"https://t.example/","sub":"auth0|1","aud":["https://api","https://t.example/userinfo"],"iat":1,"exp":2.5,"scope":"a b","permissions":["x","y"]}`,
	` { "iss" : "a" , "aud" : "b" , "exp" : 1e3 , "nested" : {"exp":"no","a":[1,{"b":"]"}]} } `,
	`{"\u0065xp":5,"iss":"x"}`,
	`{"exp":"5"}`,
	`{"exp":null,"iss":null,"aud":null}`,
	`{"iss":"a\"b","aud":["q\\\"",""],"x":"}"}`,
	`{"exp":true}`,
	`{"exp":-1.5e-3,"exp":7}`,
	`{}`,
	`{"aud":[],"permissions":[ ],"scope":["r","w"]}`,
	`{"sub":"\ud83d\ude00","iss":"é"}`,
}

// FuzzTokenClaims checks the hand scan against encoding/json's split of the
// same object into members, on every valid JSON object: same error-ness, same
// decoded claims.
func FuzzTokenClaims(f *testing.F) {
	for _, s := range payloadSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return // encoding/json never hands UnmarshalJSON invalid input
		}
		var fast, slow tokenClaims
		errFast := fast.UnmarshalJSON(b)
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil || obj == nil { // not an object (or null)
			if errFast == nil {
				t.Fatalf("non-object accepted: %s", b)
			}
			return
		}
		errSlow := slow.decodeSlow(b)
		if (errFast == nil) != (errSlow == nil) {
			t.Fatalf("%s: fast err %v, slow err %v", b, errFast, errSlow)
		}
		if errFast != nil {
			return
		}
		if fast.iss != slow.iss || fast.sub != slow.sub || fast.exp != slow.exp || fast.nbf != slow.nbf || fast.iat != slow.iat ||
			fast.jti != slow.jti || fast.azp != slow.azp || fast.clientID != slow.clientID || fast.audInvalid != slow.audInvalid ||
			!slices.Equal(fast.aud, slow.aud) || !slices.Equal(fast.scope, slow.scope) || !slices.Equal(fast.permissions, slow.permissions) {
			t.Fatalf("%s: claims differ: %+v vs %+v", b, fast, slow)
		}
	})
}

// FuzzStringArray checks the hand split of string arrays against encoding/json.
func FuzzStringArray(f *testing.F) {
	for _, s := range []string{`["a","b"]`, `[]`, ` [ "a" , "b" ] `, `["a\"",1]`, `["\u00e9"]`, `[["a"]]`, `[null]`, `["a",]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = bytes.TrimSpace(b)
		if !json.Valid(b) {
			return
		}
		got, ok := stringArray(b)
		var want []string
		err := json.Unmarshal(b, &want)
		wantOK := err == nil && len(b) > 0 && b[0] == '['
		if ok != wantOK || (ok && !slices.Equal(got, want)) {
			t.Fatalf("%s: got %q %v, want %q %v", b, got, ok, want, wantOK)
		}
	})
}

// FuzzParseHeader checks the header scan against a map decode by
// encoding/json.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{`{"alg":"RS256","typ":"JWT","kid":"k1"}`, `{"alg":"none"}`, `{"\u0061lg":"HS256","kid":null}`,
		`{"alg":1,"kid":7,"crit":["exp"]}`, `{"alg":"RS256","alg":"HS256"}`, `[]`, `{"x":{"alg":"none"},"alg":"ES256"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, ok := parseHeader(b)
		var m map[string]any
		err := json.Unmarshal(b, &m)
		if wantOK := err == nil && m != nil; ok != wantOK {
			t.Fatalf("%s: ok %v, want %v", b, ok, wantOK)
		}
		if !ok {
			return
		}
		alg, _ := m["alg"].(string)
		typ, _ := m["typ"].(string)
		kid, kidIsString := m["kid"].(string)
		_, hasCrit := m["crit"]
		kidInvalid := m["kid"] != nil && !kidIsString
		if h.alg != alg || h.typ != typ || h.kid != kid || h.kidInvalid != kidInvalid || h.crit != hasCrit {
			t.Fatalf("%s: got %+v", b, h)
		}
	})
}
