package mailtemplate

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"

	"github.com/osteele/liquid/expressions"
	"github.com/osteele/liquid/render"
	"github.com/osteele/liquid/values"
)

// The control-flow tags. The library registers its standard tags as one set that cannot be
// amended, and its loop has no limit; so the sandbox registers its own, with Liquid's meaning.

func (r *run) addTags() {
	c := &r.cfg
	c.AddTag("assign", r.assign)
	c.AddBlock("capture").Compiler(r.capture)
	c.AddBlock("for").Clause("else").Compiler(r.loop)
	c.AddTag("break", func(string) (func(io.Writer, render.Context) error, error) {
		return func(_ io.Writer, ctx render.Context) error { return ctx.WrapError(errBreak) }, nil
	})
	c.AddTag("continue", func(string) (func(io.Writer, render.Context) error, error) {
		return func(_ io.Writer, ctx render.Context) error { return ctx.WrapError(errContinue) }, nil
	})
	c.AddTag("cycle", cycleTag)
	c.AddBlock("if").Clause("else").Clause("elsif").Compiler(ifCompiler(true))
	c.AddBlock("unless").Clause("else").Compiler(ifCompiler(false))
	c.AddBlock("case").Clause("when").Clause("else").Compiler(caseCompiler)
	c.AddBlock("comment") // the parser skips a comment's body and a raw block's markup
	c.AddBlock("raw")
	// No template reads a file; tablerow is a loop this sandbox does not bound.
	c.AddTag("include", refusedTag("include"))
	c.AddBlock("tablerow").Compiler(func(render.BlockNode) (func(io.Writer, render.Context) error, error) {
		return nil, errors.New("the tablerow tag is not supported in email templates")
	})
}

func ifCompiler(polarity bool) render.BlockCompiler {
	return func(node render.BlockNode) (func(io.Writer, render.Context) error, error) {
		type branch struct {
			test expressions.Expression
			body *render.BlockNode
		}
		test, err := expressions.Parse(node.Args)
		if err != nil {
			return nil, err
		}
		if !polarity {
			test = expressions.Not(test)
		}
		branches := []branch{{test, &node}}
		for i, c := range node.Clauses {
			switch c.Name {
			case "else":
				if i != len(node.Clauses)-1 {
					return nil, errors.New("else must be the last clause of an if")
				}
				branches = append(branches, branch{expressions.Constant(true), c})
			case "elsif":
				t, err := expressions.Parse(c.Args)
				if err != nil {
					return nil, err
				}
				branches = append(branches, branch{t, c})
			}
		}
		return func(w io.Writer, ctx render.Context) error {
			for _, b := range branches {
				v, err := ctx.Evaluate(b.test)
				if err != nil {
					return err
				}
				if v != nil && v != false {
					return ctx.RenderBlock(w, b.body)
				}
			}
			return nil
		}, nil
	}
}

func caseCompiler(node render.BlockNode) (func(io.Writer, render.Context) error, error) {
	sel, err := expressions.Parse(node.Args)
	if err != nil {
		return nil, err
	}
	type when struct {
		exprs []expressions.Expression // nil: else
		body  *render.BlockNode
	}
	var whens []when
	for _, c := range node.Clauses {
		if c.Name == "when" {
			stmt, err := expressions.ParseStatement(expressions.WhenStatementSelector, c.Args)
			if err != nil {
				return nil, err
			}
			whens = append(whens, when{stmt.When.Exprs, c})
		} else {
			whens = append(whens, when{nil, c})
		}
	}
	return func(w io.Writer, ctx render.Context) error {
		v, err := ctx.Evaluate(sel)
		if err != nil {
			return err
		}
		for _, c := range whens {
			if c.exprs == nil {
				return ctx.RenderBlock(w, c.body)
			}
			for _, e := range c.exprs {
				x, err := ctx.Evaluate(e)
				if err != nil {
					return err
				}
				if values.Equal(v, x) {
					return ctx.RenderBlock(w, c.body)
				}
			}
		}
		return nil
	}, nil
}

func cycleTag(args string) (func(io.Writer, render.Context) error, error) {
	stmt, err := expressions.ParseStatement(expressions.CycleStatementSelector, args)
	if err != nil {
		return nil, err
	}
	cy := stmt.Cycle
	return func(w io.Writer, ctx render.Context) error {
		loop, ok := ctx.Get("forloop").(map[string]any)
		cycles, ok2 := loop[".cycles"].(map[string]int)
		if !ok || !ok2 || len(cy.Values) == 0 {
			return ctx.Errorf("cycle must be within a for loop")
		}
		n := cycles[cy.Group]
		cycles[cy.Group] = n + 1
		_, err := io.WriteString(w, cy.Values[n%len(cy.Values)])
		return err
	}, nil
}

