package tenantcode

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// billionLaughs is the YAML bomb: ten levels of nine aliases each, 9^9 (387 million) strings
// once expanded, from under a kilobyte of text.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString(`lol0: &lol0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]` + "\n")
	for i := 1; i < 10; i++ {
		ref := fmt.Sprintf("*lol%d", i-1)
		fmt.Fprintf(&b, "lol%d: &lol%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(ref+",", 9), ","))
	}
	b.WriteString("tenant:\n  friendly_name: *lol9\n")
	return b.String()
}

// TestYAMLBombRefused: the bomb is refused for what it would expand to, before any value is
// built, and refusing it allocates next to nothing (measured: total bytes allocated).
func TestYAMLBombRefused(t *testing.T) {
	bomb := billionLaughs()
	if len(bomb) > 1024 {
		t.Fatalf("the bomb is %d bytes", len(bomb))
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := parseYAML(bomb)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "expands to more than") {
		t.Fatalf("bomb: %v", err)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("refusing a %d-byte bomb allocated %d bytes in all (heap in use after: %d bytes)", len(bomb), allocated, after.HeapInuse)
	if allocated > 4<<20 {
		t.Errorf("refusing the bomb allocated %d bytes", allocated)
	}
}

// TestYAMLBounds: each shape that could make the parser or the values large is refused with a
// clear error; a document within the bounds that uses aliases and merges reads.
func TestYAMLBounds(t *testing.T) {
	nestedBlock := func(levels int) string {
		var b strings.Builder
		for i := 0; i < levels; i++ {
			fmt.Fprintf(&b, "%sk%d:\n", strings.Repeat(" ", i), i)
		}
		return b.String() + strings.Repeat(" ", levels) + "leaf: 1\n"
	}
	cases := []struct {
		name, text, want string
	}{
		{"flow nesting", "tenant: " + strings.Repeat("[", 10000) + strings.Repeat("]", 10000), "nested deeper than 64"},
		{"dash nesting", "tenant:\n" + strings.Repeat("- ", 10000) + "x\n", "nested deeper than 64"},
		{"block nesting", nestedBlock(100), "nested deeper than 64"},
		{"too many tokens", "tenant: [" + strings.Repeat("a,", 500_000) + "a]\n", "YAML tokens"},
		// The scan takes x" for the start of a quoted scalar; the parser, for a plain one.
		{"tokens after a stray quote", "a: x \"\nb: [" + strings.Repeat("1,", 500_000) + "1]\n", "YAML tokens"},
		{"alias loop", "a: &a\n  b: *a\n", "alias"},
		{"two documents", "tenant: {}\n---\ntenant: {}\n", "more than one document"},
		{"not a mapping", "- clients\n", "must be a mapping"},
		{"infinity", "tenant:\n  session_lifetime: .inf\n", "not a number"},
		{"duplicate key", "tenant: {}\ntenant: {}\n", "key \"tenant\" appears twice"},
		{"malformed", "tenant: [\n", "malformed YAML"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := parseYAML(c.text)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want an error with %q, got %v", c.want, err)
			}
		})
	}

	good := "base: &base\n  callbacks: [\"https://a.example/cb\"]\n  app_type: spa\nclients:\n  - <<: *base\n    name: One\n  - <<: *base\n    name: Two\n    app_type: regular_web\n"
	doc, _, err := parseYAML(good)
	if err != nil {
		t.Fatal(err)
	}
	clients := doc["clients"].([]any)
	one, two := clients[0].(map[string]any), clients[1].(map[string]any)
	if one["app_type"] != "spa" || two["app_type"] != "regular_web" || fmt.Sprint(two["callbacks"]) != "[https://a.example/cb]" {
		t.Errorf("merged: %v / %v", one, two)
	}
}

// TestYAMLScalars: numbers stay numbers, dates and quoted numbers stay text.
func TestYAMLScalars(t *testing.T) {
	doc, _, err := parseYAML("tenant:\n  session_lifetime: 168\n  friendly_name: 2024-01-01\n  support_url: \"123\"\n  enabled: true\n  idle: 0.5\n")
	if err != nil {
		t.Fatal(err)
	}
	tn := doc["tenant"].(map[string]any)
	if tn["session_lifetime"] != 168 || tn["friendly_name"] != "2024-01-01" || tn["support_url"] != "123" || tn["enabled"] != true || tn["idle"] != 0.5 {
		t.Errorf("scalars: %#v", tn)
	}
}
