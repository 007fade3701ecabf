package config

import (
	"fmt"
	"strings"
)

// Error is one problem with a configuration. File and Line say where it is
// when the configuration came from a file; a configuration built in code
// (the admin API) has neither.
type Error struct {
	File string
	Line int // 1-based; 0 when unknown
	Msg  string
}

// Error formats the problem as "file:line: message".
func (e *Error) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	case e.File != "":
		return e.File + ": " + e.Msg
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// Errors is every problem found in one configuration, in file order. Parse
// and Validate return it when there is at least one problem.
type Errors []*Error

// Error lists the problems, one a line.
func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap gives errors.As and errors.Is access to each problem.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// maxErrors bounds how many problems one report lists.
const maxErrors = 50

// problem is one validation finding, located by its path in the document
// ("queues.2.ring_timeout"), so Parse can turn it into a line.
type problem struct {
	path string
	msg  string
}
