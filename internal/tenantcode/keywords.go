package tenantcode

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Mappings are the Deploy CLI's AUTH0_KEYWORD_REPLACE_MAPPINGS: `##KEY##` in a file becomes the
// value as text, `@@KEY@@` (quoted or not) becomes the value JSON-encoded (an array, an object).
type Mappings map[string]any

// MappingsEnv is the environment variable the Deploy CLI reads its mappings from (a JSON object).
const MappingsEnv = "AUTH0_KEYWORD_REPLACE_MAPPINGS"

const maxMappingsBytes = 1 << 20

// maxReplacedBytes bounds one file's text with its keywords replaced, checked before each
// replacement: the file is untrusted, and a keyword used many times over with a long value (a
// certificate, a list) would otherwise multiply a bounded file's size many times.
const maxReplacedBytes = 16 << 20

// checkGrowth refuses replacing marker by a value of n bytes when the text would outgrow
// maxReplacedBytes.
func checkGrowth(file, text, marker string, n int) error {
	if c := strings.Count(text, marker); c > 0 && len(text)+c*(n-len(marker)) > maxReplacedBytes {
		return fmt.Errorf("%s: keyword %s is used %d times; replaced, the text would exceed %d bytes", file, marker, c, maxReplacedBytes)
	}
	return nil
}

var keywordName = regexp.MustCompile(`^[A-Za-z0-9_]{1,128}$`)

// ParseMappings reads a mappings file: a JSON object of keywords, a Deploy CLI config.json (its
// AUTH0_KEYWORD_REPLACE_MAPPINGS is used), or env-style KEY=VALUE lines (# comments allowed).
func ParseMappings(name string, raw []byte) (Mappings, error) {
	if len(raw) > maxMappingsBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxMappingsBytes)
	}
	trimmed := bytes.TrimSpace(raw)
	m := Mappings{}
	if bytes.HasPrefix(trimmed, []byte("{")) {
		if err := json.Unmarshal(trimmed, &m); err != nil {
			return nil, fmt.Errorf("%s: not a JSON object of keywords: %w", name, err)
		}
		if inner, ok := m[MappingsEnv]; ok {
			obj, ok := inner.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: %s is not an object", name, MappingsEnv)
			}
			m = obj
		}
	} else {
		sc := bufio.NewScanner(bytes.NewReader(trimmed))
		sc.Buffer(make([]byte, 0, 64<<10), maxMappingsBytes)
		for line := 1; sc.Scan(); line++ {
			l := strings.TrimSpace(sc.Text())
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			l = strings.TrimPrefix(l, "export ")
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				return nil, fmt.Errorf("%s:%d: not KEY=VALUE", name, line)
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"') {
				uq, err := strconv.Unquote(v)
				if err != nil {
					return nil, fmt.Errorf("%s:%d: %w", name, line, err)
				}
				v = uq
			} else if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
				v = v[1 : len(v)-1]
			}
			m[k] = v
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	for k := range m {
		if !keywordName.MatchString(k) {
			return nil, fmt.Errorf("%s: keyword %q must be 1 to 128 letters, digits or _", name, k)
		}
	}
	return m, nil
}

var leftover = regexp.MustCompile(`##([A-Za-z0-9_]{1,128})##|@@([A-Za-z0-9_]{1,128})@@`)

// replace applies the mappings to one file's text. In a JSON file a `##KEY##` value is escaped
// as JSON string content, so a value holding a quote cannot change the document's structure; in
// code and templates it is inserted as it is, as the Deploy CLI does. A keyword left in the text
// is an error naming the file and the keyword.
func (m Mappings) replace(file string, text string, isJSON bool) (string, error) {
	if strings.Contains(text, "@@") {
		for k, v := range m {
			enc, err := marshalPlain(v)
			if err != nil {
				return "", fmt.Errorf("%s: keyword %s: %w", file, k, err)
			}
			marker := "@@" + k + "@@"
			if err := checkGrowth(file, text, marker, len(enc)); err != nil {
				return "", err
			}
			for _, q := range []string{`"` + marker + `"`, `'` + marker + `'`, marker} {
				text = strings.ReplaceAll(text, q, string(enc))
			}
		}
	}
	if strings.Contains(text, "##") {
		for k, v := range m {
			s, ok := v.(string)
			if !ok {
				b, err := marshalPlain(v)
				if err != nil {
					return "", fmt.Errorf("%s: keyword %s: %w", file, k, err)
				}
				s = string(b)
			}
			if isJSON {
				b, _ := marshalPlain(s)
				s = string(b[1 : len(b)-1])
			}
			if err := checkGrowth(file, text, "##"+k+"##", len(s)); err != nil {
				return "", err
			}
			text = strings.ReplaceAll(text, "##"+k+"##", s)
		}
	}
	if loc := leftover.FindStringSubmatchIndex(text); loc != nil {
		line := 1 + strings.Count(text[:loc[0]], "\n")
		return "", fmt.Errorf("%s:%d: keyword %s has no value (give it in --keywords or %s)", file, line, text[loc[0]:loc[1]], MappingsEnv)
	}
	return text, nil
}

// marshalPlain is JSON without HTML escaping (a URL's & stays &), as JSON.stringify writes it.
func marshalPlain(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
