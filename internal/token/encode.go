package token

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// payload appends a JSON object of claims in one pass. Keys are written by this package and never
// need escaping; values are escaped per RFC 8259 §7.
type payload struct {
	b     []byte
	first bool
	err   error
}

func newPayload(size int) *payload {
	p := &payload{b: make([]byte, 0, size), first: true}
	p.b = append(p.b, '{')
	return p
}

func (p *payload) key(k string) {
	if !p.first {
		p.b = append(p.b, ',')
	}
	p.first = false
	p.b = append(p.b, '"')
	p.b = append(p.b, k...)
	p.b = append(p.b, '"', ':')
}

func (p *payload) str(k, v string) {
	p.key(k)
	p.b = appendString(p.b, v)
}

func (p *payload) num(k string, v int64) {
	p.key(k)
	p.b = strconv.AppendInt(p.b, v, 10)
}

func (p *payload) boolean(k string, v bool) {
	p.key(k)
	p.b = strconv.AppendBool(p.b, v)
}

func (p *payload) strs(k string, vs []string) {
	p.key(k)
	p.b = append(p.b, '[')
	for i, v := range vs {
		if i > 0 {
			p.b = append(p.b, ',')
		}
		p.b = appendString(p.b, v)
	}
	p.b = append(p.b, ']')
}

// value encodes an arbitrary claim value (custom claims from Actions) with encoding/json.
func (p *payload) value(k string, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		if p.err == nil {
			p.err = err
		}
		return
	}
	p.key(k)
	p.b = append(p.b, raw...)
}

func (p *payload) bytes() ([]byte, error) {
	return append(p.b, '}'), p.err
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD as encoding/json does.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but break JavaScript string literals; escape them as
		// encoding/json does.
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
