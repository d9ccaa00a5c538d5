package mailtemplate

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/osteele/liquid/expressions"
	"github.com/osteele/liquid/filters"
	"github.com/osteele/liquid/parser"
	"github.com/osteele/liquid/render"
)

// Limits on one rendering of one template. A template is source an administrator wrote; the
// values it reads come partly from users. Neither may make a node spend unbounded time or memory.
const (
	// MaxOutput is the most a rendered part (body, text or subject) may hold.
	MaxOutput = 512 << 10
	// MaxValue is the most any one value a filter, assign or capture makes may hold.
	MaxValue = 256 << 10
	// MaxAllocated is the most all the values one rendering makes may hold together.
	MaxAllocated = 4 << 20
	// MaxIterations is the most loop iterations one rendering may run, all loops together.
	MaxIterations = 10_000
	// RenderDeadline is the longest one rendering may run.
	RenderDeadline = 250 * time.Millisecond
)

// ErrLimit is the cause of every refusal for exceeding a limit.
var ErrLimit = errors.New("the template exceeds what one mail may take to render")

var (
	errBreak    = errors.New("break outside a loop")
	errContinue = errors.New("continue outside a loop")
)

// run is one rendering: its budget, and the Liquid configuration whose filters and tags charge it.
// Each rendering compiles its template afresh with its own run, so no state is shared between
// renderings and no limit depends on a global.
type run struct {
	deadline   time.Time
	iterations int
	allocated  int
	cfg        render.Config
	// limited is the first limit this rendering hit; the library may wrap or flatten the error
	// on its way out, so execute reports this one.
	limited error
}

func (r *run) limit(err error) error {
	if r.limited == nil {
		r.limited = err
	}
	return err
}

func newRun(deadline time.Duration) *run {
	r := &run{deadline: time.Now().Add(deadline)}
	r.cfg = render.NewConfig()
	// The standard filters, each wrapped so that what it returns is measured and charged.
	filters.AddStandardFilters(filterWrapper{r})
	// Filters whose output can dwarf their inputs are checked before they run.
	r.cfg.AddFilter("join", r.measured(joinFilter))
	r.cfg.AddFilter("replace", r.measured(func(s, old, new string) (string, error) { return replaceFilter(s, old, new, -1) }))
	r.cfg.AddFilter("replace_first", r.measured(func(s, old, new string) (string, error) { return replaceFilter(s, old, new, 1) }))
	// Values in an HTML part arrive escaped (see Render); `escape` must not escape them twice.
	r.cfg.AddFilter("escape", r.measured(escapeOnce))
	r.cfg.AddFilter("escape_once", r.measured(escapeOnce))
	r.cfg.AddFilter("h", r.measured(escapeOnce))
	r.addTags()
	return r
}

func refusedTag(name string) render.TagCompiler {
	return func(string) (func(io.Writer, render.Context) error, error) {
		return nil, fmt.Errorf("the %s tag is not supported in email templates", name)
	}
}

// compile parses src and refuses what the limits cannot bound after the fact: a range (a..b)
// anywhere but as the whole collection of a for loop, where it is walked lazily. Elsewhere a
// filter would turn it into an array of b-a elements before anything could measure it.
func (r *run) compile(src string) (render.Node, error) {
	root, err := r.cfg.Compile(src, parser.SourceLoc{})
	if err != nil {
		return nil, err
	}
	if err := checkRanges(root); err != nil {
		return nil, err
	}
	return root, nil
}

func checkRanges(n render.Node) error {
	switch n := n.(type) {
	case *render.SeqNode:
		for _, c := range n.Children {
			if err := checkRanges(c); err != nil {
				return err
			}
		}
	case *render.BlockNode:
		code := stripStrings(n.Args)
		if strings.Contains(code, "..") && (n.Name != "for" || strings.Contains(code, "|")) {
			return fmt.Errorf("line %d: a range (a..b) may only be the collection of a for loop", n.SourceLoc.LineNo)
		}
		for _, c := range n.Body {
			if err := checkRanges(c); err != nil {
				return err
			}
		}
		for _, c := range n.Clauses {
			if err := checkRanges(c); err != nil {
				return err
			}
		}
	case *render.TagNode:
		if strings.Contains(stripStrings(n.Args), "..") {
			return fmt.Errorf("line %d: a range (a..b) may only be the collection of a for loop", n.SourceLoc.LineNo)
		}
	case *render.ObjectNode:
		if strings.Contains(stripStrings(n.Source), "..") {
			return fmt.Errorf("line %d: a range (a..b) may only be the collection of a for loop", n.SourceLoc.LineNo)
		}
	}
	return nil
}

