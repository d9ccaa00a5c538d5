package actions

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/parser"
)

// The code runs as a CommonJS module: Node's wrapper, on the code's first line so
// line numbers in errors and stacks are the author's.
const (
	wrapperPrefix = "(function (exports, require, module, __filename, __dirname) {"
	wrapperSuffix = "\n})"
)

// Compile parses and compiles an action's code for trigger once, at deploy time.
// A syntax error, code over 100 kB, or a static require('x') of a module outside the
// allow-list returns a *CompileError.
func (r *Runtime) Compile(name, code string, trigger Trigger) (*Program, error) {
	handler, ok := trigger.handlerName()
	if !ok {
		return nil, fmt.Errorf("actions: unsupported trigger %q", trigger)
	}
	if len(code) > maxSourceBytes {
		return nil, &CompileError{Message: fmt.Sprintf("action code is %d bytes; the limit is %d", len(code), maxSourceBytes)}
	}
	wrapped := wrapperPrefix + code + wrapperSuffix
	// Source maps are off: the default loader would read sourceMappingURL from disk.
	tree, err := parser.ParseFile(nil, name, wrapped, 0, parser.WithDisableSourceMaps)
	if err != nil {
		var list parser.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			line, col := userPosition(code, list[0].Position.Line, list[0].Position.Column)
			return nil, &CompileError{Line: line, Column: col, Message: list[0].Message}
		}
		return nil, &CompileError{Message: err.Error()}
	}
	if err := r.checkRequires(tree, code); err != nil {
		return nil, err
	}
	prg, err := goja.CompileAST(tree, false)
	if err != nil {
		var ce *goja.CompilerSyntaxError
		if errors.As(err, &ce) && ce.File != nil {
			p := ce.File.Position(ce.Offset)
			line, col := userPosition(code, p.Line, p.Column)
			return nil, &CompileError{Line: line, Column: col, Message: ce.Message}
		}
		return nil, &CompileError{Message: err.Error()}
	}
	return &Program{name: name, trigger: trigger, handler: handler, prg: prg}, nil
}

// userPosition maps a position in the wrapped source back to the author's code.
func userPosition(code string, line, col int) (int, int) {
	if line == 1 {
		col -= len(wrapperPrefix)
		if col < 1 {
			col = 1
		}
	}
	lines := strings.Count(code, "\n") + 1
	if line > lines { // an error in the wrapper's closing line: the code ended early
		last := code[strings.LastIndexByte(code, '\n')+1:]
		return lines, len(last) + 1
	}
	return line, col
}

// checkRequires rejects static require('name') calls for modules outside the allow-list,
// so a deploy fails instead of the first login.
func (r *Runtime) checkRequires(tree *ast.Program, code string) error {
	var bad *CompileError
	walkAST(reflect.ValueOf(tree), func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpression)
		if !ok || bad != nil {
			return bad == nil
		}
		id, ok := call.Callee.(*ast.Identifier)
		if !ok || id.Name != "require" || len(call.ArgumentList) == 0 {
			return true
		}
		lit, ok := call.ArgumentList[0].(*ast.StringLiteral)
		if !ok {
			return true // dynamic: checked when it runs
		}
		mod := lit.Value.String()
		if r.moduleAvailable(mod) {
			return true
		}
		p := tree.File.Position(int(call.Idx0()) - tree.File.Base())
		line, col := userPosition(code, p.Line, p.Column)
		bad = &CompileError{Line: line, Column: col, Module: mod,
			Message: fmt.Sprintf("require(%q): module is not available; %s", mod, r.allowListText())}
		return false
	})
	if bad != nil {
		return bad
	}
	return nil
}

// builtinModules are the modules every action may require (see web/modules.js), sorted.
var builtinModules = []string{"axios", "crypto", "jsonwebtoken", "node:crypto", "node:querystring", "node:url", "querystring", "url"}

// BuiltinModules are the modules every action may require, sorted: pure JavaScript over the
// sandbox's fetch and crypto, shaped as the npm and Node modules of the same names.
func BuiltinModules() []string { return slices.Clone(builtinModules) }

func (r *Runtime) moduleAvailable(name string) bool {
	_, given := r.modules[name]
	return given || slices.Contains(builtinModules, name)
}

// AvailableModules are the module names require accepts in this runtime, sorted.
func (r *Runtime) AvailableModules() []string {
	names := slices.Clone(builtinModules)
	for k := range r.modules {
		if !slices.Contains(names, k) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return names
}

func (r *Runtime) allowListText() string {
	return "Actions may require only: " + strings.Join(r.AvailableModules(), ", ")
}

var astPkg = reflect.TypeOf(ast.Program{}).PkgPath()

var nodeType = reflect.TypeOf((*ast.Node)(nil)).Elem()

// walkAST visits every ast.Node reachable from v. goja's ast package has no walker;
// reflection is fine here because it runs once per deploy.
func walkAST(v reflect.Value, visit func(ast.Node) bool) bool {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return true
		}
		if v.Type().Implements(nodeType) {
			if n, ok := v.Interface().(ast.Node); ok && !visit(n) {
				return false
			}
		}
		return walkAST(v.Elem(), visit)
	case reflect.Struct:
		if v.Type().PkgPath() != astPkg {
			return true // file.File and friends: positions and source, no code
		}
		for i := 0; i < v.NumField(); i++ {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			if !walkAST(v.Field(i), visit) {
				return false
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if !walkAST(v.Index(i), visit) {
				return false
			}
		}
	}
	return true
}
