// Package fault is the one error type both services use: a stable code, a
// message safe to show a citizen in Bahasa Indonesia and English, and an
// internal cause that only ever goes to the log.
package fault

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code. Codes are part of the
// public API contracts: never rename one.
type Code string

// Error is the error type of Anjungan. ID and EN are shown to citizens and
// operators; Cause is for the log only and may hold internal detail (never
// personal data).
type Error struct {
	Code  Code
	ID    string // Bahasa Indonesia, shown to the citizen
	EN    string // English, shown to the citizen
	Cause error  // internal; log only
}

// New defines an error kind. Package-level values made with New serve as
// templates: return tmpl.With(cause) to attach a cause.
func New(code Code, id, en string) *Error {
	return &Error{Code: code, ID: id, EN: en}
}

// With returns a copy of e that carries cause.
func (e *Error) With(cause error) *Error {
	c := *e
	c.Cause = cause
	return &c
}

// Withf is With(fmt.Errorf(format, args...)).
func (e *Error) Withf(format string, args ...any) *Error {
	return e.With(fmt.Errorf(format, args...))
}

// Error returns the code, the English message and the cause, for logs.
func (e *Error) Error() string {
	if e.Cause != nil {
		return string(e.Code) + ": " + e.EN + ": " + e.Cause.Error()
	}
	return string(e.Code) + ": " + e.EN
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Cause }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, ErrSomething) works on copies made by With.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Message returns the citizen-safe message in the language given by lang
// ("id" or "en"); Bahasa Indonesia is the default.
func (e *Error) Message(lang string) string {
	if lang == "en" {
		return e.EN
	}
	return e.ID
}

// Internal is the kind used for anything that was not classified.
var Internal = New("internal", "Terjadi gangguan pada sistem. Silakan hubungi petugas.",
	"Something went wrong. Please ask an officer for help.")

// As returns err as an *Error; an unclassified error becomes Internal with
// err as its cause.
func As(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal.With(err)
}

// CodeOf returns the code of err, or "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	return As(err).Code
}