// loop is the for tag: Liquid's semantics (limit, offset, reversed, forloop, else, break,
// continue, cycle), with each iteration charged to the run, and a range walked without building it.
func (r *run) loop(node render.BlockNode) (func(io.Writer, render.Context) error, error) {
	stmt, err := expressions.ParseStatement(expressions.LoopStatementSelector, node.Args)
	if err != nil {
		return nil, err
	}
	if len(node.Clauses) > 1 || (len(node.Clauses) == 1 && node.Clauses[0].Name != "else") {
		return nil, errors.New("a for loop takes at most one else clause")
	}
	loop := stmt.Loop
	return func(w io.Writer, ctx render.Context) error {
		v, err := ctx.Evaluate(loop.Expr)
		if err != nil {
			return err
		}
		it := iterate(v)
		first, n := 0, it.n
		if loop.Offset != nil {
			o, err := loopInt(ctx, loop.Offset, "offset")
			if err != nil {
				return err
			}
			first = min(max(o, 0), n)
		}
		n -= first
		if loop.Limit != nil {
			l, err := loopInt(ctx, loop.Limit, "limit")
			if err != nil {
				return err
			}
			if l >= 0 {
				n = min(n, l)
			}
		}
		if n == 0 {
			if len(node.Clauses) == 1 {
				return ctx.RenderBlock(w, node.Clauses[0])
			}
			return nil
		}
		defer func(forloop, variable any) {
			ctx.Set("forloop", forloop)
			ctx.Set(loop.Variable, variable)
		}(ctx.Get("forloop"), ctx.Get(loop.Variable))
		cycles := map[string]int{}
		for i := 0; i < n; i++ {
			if err := r.tick(); err != nil {
				return err
			}
			idx := first + i
			if loop.Reversed {
				idx = first + n - 1 - i
			}
			ctx.Set(loop.Variable, it.at(idx))
			ctx.Set("forloop", map[string]any{"first": i == 0, "last": i == n-1, "index": i + 1, "index0": i,
				"rindex": n - i, "rindex0": n - i - 1, "length": n, ".cycles": cycles})
			if err := ctx.RenderChildren(w); err != nil {
				switch err.Cause() {
				case errBreak:
					return nil
				case errContinue:
					continue
				}
				return err
			}
		}
		return nil
	}, nil
}

func loopInt(ctx render.Context, e expressions.Expression, what string) (int, error) {
	v, err := ctx.Evaluate(e)
	if err != nil {
		return 0, err
	}
	i, ok := v.(int)
	if !ok {
		return 0, fmt.Errorf("loop %s must be an integer", what)
	}
	return i, nil
}

type iterator struct {
	n  int
	at func(int) any
}

// iterate makes a collection walkable: a range lazily, arrays by index, a map as sorted
// [key, value] pairs; anything else has nothing to walk.
func iterate(v any) iterator {
	if r, ok := v.(interface {
		Len() int
		Index(int) any
	}); ok {
		return iterator{n: max(r.Len(), 0), at: r.Index}
	}
	if v == nil {
		return iterator{}
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		return iterator{n: rv.Len(), at: func(i int) any { return rv.Index(i).Interface() }}
	case reflect.Map:
		keys := rv.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i].Interface()) < fmt.Sprint(keys[j].Interface()) })
		return iterator{n: len(keys), at: func(i int) any { return []any{keys[i].Interface(), rv.MapIndex(keys[i]).Interface()} }}
	}
	return iterator{}
}

// assign is Liquid's assign with the value charged to the run.
func (r *run) assign(source string) (func(io.Writer, render.Context) error, error) {
	stmt, err := expressions.ParseStatement(expressions.AssignStatementSelector, source)
	if err != nil {
		return nil, err
	}
	a := stmt.Assignment
	return func(_ io.Writer, ctx render.Context) error {
		v, err := ctx.Evaluate(a.ValueFn)
		if err != nil {
			return err
		}
		if err := r.charge(v); err != nil {
			return err
		}
		ctx.Set(a.Variable, v)
		return nil
	}, nil
}

// capture renders its body into a buffer of at most MaxValue bytes.
func (r *run) capture(node render.BlockNode) (func(io.Writer, render.Context) error, error) {
	name := strings.TrimSpace(node.Args)
	if name == "" {
		return nil, errors.New("capture needs a variable name")
	}
	return func(_ io.Writer, ctx render.Context) error {
		w := &cappedWriter{r: r, max: MaxValue}
		if err := ctx.RenderChildren(w); err != nil {
			return err
		}
		if err := r.charge(w.buf.String()); err != nil {
			return err
		}
		ctx.Set(name, w.buf.String())
		return nil
	}, nil
}
