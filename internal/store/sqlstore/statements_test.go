package sqlstore

import (
	"strings"
	"testing"
)

// TestGenericTable: every statement has generic text, except the one whose default is to do
// nothing, and the text is what a Select or Count must be for a filtered list to append to it.
func TestGenericTable(t *testing.T) {
	for id := Stmt(0); id < numStmts; id++ {
		text := Generic(id)
		if text == "" && id != RefreshLockFamily && id != ActionCacheLock {
			t.Errorf("statement %d has no generic text", id)
		}
		if strings.Contains(text, "?") {
			t.Errorf("statement %d uses ? placeholders; the table uses $1, $2, …: %s", id, text)
		}
	}
	for _, id := range []Stmt{ClientSelect, ClientCount, ResourceServerSelect, ResourceServerCount, ClientGrantSelect,
		ClientGrantCount, RoleSelect, RoleCount, UserSelect, UserCount, ActionSelect, ActionCount, LogSelect, LogCount} {
		if strings.Contains(strings.ToUpper(Generic(id)), " WHERE ") {
			t.Errorf("statement %d must end before WHERE: %s", id, Generic(id))
		}
	}
}

// TestOverrides: a Dialect's overrides replace exactly the statements they name.
func TestOverrides(t *testing.T) {
	d := &Dialect{Name: "test", Overrides: map[Stmt]string{ActionLock: "SELECT 1"}}
	got := d.Statements()
	if len(got) != int(numStmts) {
		t.Fatalf("%d statements, want %d", len(got), numStmts)
	}
	for id, text := range got {
		want := Generic(Stmt(id))
		if Stmt(id) == ActionLock {
			want = "SELECT 1"
		}
		if text != want {
			t.Errorf("statement %d = %q, want %q", id, text, want)
		}
	}
	if Generic(ActionLock) == "SELECT 1" {
		t.Fatal("an override changed the generic table")
	}
}
