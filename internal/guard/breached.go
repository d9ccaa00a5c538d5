package guard

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"sort"
	"sync"
)

// breachedGz is the built-in list of breached passwords (see breached/README.md): sorted in byte
// order, one a line.
//
//go:embed breached/passwords.txt.gz
var breachedGz []byte

var breached struct {
	once  sync.Once
	data  []byte   // the decompressed list
	lines []uint32 // the offset of each line in data
}

func loadBreached() {
	zr, err := gzip.NewReader(bytes.NewReader(breachedGz))
	if err != nil {
		panic("guard: the embedded breached password list is corrupt: " + err.Error())
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		panic("guard: the embedded breached password list is corrupt: " + err.Error())
	}
	lines := make([]uint32, 0, bytes.Count(data, []byte{'\n'})+1)
	for off := 0; off < len(data); {
		lines = append(lines, uint32(off))
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
	}
	breached.data, breached.lines = data, lines
}

func breachedLine(i int) []byte {
	start := breached.lines[i]
	end := len(breached.data)
	if i+1 < len(breached.lines) {
		end = int(breached.lines[i+1])
	}
	if end > int(start) && breached.data[end-1] == '\n' {
		end--
	}
	return breached.data[start:end]
}

// Breached reports whether password is on the built-in list of passwords known from breaches,
// exactly (case and all). The list loads on first use.
func Breached(password string) bool {
	breached.once.Do(loadBreached)
	pw := []byte(password)
	n := len(breached.lines)
	i := sort.Search(n, func(i int) bool { return bytes.Compare(breachedLine(i), pw) >= 0 })
	return i < n && bytes.Equal(breachedLine(i), pw)
}

// BreachedListSize is the number of passwords on the built-in list.
func BreachedListSize() int {
	breached.once.Do(loadBreached)
	return len(breached.lines)
}
