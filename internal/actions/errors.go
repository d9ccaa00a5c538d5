package actions

import (
	"fmt"
)

// CompileError reports why an action's code cannot be deployed: a syntax error, a
// require of a module outside the allow-list, or code over the size limit. Line and
// Column are 1-based positions in the code as the author wrote it (0 when the error
// is not tied to a position).
type CompileError struct {
	Line    int
	Column  int
	Message string
	// Module is set when the error is a require of a module that is not available.
	Module string
}

func (e *CompileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("Line %d:%d %s", e.Line, e.Column, e.Message)
	}
	return e.Message
}

// Kind classifies why an execution failed.
type Kind string

const (
	// KindTimeout: the trigger ran past its deadline, the caller's context ended, or
	// the handler returned a promise that nothing can settle.
	KindTimeout Kind = "timeout"
	// KindMemory: the action allocated past Options.MemoryLimitBytes, asked a builtin
	// for an oversized string or array, or recursed past the call-stack limit.
	KindMemory Kind = "memory"
	// KindException: the action threw (or its promise rejected), or broke the
	// runtime's contract (no handler exported).
	KindException Kind = "exception"
)

// ExecutionError ends a trigger execution. The login (or token request) fails; the
// message is meant for the tenant's execution log, not for the end user.
type ExecutionError struct {
	Kind       Kind
	ActionID   string
	ActionName string
	Message    string
	// Stack is the JavaScript stack when one is known.
	Stack string
	// Err is the underlying cause when it is a Go error (for example context.Canceled).
	Err error
}

func (e *ExecutionError) Error() string {
	return fmt.Sprintf("action %q: %s: %s", e.ActionName, e.Kind, e.Message)
}

func (e *ExecutionError) Unwrap() error { return e.Err }

// interruptCause is the value passed to goja's Interrupt so the error can be classified.
type interruptCause struct {
	kind Kind
	msg  string
	err  error
}

func (c *interruptCause) Error() string { return c.msg }
