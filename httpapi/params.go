package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/memberd/memberd"
)

// Requests are read parameter by parameter. Each reader is created with the
// parameters the endpoint knows; any other is a 400 parameter_unknown. The
// typed getters record the first bad value; err reports it.

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 1 << 20

// body is a JSON object body.
type body struct {
	fields map[string]json.RawMessage
	err    error
}

// readBody reads the request's JSON object. An empty body is an empty
// object. known lists the parameters the endpoint takes; ignored lists ones
// the SDK may send that memberd accepts and does not use.
func readBody(r *http.Request, known []string, ignored ...string) *body {
	b := &body{fields: map[string]json.RawMessage{}}
	raw, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	if err != nil {
		b.err = bodyError(err)
		return b
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return b
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		b.err = memberd.Errorf(memberd.KindInvalid, memberd.CodeInvalidJSON, "", "The request body is not valid JSON.")
		return b
	}
	if v == nil {
		return b
	}
	if err := json.Unmarshal(raw, &b.fields); err != nil {
		b.err = memberd.Errorf(memberd.KindInvalid, memberd.CodeInvalidJSON, "", "The request body must be a JSON object.")
		return b
	}
	b.err = unknownParam(keys(b.fields), known, ignored)
	return b
}

// bodyError is the 400 for a request body that could not be read.
func bodyError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return memberd.Errorf(memberd.KindInvalid, memberd.CodeParameterInvalid, "", "The request body is larger than %d bytes.", MaxBodyBytes)
	}
	return memberd.Errorf(memberd.KindInvalid, memberd.CodeInvalidJSON, "", "The request body could not be read.")
}

func keys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func unknownParam(got, known, ignored []string) error {
	for _, k := range got {
		if !slices.Contains(known, k) && !slices.Contains(ignored, k) {
			return memberd.Errorf(memberd.KindInvalid, memberd.CodeParameterUnknown, k, "Received unknown parameter: %s.", k)
		}
	}
	return nil
}

func (b *body) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// raw returns a parameter's JSON and whether it was present (null counts).
func (b *body) raw(name string) (json.RawMessage, bool) {
	if b.err != nil {
		return nil, false
	}
	v, ok := b.fields[name]
	return v, ok
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// string returns a string parameter; nil when absent or null.
func (b *body) string(name string) *string {
	v, ok := b.raw(name)
	if !ok || isNull(v) {
		return nil
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		b.fail(memberd.Invalid(name, "%s must be a string.", name))
		return nil
	}
	return &s
}

// clearableString is string, but null gives "" (clear the field).
func (b *body) clearableString(name string) *string {
	v, ok := b.raw(name)
	if ok && isNull(v) {
		s := ""
		return &s
	}
	return b.string(name)
}

// requiredString is a string parameter that must be present and non-empty.
func (b *body) requiredString(name string) string {
	s := b.string(name)
	switch {
	case s == nil:
		b.fail(memberd.Missing(name))
		return ""
	case *s == "":
		b.fail(memberd.Invalid(name, "%s must not be empty.", name))
	}
	return *s
}

// int returns an integer parameter; nil when absent or null.
func (b *body) int(name string) *int {
	v, ok := b.raw(name)
	if !ok || isNull(v) {
		return nil
	}
	n, err := parseInt(v)
	if err != nil {
		b.fail(memberd.Invalid(name, "%s must be an integer.", name))
		return nil
	}
	return &n
}

// requiredInt is an integer parameter that must be present and not null.
func (b *body) requiredInt(name string) *int {
	n := b.int(name)
	if n == nil {
		if _, sent := b.raw(name); sent {
			b.fail(memberd.Invalid(name, "%s must be an integer.", name))
		} else {
			b.fail(memberd.Missing(name))
		}
	}
	return n
}

// clearableInt is int, but null gives 0 (clear the field).
func (b *body) clearableInt(name string) *int {
	v, ok := b.raw(name)
	if ok && isNull(v) {
		n := 0
		return &n
	}
	return b.int(name)
}

// number reads a JSON number literal; json.Number alone would also take a
// string such as "7".
func number(v json.RawMessage) (json.Number, error) {
	var f json.Number
	if len(v) == 0 || v[0] == '"' {
		return f, errors.New("not a number")
	}
	return f, json.Unmarshal(v, &f)
}

func parseInt(v json.RawMessage) (int, error) {
	f, err := number(v)
	if err != nil {
		return 0, err
	}
	if n, err := f.Int64(); err == nil && n >= math.MinInt32 && n <= math.MaxInt32 {
		return int(n), nil
	}
	// 7.0 is an integer too; 7.5 and 1e300 are not.
	x, err := f.Float64()
	if err != nil || x != math.Trunc(x) || math.Abs(x) > math.MaxInt32 {
		return 0, errors.New("not an integer")
	}
	return int(x), nil
}

// bool returns a boolean parameter; nil when absent or null.
func (b *body) bool(name string) *bool {
	v, ok := b.raw(name)
	if !ok || isNull(v) {
		return nil
	}
	var x bool
	if json.Unmarshal(v, &x) != nil {
		b.fail(memberd.Invalid(name, "%s must be a boolean.", name))
		return nil
	}
	return &x
}

// money returns a non-negative decimal amount; nil when absent or null.
func (b *body) money(name string) *memberd.Money {
	v, ok := b.raw(name)
	if !ok || isNull(v) {
		return nil
	}
	f, err := number(v)
	if err != nil {
		b.fail(memberd.Invalid(name, "%s must be a number.", name))
		return nil
	}
	m, err := memberd.ParseMoney(f.String())
	if err != nil {
		b.fail(memberd.Invalid(name, "%s: %v.", name, err))
		return nil
	}
	return &m
}

// time returns an ISO-8601 timestamp parameter; nil when absent or null.
func (b *body) time(name string) *time.Time {
	s := b.string(name)
	if s == nil {
		return nil
	}
	t, err := parseTime(*s)
	if err != nil {
		b.fail(memberd.Invalid(name, "%s must be an ISO-8601 timestamp such as 2023-12-01T05:00:00.401Z.", name))
		return nil
	}
	return &t
}

// metadata returns a metadata object (nil for null) and whether it was sent.
func (b *body) metadata(name string) (json.RawMessage, bool) {
	v, ok := b.raw(name)
	if !ok {
		return nil, false
	}
	if isNull(v) {
		return nil, true
	}
	if err := memberd.ValidateMetadata(name, v); err != nil {
		b.fail(err)
		return nil, false
	}
	var buf bytes.Buffer
	json.Compact(&buf, v)
	return buf.Bytes(), true
}

// strings returns an array of strings; nil when absent or null.
func (b *body) strings(name string) []string {
	v, ok := b.raw(name)
	if !ok || isNull(v) {
		return nil
	}
	var out []string
	if json.Unmarshal(v, &out) != nil {
		b.fail(memberd.Invalid(name, "%s must be an array of strings.", name))
		return nil
	}
	return out
}

// parseTime reads an RFC 3339 timestamp, or a date (midnight UTC).
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if d, derr := time.Parse(time.DateOnly, s); derr == nil {
			return d, nil
		}
		return t, err
	}
	return t.UTC().Truncate(time.Millisecond), nil
}

