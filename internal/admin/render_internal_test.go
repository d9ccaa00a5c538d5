package admin

import (
	"html/template"
	"sync"
	"testing"
)

// mustPage returns the parsed page name or ends the test.
func mustPage(t *testing.T, p *pages, name string) *template.Template {
	t.Helper()
	tpl, err := p.page(name)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// TestEveryPageParses: the pages are parsed on first use, so a broken template is found here and not
// by the first person to open it. Each page carries the layout it renders through.
func TestEveryPageParses(t *testing.T) {
	p, err := loadPages()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.byName) < 10 {
		t.Fatalf("only %d pages found", len(p.byName))
	}
	for name := range p.byName {
		tpl := mustPage(t, p, name)
		if tpl.Lookup("layout") == nil {
			t.Errorf("page %s has no layout", name)
		}
	}
	if _, err := p.page("no-such-page"); err == nil {
		t.Error("an unknown page was found")
	}
}

// TestPageParsedOnce: concurrent first requests share one parse, and later ones get the same
// template.
func TestPageParsedOnce(t *testing.T) {
	p, err := loadPages()
	if err != nil {
		t.Fatal(err)
	}
	got := make([]*template.Template, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = p.page("logs")
		}()
	}
	wg.Wait()
	for _, tpl := range got {
		if tpl == nil || tpl != got[0] {
			t.Fatal("the logs page was parsed more than once or not at all")
		}
	}
}