// stripStrings drops Liquid string literals from an expression, so a ".." inside quotes is text.
func stripStrings(s string) string {
	var b strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// execute renders root into a part of at most MaxOutput bytes.
func (r *run) execute(root render.Node, bindings map[string]any) (out string, err error) {
	w := &cappedWriter{r: r, max: MaxOutput}
	defer func() {
		// The library panics when its last flush fails; that failure is ours (a limit).
		if p := recover(); p != nil {
			if r.limited == nil {
				panic(p)
			}
			out, err = "", r.limited
		}
	}()
	if rerr := render.Render(root, w, bindings, r.cfg); rerr != nil {
		if r.limited != nil {
			return "", r.limited
		}
		return "", rerr
	}
	return w.buf.String(), nil
}

// tick spends one loop iteration and checks the clock.
func (r *run) tick() error {
	r.iterations++
	if r.iterations > MaxIterations {
		return r.limit(fmt.Errorf("%w (more than %d loop iterations)", ErrLimit, MaxIterations))
	}
	return r.checkTime()
}

func (r *run) checkTime() error {
	if time.Now().After(r.deadline) {
		return r.limit(fmt.Errorf("%w (it ran longer than %v)", ErrLimit, RenderDeadline))
	}
	return nil
}

// charge measures a value made during rendering against MaxValue and the rendering's total.
func (r *run) charge(v any) error {
	n := size(v, MaxValue+1)
	if n > MaxValue {
		return r.limit(fmt.Errorf("%w (a value of more than %d bytes)", ErrLimit, MaxValue))
	}
	r.allocated += n
	if r.allocated > MaxAllocated {
		return r.limit(fmt.Errorf("%w (more than %d bytes of values)", ErrLimit, MaxAllocated))
	}
	return r.checkTime()
}

// size is the bytes v holds as text, counting at most up to limit.
func size(v any, limit int) int {
	switch v := v.(type) {
	case nil:
		return 0
	case string:
		return len(v)
	case []byte:
		return len(v)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		n := 0
		for i := 0; i < rv.Len() && n <= limit; i++ {
			n += 8 + size(rv.Index(i).Interface(), limit-n)
		}
		return n
	case reflect.Map:
		n := 0
		it := rv.MapRange()
		for it.Next() && n <= limit {
			n += 8 + size(it.Key().Interface(), limit-n) + size(it.Value().Interface(), limit-n)
		}
		return n
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return 0
		}
		return size(rv.Elem().Interface(), limit)
	}
	return 8
}

// filterWrapper receives the standard filters and adds each, measured, to the run's configuration.
type filterWrapper struct{ r *run }

func (f filterWrapper) AddFilter(name string, fn any) { f.r.cfg.AddFilter(name, f.r.measured(fn)) }

// measured wraps a filter function (any signature the library accepts) so that its result is
// charged to the run and a result over the limits is an error.
func (r *run) measured(fn any) any {
	fv := reflect.ValueOf(fn)
	ft := fv.Type()
	if ft.NumOut() == 0 || ft.NumOut() > 2 {
		panic("mailtemplate: unexpected filter signature " + ft.String())
	}
	errType := reflect.TypeOf((*error)(nil)).Elem()
	return reflect.MakeFunc(ft, func(args []reflect.Value) []reflect.Value {
		fail := func(err error) []reflect.Value {
			if ft.NumOut() == 1 {
				// A one-result filter cannot return an error; the library turns this panic into one.
				panic(expressions.FilterError{FilterName: "limit", Err: err})
			}
			return []reflect.Value{reflect.Zero(ft.Out(0)), reflect.ValueOf(&err).Elem()}
		}
		if err := r.checkTime(); err != nil {
			return fail(err)
		}
		out := fv.Call(args)
		if ft.NumOut() == 2 && ft.Out(1) == errType && !out[1].IsNil() {
			if err := out[1].Interface().(error); errors.Is(err, ErrLimit) {
				r.limit(err)
			}
			return out
		}
		if err := r.charge(out[0].Interface()); err != nil {
			return fail(err)
		}
		return out
	}).Interface()
}

func joinFilter(a []any, sep func(string) string) (string, error) {
	s := sep(" ")
	n := 0
	parts := make([]string, 0, len(a))
	for _, x := range a {
		p := fmt.Sprint(x)
		if x == nil {
			p = ""
		}
		n += len(p) + len(s)
		if n > MaxValue {
			return "", fmt.Errorf("%w (join makes more than %d bytes)", ErrLimit, MaxValue)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, s), nil
}

func replaceFilter(s, old, new string, n int) (string, error) {
	count := strings.Count(s, old)
	if n >= 0 && count > n {
		count = n
	}
	if len(s)+count*(len(new)-len(old)) > MaxValue {
		return "", fmt.Errorf("%w (replace makes more than %d bytes)", ErrLimit, MaxValue)
	}
	return strings.Replace(s, old, new, n), nil
}

func escapeOnce(s string) string { return html.EscapeString(html.UnescapeString(s)) }

// cappedWriter refuses to hold more than max bytes, and stops a rendering past its deadline.
type cappedWriter struct {
	r    *run
	max  int
	buf  bytes.Buffer
	over bool
}

func (w *cappedWriter) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > w.max {
		w.over = true
		return 0, w.r.limit(fmt.Errorf("%w (more than %d bytes of output)", ErrLimit, w.max))
	}
	if err := w.r.checkTime(); err != nil {
		w.over = true
		return 0, err
	}
	return w.buf.Write(p)
}
