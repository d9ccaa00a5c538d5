package passwordpolicy

import (
	_ "embed"
	"strings"
	"sync"
)

// commonPasswords is SecLists' 10k-most-common.txt (see README.md beside it): the 10,000 passwords
// seen most often in public breaches, one a line, shipped in the binary.
//
//go:embed common-passwords.txt
var commonPasswords string

var commonSet = sync.OnceValue(func() map[string]struct{} {
	lines := strings.Split(strings.TrimSpace(commonPasswords), "\n")
	set := make(map[string]struct{}, len(lines))
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			set[strings.ToLower(l)] = struct{}{}
		}
	}
	return set
})

// commonPassword reports whether lower (a lower-cased password) is on the built-in list.
func commonPassword(lower string) bool {
	_, ok := commonSet()[lower]
	return ok
}

// CommonPasswordCount is the size of the built-in list.
func CommonPasswordCount() int { return len(commonSet()) }
