// Package legacy serves Whop's deprecated v2 and v5 membership APIs (seeds
// 002, 003 and 004) on the router of the v1 API, over the same service: keys,
// permissions and tenancy are v1's, every change is a v1 operation, so one
// membership reads the same through v1, v2 and v5. The shapes are package
// legacywire's (shared with the legacy webhook payloads).
package legacy

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/httpapi"
	"github.com/memberd/memberd/service"
)

// API is the legacy surfaces.
type API struct {
	api *httpapi.Server
	svc *service.Service
	log *slog.Logger
}

// Mount serves v2 at /api/v2 and /v2 and v5 at /api/v5 and /v5 on the v1
// API's router.
func Mount(api *httpapi.Server, svc *service.Service, log *slog.Logger) {
	if log == nil {
		log = slog.Default()
	}
	a := &API{api: api, svc: svc, log: log}
	a.v2Routes()
	a.v5Routes()
	for _, s := range []surface{v2, v5} {
		a.unrouted(s)
	}
}

// surface is one legacy API version: where it is served, how it renders
// errors, and headers every response carries.
type surface struct {
	bases     []string
	errorBody func(ErrorDetail) any
	headers   map[string]string
}

// handlerFunc handles an authenticated request and returns the status and
// body of its success.
type handlerFunc func(r *http.Request, k *memberd.APIKey) (int, any, error)

// handle registers method path under every base of the surface. The key is
// authenticated and its permissions checked as v1 does it.
func (a *API) handle(s surface, method, path string, perms []string, f handlerFunc) {
	h := func(w http.ResponseWriter, r *http.Request) {
		for k, v := range s.headers {
			w.Header().Set(k, v)
		}
		k, err := a.api.Authorize(r, perms...)
		if err == nil {
			err = a.api.Idempotent(w, r, k.CompanyID, func(w http.ResponseWriter, r *http.Request) {
				status, body, err := f(r, &k)
				if err != nil {
					a.writeError(w, r, s, err)
					return
				}
				httpapi.WriteJSON(w, status, body)
			})
		}
		if err != nil {
			a.writeError(w, r, s, err)
		}
	}
	for _, base := range s.bases {
		a.api.Mux().HandleFunc(strings.TrimSpace(method+" "+base+path), h)
	}
}

// unrouted answers any other path or method under the surface's bases with
// a 404 in the surface's error shape (after authenticating, as every route).
func (a *API) unrouted(s surface) {
	a.handle(s, "", "/", nil, func(r *http.Request, _ *memberd.APIKey) (int, any, error) {
		return 0, nil, memberd.Errorf(memberd.KindNotFound, "", "", "No such endpoint: %s %s.", r.Method, r.URL.Path)
	})
}

// ErrorDetail is the inside of a legacy error: the Error model of Whop's v2
// OpenAPI ({status, message}, status typed as a string there) with v1's
// type, code and param, so the reason is as precise as in v1.
type ErrorDetail struct {
	Status  string  `json:"status"`
	Type    string  `json:"type"`
	Message string  `json:"message"`
	Code    *string `json:"code"`
	Param   *string `json:"param"`
}

// writeError renders err in the surface's envelope, with v1's statuses,
// types and codes (and its Retry-After).
func (a *API) writeError(w http.ResponseWriter, r *http.Request, s surface, err error) {
	status, body := httpapi.ErrorStatus(err)
	if status >= http.StatusInternalServerError {
		a.log.ErrorContext(r.Context(), "internal error", "err", err)
	}
	e := body.Error
	httpapi.SetRetryAfter(w.Header(), err)
	httpapi.WriteJSON(w, status, s.errorBody(ErrorDetail{Status: strconv.Itoa(status), Type: e.Type, Message: e.Message, Code: e.Code, Param: e.Param}))
}

// Page-number pagination.

const (
	defaultPer = 10
	maxPer     = 50
)

// pageParams reads page (default 1) and per (default 10; above 50 is
// clamped to 50, as v1 clamps first).
func pageParams(q httpapi.Query) (page, per int) {
	read := func(name string, def int) int {
		n := q.Int(name)
		if n == nil {
			return def
		}
		if *n < 1 {
			q.Fail(memberd.Invalid(name, "%s must be a positive integer.", name))
		}
		return *n
	}
	page = read("page", 1)
	return page, min(read("per", defaultPer), maxPer)
}

// pagePosition is where a page stands, computed as Kaminari (the Rails
// paginator behind Whop's page-number lists) computes it: total pages is
// ceil(count/per), 0 for an empty list; next and prev are null on the last
// and first page and on a page past the end.
type pagePosition struct {
	current, total, count int
	next, prev            *int
}

func position(page, per, count int) pagePosition {
	p := pagePosition{current: page, total: (count + per - 1) / per, count: count}
	if page < p.total {
		n := page + 1
		p.next = &n
	}
	if page > 1 && page <= p.total {
		n := page - 1
		p.prev = &n
	}
	return p
}

// maxOffset bounds the offset a page number makes (no list is that long),
// so that a huge page number reads as a page past the end.
const maxOffset = 1 << 31

// listMemberships reads one page of memberships matching f, or of none when
// nothing can match (a filter on data memberd does not have).
func (a *API) listMemberships(r *http.Request, f memberd.MembershipFilter, none bool, page, per int, asc bool) ([]memberd.Membership, pagePosition, error) {
	if none {
		return nil, position(page, per, 0), nil
	}
	offset := min(page-1, maxOffset/per) * per
	items, count, err := a.svc.ListMembershipsOffset(r.Context(), f, offset, per, asc)
	return items, position(page, per, count), err
}

// one is a single-valued filter as a list (none when empty).
func one(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// Permissions, as for the same operations in v1.
var (
	permRead   = memberd.MembershipReadPerms
	permManage = memberd.MembershipManagePerms
	permCancel = memberd.MembershipCancelPerms
)

// freeDays reads the days of add_free_days: an integer from 1 to
// memberd.MaxFreeDays.
func freeDays(b httpapi.Body) int {
	days := b.RequiredInt("days")
	if days == nil {
		return 0
	}
	if *days < 1 || *days > memberd.MaxFreeDays {
		b.Fail(memberd.Invalid("days", "days must be an integer from 1 to %d.", memberd.MaxFreeDays))
	}
	return *days
}

// requiredMetadata reads the metadata object a body must carry (null
// clears, as in v1).
func requiredMetadata(b httpapi.Body) json.RawMessage {
	md, sent := b.Metadata("metadata")
	if !sent {
		b.Fail(memberd.Missing("metadata"))
	}
	return md
}
