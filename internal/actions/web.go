package actions

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	_ "embed"

	"github.com/dop251/goja"
)

//go:embed web/prelude.js
var preludeSrc string

//go:embed web/modules.js
var modulesSrc string

var (
	preludePrg = mustCompileInternal("prelude.js", preludeSrc)
	modulesPrg = mustCompileInternal("modules.js", modulesSrc)
)

// maxBufferBytes bounds one Buffer a native builds or reads: a byte is a slot in a
// JavaScript array (about 16 bytes), so a whole response body fits and nothing bigger.
const maxBufferBytes = 2 << 20

// webGlobals are the globals web/prelude.js defines.
var webGlobals = []string{"Buffer", "atob", "btoa", "TextEncoder", "TextDecoder", "URLSearchParams", "URL",
	"DOMException", "AbortSignal", "AbortController", "Headers", "Request", "Response", "fetch", "crypto", "queueMicrotask"}

// installWeb adds the globals an action shares with Node and the browser (timers, fetch,
// URL, Buffer, TextEncoder, crypto.randomUUID) and prepares the built-in modules require
// returns. The natives are handed to the prelude as an argument and never become globals.
//
// The prelude runs on first use: each of its globals starts as an accessor that runs it,
// so an action that uses none of them (most post-login actions) does not pay for it.
func (ex *execution) installWeb(vm *goja.Runtime, l *loop, b Bound) error {
	l.installTimers(vm)
	ex.builtins = nil // the previous action's modules belong to its own runtime
	g := vm.GlobalObject()
	var loaded bool
	var web goja.Value
	ensure := func() {
		if loaded {
			return
		}
		loaded = true
		for _, name := range webGlobals {
			_ = g.Delete(name)
		}
		v, err := ex.runPrelude(vm, l, b)
		if err != nil {
			panic(err)
		}
		web = v
	}
	for _, name := range webGlobals {
		name := name
		get := vm.ToValue(func(goja.FunctionCall) goja.Value {
			ensure()
			return g.Get(name)
		})
		set := vm.ToValue(func(c goja.FunctionCall) goja.Value {
			ensure()
			_ = g.Set(name, c.Argument(0))
			return goja.Undefined()
		})
		if err := g.DefineAccessorProperty(name, get, set, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
			return err
		}
	}
	ex.loadBuiltins = func() (*goja.Object, error) {
		ensure()
		mods, err := vm.RunProgram(modulesPrg())
		if err != nil {
			return nil, err
		}
		mfn, ok := goja.AssertFunction(mods)
		if !ok {
			return nil, fmt.Errorf("modules is not a function")
		}
		natives := web.ToObject(vm).Get("natives")
		table, err := mfn(goja.Undefined(), natives, web)
		if err != nil {
			return nil, err
		}
		return table.ToObject(vm), nil
	}
	return nil
}

// runPrelude defines the web globals and returns what the modules build on.
func (ex *execution) runPrelude(vm *goja.Runtime, l *loop, b Bound) (goja.Value, error) {
	natives := vm.NewObject()
	ex.installFetch(vm, l, natives, b)
	ex.installByteNatives(vm, natives)
	installCryptoNatives(vm, natives)
	prelude, err := vm.RunProgram(preludePrg())
	if err != nil {
		return nil, err
	}
	fn, ok := goja.AssertFunction(prelude)
	if !ok {
		return nil, fmt.Errorf("prelude is not a function")
	}
	return fn(goja.Undefined(), natives, vm.Get("setTimeout"), vm.Get("clearTimeout"))
}

// readBytes converts a JavaScript array of byte values (a Buffer) to bytes.
func readBytes(vm *goja.Runtime, v goja.Value) []byte {
	o, ok := v.(*goja.Object)
	if !ok || o.ClassName() != "Array" {
		if s, ok := v.Export().(string); ok {
			return []byte(s)
		}
		panic(vm.NewTypeError("expected a Buffer, an array of bytes or a string"))
	}
	if n := toLength(o.Get("length")); n > maxBufferBytes {
		panic(newError(vm, "RangeError", fmt.Sprintf("buffers are limited to %d bytes", maxBufferBytes)))
	}
	items, _ := o.Export().([]any)
	out := make([]byte, len(items))
	for i, it := range items {
		switch x := it.(type) {
		case int64:
			out[i] = byte(x)
		case float64:
			out[i] = byte(int64(x))
		default:
			out[i] = byte(vm.ToValue(it).ToInteger())
		}
	}
	return out
}

