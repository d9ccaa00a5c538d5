package mailtemplate

import (
	"errors"
	"io"

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
