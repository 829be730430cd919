// Package cfgerr collects configuration validation errors that name the
// field path they are about (for example "sip.accounts[0].registrar").
//
// Every package owns its own Config type and validates it; provisioning
// composes them into the one file and prefixes each path with the section
// name, then maps paths to YAML line numbers for the user.
package cfgerr

import (
	"errors"
	"fmt"
	"strings"
)

// FieldError is one problem with one configuration field.
type FieldError struct {
	Path string // dotted path, e.g. "sip.accounts[0].registrar"
	Line int    // 1-based line in the source file, 0 when unknown
	Msg  string // what is wrong, e.g. "must be host[:port]"
}

// Error implements error as "line N: path: msg" (line omitted when unknown).
func (e FieldError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// List is an ordered collection of field errors. The zero value is ready.
type List []FieldError

// Add records a problem at path.
func (l *List) Add(path, format string, args ...any) {
	*l = append(*l, FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Merge appends err under prefix. A List (or an error wrapping one) keeps
// its individual field errors; any other error becomes one entry at prefix.
func (l *List) Merge(prefix string, err error) {
	if err == nil {
		return
	}
	var sub List
	if errors.As(err, &sub) {
		for _, fe := range sub {
			fe.Path = Join(prefix, fe.Path)
			*l = append(*l, fe)
		}
		return
	}
	*l = append(*l, FieldError{Path: prefix, Msg: err.Error()})
}

// Err returns nil when the list is empty, and the list itself otherwise.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Error joins all entries, one per line.
func (l List) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Join joins two path parts with a dot, leaving out empty parts; an index
// part such as "[2]" is appended without a dot.
func Join(prefix, path string) string {
	switch {
	case prefix == "":
		return path
	case path == "":
		return prefix
	case strings.HasPrefix(path, "["):
		return prefix + path
	}
	return prefix + "." + path
}

// Index returns "name[i]", the path of one element of a list field.
func Index(name string, i int) string { return fmt.Sprintf("%s[%d]", name, i) }