// query is a request's query string. Array parameters come as key[]=a&key[]=b
// (the SDK's format) or as repeated key=a.
type query struct {
	values url.Values
	err    error
}

func readQuery(r *http.Request, known ...string) *query {
	q := &query{values: url.Values{}}
	raw, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		q.err = memberd.Invalid("", "The query string is malformed.")
		return q
	}
	for k, vs := range raw {
		k = strings.TrimSuffix(k, "[]")
		q.values[k] = append(q.values[k], vs...)
	}
	q.err = unknownParam(keys(q.values), known, nil)
	return q
}

func (q *query) fail(err error) {
	if q.err == nil {
		q.err = err
	}
}

// string returns a scalar parameter, "" when absent.
func (q *query) string(name string) string {
	vs := q.values[name]
	if len(vs) > 1 {
		q.fail(memberd.Invalid(name, "%s must be given once.", name))
	}
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// strings returns an array parameter; values may also be comma-separated.
func (q *query) strings(name string) []string {
	var out []string
	for _, v := range q.values[name] {
		for _, s := range strings.Split(v, ",") {
			if s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// enums returns an array parameter whose values must be in allowed.
func (q *query) enums(name string, allowed []string) []string {
	vs := q.strings(name)
	for _, v := range vs {
		if !slices.Contains(allowed, v) {
			q.fail(memberd.Invalid(name, "%s: %q is not one of %s.", name, v, strings.Join(allowed, ", ")))
		}
	}
	return vs
}

// int returns an integer parameter; nil when absent.
func (q *query) int(name string) *int {
	s := q.string(name)
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		q.fail(memberd.Invalid(name, "%s must be an integer.", name))
		return nil
	}
	return &n
}

// bool returns a boolean parameter; nil when absent.
func (q *query) bool(name string) *bool {
	s := q.string(name)
	if s == "" {
		return nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		q.fail(memberd.Invalid(name, "%s must be true or false.", name))
		return nil
	}
	return &v
}

// time returns a timestamp parameter (ISO-8601, or Unix seconds); nil when
// absent.
func (q *query) time(name string) *time.Time {
	s := q.string(name)
	if s == "" {
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		t := time.Unix(n, 0).UTC()
		return &t
	}
	t, err := parseTime(s)
	if err != nil {
		q.fail(memberd.Invalid(name, "%s must be an ISO-8601 timestamp.", name))
		return nil
	}
	return &t
}

// pageParams are the query parameters of every cursor list.
var pageParams = []string{"first", "last", "after", "before", "order", "direction"}

// page reads first/last/after/before/order/direction. orders lists the
// allowed order values; the first is the default.
func (q *query) page(orders ...string) memberd.PageRequest {
	var p memberd.PageRequest
	for _, name := range []string{"first", "last"} {
		n := q.int(name)
		if n == nil {
			continue
		}
		if *n < 1 {
			q.fail(memberd.Invalid(name, "%s must be a positive integer.", name))
		}
		if name == "first" {
			p.First = min(*n, memberd.MaxPageSize)
		} else {
			p.Last = min(*n, memberd.MaxPageSize)
		}
	}
	if p.First > 0 && p.Last > 0 {
		q.fail(memberd.Invalid("last", "Use first (paging forward) or last (paging backward), not both."))
	}
	for _, name := range []string{"after", "before"} {
		s := q.string(name)
		if s == "" {
			continue
		}
		c, err := memberd.DecodeCursor(name, s)
		if err != nil {
			q.fail(err)
			continue
		}
		if name == "after" {
			p.After = c
		} else {
			p.Before = c
		}
	}
	p.Order = orders[0]
	if o := q.string("order"); o != "" {
		if !slices.Contains(orders, o) {
			q.fail(memberd.Invalid("order", "order must be one of %s.", strings.Join(orders, ", ")))
		}
		p.Order = o
	}
	switch q.string("direction") {
	case "", "desc":
		p.Desc = true
	case "asc":
	default:
		q.fail(memberd.Invalid("direction", "direction must be asc or desc."))
	}
	return p
}