// byteArray is b as a JavaScript array of numbers (the prelude gives it Buffer's prototype).
func byteArray(vm *goja.Runtime, b []byte) goja.Value {
	if len(b) > maxBufferBytes {
		panic(newError(vm, "RangeError", fmt.Sprintf("buffers are limited to %d bytes", maxBufferBytes)))
	}
	items := make([]any, len(b))
	for i, c := range b {
		items[i] = int64(c)
	}
	return vm.NewArray(items...)
}

func (ex *execution) installByteNatives(vm *goja.Runtime, n *goja.Object) {
	str := func(v goja.Value) string {
		s := v.String()
		if len(s) > 4*maxBufferBytes {
			panic(newError(vm, "RangeError", fmt.Sprintf("strings converted to bytes are limited to %d bytes", 4*maxBufferBytes)))
		}
		return s
	}
	_ = n.Set("decode", func(c goja.FunctionCall) goja.Value {
		s, enc := str(c.Argument(0)), c.Argument(1).String()
		var b []byte
		var err error
		switch enc {
		case "utf8":
			b = []byte(s)
		case "hex":
			if len(s)%2 == 1 {
				s = s[:len(s)-1] // Node stops at the last whole byte
			}
			b, err = hex.DecodeString(s)
		case "base64", "base64url":
			s = strings.NewReplacer("-", "+", "_", "/", "\n", "", "\r", "", " ", "", "=", "").Replace(s)
			b, err = base64.RawStdEncoding.DecodeString(s)
		case "latin1", "ascii":
			b = make([]byte, 0, len(s))
			for _, r := range s {
				if enc == "ascii" {
					r &= 0x7f
				}
				b = append(b, byte(r))
			}
		default:
			panic(vm.NewTypeError("Unknown encoding: %s", enc))
		}
		if err != nil {
			b = nil // Node decodes what it can; an invalid string yields what precedes the error
		}
		return byteArray(vm, b)
	})
	_ = n.Set("encode", func(c goja.FunctionCall) goja.Value {
		b, enc := readBytes(vm, c.Argument(0)), c.Argument(1).String()
		switch enc {
		case "utf8":
			return vm.ToValue(strings.ToValidUTF8(string(b), string(utf8.RuneError)))
		case "hex":
			return vm.ToValue(hex.EncodeToString(b))
		case "base64":
			return vm.ToValue(base64.StdEncoding.EncodeToString(b))
		case "base64url":
			return vm.ToValue(base64.RawURLEncoding.EncodeToString(b))
		case "latin1", "ascii":
			r := make([]rune, len(b))
			for i, x := range b {
				if enc == "ascii" {
					x &= 0x7f
				}
				r[i] = rune(x)
			}
			return vm.ToValue(string(r))
		}
		panic(vm.NewTypeError("Unknown encoding: %s", enc))
	})
	_ = n.Set("bytes", func(c goja.FunctionCall) goja.Value { return byteArray(vm, readBytes(vm, c.Argument(0))) })
	_ = n.Set("alloc", func(c goja.FunctionCall) goja.Value {
		size := c.Argument(0).ToInteger()
		if size < 0 || size > maxBufferBytes {
			panic(newError(vm, "RangeError", fmt.Sprintf("The value of \"size\" is out of range (0 to %d)", maxBufferBytes)))
		}
		fill := byte(0)
		if s, ok := c.Argument(1).Export().(string); ok && s != "" {
			fill = s[0]
		} else {
			fill = byte(c.Argument(1).ToInteger())
		}
		return byteArray(vm, bytes.Repeat([]byte{fill}, int(size)))
	})
	_ = n.Set("concat", func(c goja.FunctionCall) goja.Value {
		list, ok := c.Argument(0).(*goja.Object)
		if !ok || list.ClassName() != "Array" {
			panic(vm.NewTypeError("The \"list\" argument must be an instance of Array"))
		}
		var out []byte
		items, _ := list.Export().([]any)
		for i := range items {
			out = append(out, readBytes(vm, list.Get(fmt.Sprint(i)))...)
			if len(out) > maxBufferBytes {
				panic(newError(vm, "RangeError", fmt.Sprintf("buffers are limited to %d bytes", maxBufferBytes)))
			}
		}
		return byteArray(vm, out)
	})
	_ = n.Set("compare", func(c goja.FunctionCall) goja.Value {
		return vm.ToValue(bytes.Compare(readBytes(vm, c.Argument(0)), readBytes(vm, c.Argument(1))))
	})
	_ = n.Set("randomBytes", func(c goja.FunctionCall) goja.Value {
		size := c.Argument(0).ToInteger()
		if size < 0 || size > 65536 {
			panic(newError(vm, "RangeError", "The value of \"size\" is out of range (0 to 65536)"))
		}
		b := make([]byte, size)
		_, _ = rand.Read(b)
		return byteArray(vm, b)
	})
	_ = n.Set("randomUUID", func(goja.FunctionCall) goja.Value {
		var b [16]byte
		_, _ = rand.Read(b[:])
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		h := hex.EncodeToString(b[:])
		return vm.ToValue(h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:])
	})
	_ = n.Set("parseURL", func(c goja.FunctionCall) goja.Value { return parseURL(vm, str(c.Argument(0)), str(c.Argument(1))) })
	_ = n.Set("escapePath", func(c goja.FunctionCall) goja.Value {
		return vm.ToValue((&url.URL{Path: str(c.Argument(0))}).EscapedPath())
	})
	_ = n.Set("escapeQuery", func(c goja.FunctionCall) goja.Value {
		return vm.ToValue(escapeQuery(str(c.Argument(0))))
	})
}

