package mgmt

import "encoding/json"

// secretKeys are request properties never copied into the tenant log.
var secretKeys = map[string]bool{
	"password": true, "client_secret": true, "signing_secret": true, "smtp_pass": true, "link_with": true, "app_secret": true,
}

// redactedBody parses a request body for the sapi event and drops passwords and secret values at
// any depth. A body that is not JSON is not recorded.
func redactedBody(raw []byte) any {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	return redact(v)
}

func redact(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if secretKeys[k] {
				delete(t, k)
				continue
			}
			if k == "secrets" { // Action secrets: keep the names, drop the values
				if list, ok := x.([]any); ok {
					for _, item := range list {
						if m, ok := item.(map[string]any); ok {
							delete(m, "value")
						}
					}
				}
			}
			t[k] = redact(x)
		}
	case []any:
		for i, x := range t {
			t[i] = redact(x)
		}
	}
	return v
}
