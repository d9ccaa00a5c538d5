package tenantcode

import (
	"strings"
	"testing"
)

func TestParseMappings(t *testing.T) {
	cases := map[string]string{
		"json":   `{"A": "x", "LIST": ["a", "b"]}`,
		"config": `{"AUTH0_DOMAIN": "t.example", "AUTH0_KEYWORD_REPLACE_MAPPINGS": {"A": "x", "LIST": ["a", "b"]}}`,
	}
	for name, raw := range cases {
		m, err := ParseMappings(name, []byte(raw))
		if err != nil || m["A"] != "x" || len(m["LIST"].([]any)) != 2 || len(m) != 2 {
			t.Errorf("%s: %v %v", name, m, err)
		}
	}
	m, err := ParseMappings("env", []byte("# c\nexport A=x\nB=\"q\\\"d\"\nC='s p'\n"))
	if err != nil || m["A"] != "x" || m["B"] != `q"d` || m["C"] != "s p" {
		t.Errorf("env: %v %v", m, err)
	}
	for _, bad := range []string{"A", `{"bad key": "x"}`, `{"AUTH0_KEYWORD_REPLACE_MAPPINGS": "x"}`, "{"} {
		if _, err := ParseMappings("bad", []byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestReplace(t *testing.T) {
	m := Mappings{"URL": `https://a.example/"x"`, "LIST": []any{"a", "b"}, "DOLLAR": "$&$1"}
	cases := []struct {
		in, json, text string
	}{
		{`{"u": "##URL##/cb"}`, `{"u": "https://a.example/\"x\"/cb"}`, `{"u": "https://a.example/"x"/cb"}`},
		{`{"l": @@LIST@@, "q": "@@LIST@@", "s": '@@LIST@@'}`, `{"l": ["a","b"], "q": ["a","b"], "s": ["a","b"]}`, ""},
		{`##DOLLAR##`, `$&$1`, `$&$1`},
	}
	for _, c := range cases {
		got, err := m.replace("f.json", c.in, true)
		if err != nil || got != c.json {
			t.Errorf("json %q: %q %v", c.in, got, err)
		}
		if c.text != "" {
			if got, err := m.replace("f.js", c.in, false); err != nil || got != c.text {
				t.Errorf("text %q: %q %v", c.in, got, err)
			}
		}
	}
	_, err := m.replace("clients/a.json", "{\n\"a\": \"##URL##\",\n\"b\": \"##MISSING##\"}", true)
	if err == nil || !strings.Contains(err.Error(), "clients/a.json:3: keyword ##MISSING## has no value") {
		t.Errorf("leftover: %v", err)
	}
}

func TestLineDiff(t *testing.T) {
	var b strings.Builder
	writeLineDiff(&b, "a\nb\nc\n", "a\nB\nc\nd\n")
	if got := b.String(); got != "      -2: b\n      +2: B\n      +4: d\n" {
		t.Errorf("diff:\n%s", got)
	}
}

// TestReplaceBounded: a keyword repeated throughout a bounded file with a long value is refused
// before the text is built, naming the keyword.
func TestReplaceBounded(t *testing.T) {
	m := Mappings{"CERT": strings.Repeat("x", 4096), "LIST": []any{strings.Repeat("y", 4096)}}
	for _, in := range []string{strings.Repeat("##CERT##\n", 1<<13), strings.Repeat("@@LIST@@,", 1<<13)} {
		_, err := m.replace("tenant.yaml", in, false)
		if err == nil || !strings.Contains(err.Error(), "would exceed") {
			t.Errorf("%.20s…: %v", in, err)
		}
	}
	if _, err := m.replace("tenant.yaml", strings.Repeat("##CERT##\n", 100), false); err != nil {
		t.Errorf("a few uses: %v", err)
	}
}