// escapeQuery percent-encodes what a URL's query or fragment may not hold as is, leaving
// existing escapes alone (WHATWG's query percent-encode set).
func escapeQuery(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '`' || c == '#' && i > 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// parseURL is the URL constructor's parser: input resolved against base, as its parts.
func parseURL(vm *goja.Runtime, input, base string) goja.Value {
	invalid := func() { panic(vm.NewTypeError("Invalid URL")) }
	input = strings.TrimSpace(input)
	u, err := url.Parse(input)
	if err != nil {
		invalid()
	}
	if base != "" {
		bu, err := url.Parse(strings.TrimSpace(base))
		if err != nil || bu.Scheme == "" {
			invalid()
		}
		u = bu.ResolveReference(u)
	} else {
		u = u.ResolveReference(u) // removes dot segments, as the WHATWG parser does
	}
	if u.Scheme == "" || u.Opaque != "" && (u.Scheme == "http" || u.Scheme == "https") {
		invalid()
	}
	special := u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "ws" || u.Scheme == "wss" || u.Scheme == "ftp"
	if special && u.Host == "" {
		invalid()
	}
	port := u.Port()
	if (u.Scheme == "http" || u.Scheme == "ws") && port == "80" || (u.Scheme == "https" || u.Scheme == "wss") && port == "443" {
		port = ""
	}
	path := u.EscapedPath()
	if u.Opaque != "" {
		path = u.Opaque
	}
	if special && path == "" {
		path = "/"
	}
	o := vm.NewObject()
	_ = o.Set("protocol", strings.ToLower(u.Scheme)+":")
	_ = o.Set("username", u.User.Username())
	pw, _ := u.User.Password()
	_ = o.Set("password", pw)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	_ = o.Set("hostname", host)
	_ = o.Set("port", port)
	_ = o.Set("pathname", path)
	search := ""
	if u.RawQuery != "" || u.ForceQuery {
		search = "?" + escapeQuery(u.RawQuery)
	}
	if search == "?" {
		search = ""
	}
	_ = o.Set("search", search)
	hash := ""
	if f := u.EscapedFragment(); f != "" {
		hash = "#" + f
	}
	_ = o.Set("hash", hash)
	return o
}
