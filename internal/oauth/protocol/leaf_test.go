package protocol_test

import (
	"go/build"
	"strings"
	"testing"
)

// TestLeaf keeps the package a leaf: the standard library and internal/domain, nothing that could
// import it back.
func TestLeaf(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		first, _, _ := strings.Cut(imp, "/")
		if strings.Contains(first, ".") && imp != "github.com/gatehouse/gatehouse/internal/domain" {
			t.Errorf("protocol imports %s; it may import only the standard library and internal/domain", imp)
		}
	}
}
