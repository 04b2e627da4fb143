package httpapi

import (
	"encoding/json"
	"net/http"
)

// The request readers of params.go, exported for the other surfaces that
// share the router (package legacy): the same parsing, the same 400s
// (parameter_unknown, parameter_missing, parameter_invalid, invalid_json).
// A getter records the first bad value; Err reports it.

// Query is a request's query string.
type Query struct{ q *query }

// ReadQuery reads the query string; a parameter not in known is an error.
func ReadQuery(r *http.Request, known ...string) Query { return Query{readQuery(r, known...)} }

// String returns a scalar parameter, "" when absent.
func (q Query) String(name string) string { return q.q.string(name) }

// Enums returns an array parameter (key[]=a, repeated key=a, or a,b) whose
// values must be in allowed.
func (q Query) Enums(name string, allowed []string) []string { return q.q.enums(name, allowed) }

// Int returns an integer parameter; nil when absent.
func (q Query) Int(name string) *int { return q.q.int(name) }

// Bool returns a boolean parameter; nil when absent.
func (q Query) Bool(name string) *bool { return q.q.bool(name) }

// Fail records err unless an error is recorded already.
func (q Query) Fail(err error) { q.q.fail(err) }

// Err is the first error met reading the query.
func (q Query) Err() error { return q.q.err }

// Body is a JSON object request body.
type Body struct{ b *body }

// ReadBody reads the body; a parameter not in known is an error.
func ReadBody(r *http.Request, known ...string) Body { return Body{readBody(r, known)} }

// RequiredInt returns an integer parameter that must be present.
func (b Body) RequiredInt(name string) *int { return b.b.requiredInt(name) }

// Metadata returns a metadata object (nil for null), validated against the
// metadata limits and compacted, and whether it was sent.
func (b Body) Metadata(name string) (json.RawMessage, bool) { return b.b.metadata(name) }

// Fail records err unless an error is recorded already.
func (b Body) Fail(err error) { b.b.fail(err) }

// Err is the first error met reading the body.
func (b Body) Err() error { return b.b.err }
