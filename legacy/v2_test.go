package legacy_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/internal/apitest"
)

// wantV2Error checks a v2 error: {"error": {status, type, message, code, param}}.
func wantV2Error(t *testing.T, r apitest.Response, status int, code, param string) {
	t.Helper()
	wantLegacyError(t, r, status, code, param)
	if r.Get("message") != nil {
		t.Errorf("v2 error with a top-level message: %s", r.Body)
	}
}

// wantV5Error checks a v5 error: {"message", "error": {...}}.
func wantV5Error(t *testing.T, r apitest.Response, status int, code, param string) {
	t.Helper()
	wantLegacyError(t, r, status, code, param)
	if r.Str("message") == "" || r.Str("message") != r.Str("error.message") {
		t.Errorf("v5 error without its message: %s", r.Body)
	}
}

func wantLegacyError(t *testing.T, r apitest.Response, status int, code, param string) {
	t.Helper()
	r.Want(t, status)
	if r.Str("error.status") != fmt.Sprint(status) || r.Str("error.type") != apitest.ErrorTypes[status] || r.Str("error.message") == "" {
		t.Errorf("error envelope: %s", r.Body)
	}
	if r.Str("error.code") != code || r.Str("error.param") != param {
		t.Errorf("code %q param %q, want %q %q: %s", r.Str("error.code"), r.Str("error.param"), code, param, r.Body)
	}
}

func ids(r apitest.Response) []string {
	var out []string
	for _, m := range r.Get("data").([]any) {
		out = append(out, m.(map[string]any)["id"].(string))
	}
	return out
}

func TestPagination(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	for range 23 {
		e.Checkout(f.Lifetime, "")
	}
	// v1's newest-first order is the order of the legacy lists.
	newest := ids(e.Call("GET", "/api/v1/memberships?first=100&company_id="+e.Company, nil).Want(t, 200))
	oldest := slices.Clone(newest)
	slices.Reverse(oldest)

	var v2, v5 []string
	for page := 1; page <= 4; page++ {
		r := e.Call("GET", fmt.Sprintf("/api/v2/memberships?page=%d", page), nil).Want(t, 200)
		if r.Get("pagination.current_page") != float64(page) || r.Get("pagination.total_page") != 3.0 || r.Get("pagination.total_count") != 23.0 {
			t.Errorf("v2 page %d: %v", page, r.Get("pagination"))
		}
		v2 = append(v2, ids(r)...)
		r = e.Call("GET", fmt.Sprintf("/api/v5/app/memberships?page=%d&per=10", page), nil).Want(t, 200)
		next, prev := r.Get("pagination.next_page"), r.Get("pagination.prev_page")
		wantNext, wantPrev := map[int]any{1: 2.0, 2: 3.0}[page], map[int]any{2: 1.0, 3: 2.0}[page]
		if next != wantNext || prev != wantPrev || r.Get("pagination.total_pages") != 3.0 || r.Get("pagination.total_count") != 23.0 {
			t.Errorf("v5 page %d: %v", page, r.Get("pagination"))
		}
		v5 = append(v5, ids(r)...)
	}
	if !slices.Equal(v2, newest) || !slices.Equal(v5, newest) {
		t.Errorf("pages do not cover the list once, newest first:\nv1 %v\nv2 %v\nv5 %v", newest, v2, v5)
	}
	if got := ids(e.Call("GET", "/v2/memberships?per=50&direction=asc", nil).Want(t, 200)); !slices.Equal(got, oldest) {
		t.Errorf("direction=asc: %v, want %v", got, oldest)
	}
	r := e.Call("GET", "/api/v2/memberships?per=500", nil).Want(t, 200)
	if len(ids(r)) != 23 || r.Get("pagination.total_page") != 1.0 {
		t.Errorf("per above 50 is clamped to 50: %v", r.Get("pagination"))
	}
	for _, q := range []string{"page=0", "per=0", "per=x", "page=-1"} {
		param := strings.Split(q, "=")[0]
		wantV2Error(t, e.Call("GET", "/api/v2/memberships?"+q, nil), 400, "parameter_invalid", param)
		wantV5Error(t, e.Call("GET", "/api/v5/company/memberships?"+q, nil), 400, "parameter_invalid", param)
	}
	wantV2Error(t, e.Call("GET", "/api/v2/memberships?direction=up", nil), 400, "parameter_invalid", "direction")
	huge := e.Call("GET", "/api/v5/app/memberships?per=50&page=9223372036854775807", nil).Want(t, 200)
	if len(ids(huge)) != 0 || huge.Get("pagination.next_page") != nil || huge.Get("pagination.prev_page") != nil || huge.Get("pagination.total_count") != 23.0 {
		t.Errorf("a page far past the end is empty: %s", huge.Body)
	}
}

func TestV2Filters(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	other := e.Catalog(map[string]any{"title": "Other"})
	active := e.Checkout(f.Monthly, "")
	canceling := e.Checkout(f.Monthly, "").Str("id")
	e.Call("POST", "/api/v1/memberships/"+canceling+"/cancel", map[string]any{}).Membership(t)
	drafted := e.Checkout(f.Monthly, memberd.BehaviorDecline).Str("id")
	lifetime := e.Checkout(other.Lifetime, "").Str("id")
	canceled := e.Checkout(f.Trial, "").Str("id")
	e.Call("POST", "/api/v2/memberships/"+canceled+"/terminate", nil).Want(t, 201)

	for _, c := range []struct {
		query string
		want  []string
	}{
		{"status=active", []string{canceling, active.Str("id")}},
		{"status=expired", []string{drafted}},
		{"status=canceled,completed", []string{canceled, lifetime}},
		{"valid=true", []string{lifetime, canceling, active.Str("id")}},
		{"valid=false", []string{canceled, drafted}},
		{"product_id=" + other.Product, []string{lifetime}},
		{"access_pass_id=" + other.Product, []string{lifetime}},
		{"plan_id=" + f.Trial, []string{canceled}},
		{"user_id=" + active.Str("user.id"), []string{active.Str("id")}},
		{"discord_id=1234", nil},
		{"wallet_address=0xabc", nil},
		{"status=active&valid=false", nil},
	} {
		r := e.Call("GET", "/api/v2/memberships?"+c.query, nil).Want(t, 200)
		if got := ids(r); !slices.Equal(got, c.want) || r.Get("pagination.total_count") != float64(len(c.want)) {
			t.Errorf("%s: %v (%v), want %v", c.query, got, r.Get("pagination"), c.want)
		}
	}
	r := e.Call("GET", "/api/v2/memberships?hide_metadata=true&status=completed", nil).Want(t, 200)
	if m := r.Get("data.0").(map[string]any); m["metadata"] != nil {
		t.Errorf("hide_metadata: %s", r.Body)
	}
	wantV2Error(t, e.Call("GET", "/api/v2/memberships?status=canceling", nil), 400, "parameter_invalid", "status")
	wantV2Error(t, e.Call("GET", "/api/v2/memberships?expand=company", nil), 400, "parameter_invalid", "expand")
	wantV2Error(t, e.Call("GET", "/api/v2/memberships?company_id="+e.Company, nil), 400, "parameter_unknown", "company_id")
	wantV2Error(t, e.Call("GET", "/api/v2/memberships?valid=maybe", nil), 400, "parameter_invalid", "valid")
}

func TestV2Paths(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	id := e.Checkout(f.Monthly, "").Str("id")
	a := e.Call("GET", "/api/v2/memberships/"+id+"?expand=plan", nil).Want(t, 200)
	b := e.Call("GET", "/v2/memberships/"+id+"?expand[]=plan", nil).Want(t, 200)
	if string(a.Body) != string(b.Body) || a.Str("plan.id") != f.Monthly {
		t.Errorf("/api/v2 and /v2 differ:\n%s\n%s", a.Body, b.Body)
	}
	if a.Header.Get("Deprecation") != "@1791417600" || !strings.Contains(a.Header.Get("Link"), `rel="successor-version"`) {
		t.Errorf("v2 deprecation headers: %v", a.Header)
	}
	if r := e.Call("GET", "/v5/company/memberships/"+id, nil).Want(t, 200); r.Header.Get("Deprecation") != "" {
		t.Errorf("v5 has no documented deprecation header: %v", r.Header)
	}
	// Expansions of the same object are loaded once per response and agree.
	r := e.Call("GET", "/api/v2/memberships?expand=product,plan", nil).Want(t, 200)
	if r.Str("data.0.product.id") != f.Product || r.Str("data.0.plan.billing_period") != "30" || r.Str("data.0.plan.renewal_price") != "10.0" {
		t.Errorf("expanded: %s", r.Body)
	}
}

func TestLicenseValidation(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog(licensed)
	m := e.Checkout(f.Monthly, "")
	id, key := m.Str("id"), m.Str("license_key")
	if len(key) != 20 {
		t.Fatalf("a licensed product's membership has a license key: %s", m.Body)
	}
	validate := func(ref string, md any) apitest.Response {
		return e.Call("POST", "/api/v2/memberships/"+ref+"/validate_license", map[string]any{"metadata": md})
	}
	v1 := func() apitest.Response { return e.Call("GET", "/api/v1/memberships/"+id, nil).Membership(t) }

	before := v1()
	validate(key, map[string]any{}).Want(t, 201)
	if after := v1(); string(after.Body) != string(before.Body) {
		t.Errorf("validating with {} must change nothing:\n%s\n%s", before.Body, after.Body)
	}
	if r := validate(key, map[string]any{"HWID": "abc"}).Want(t, 201); r.Str("metadata.HWID") != "abc" || r.Str("license_key") != key {
		t.Errorf("first validation binds: %s", r.Body)
	}
	validate(key, map[string]any{"HWID": "abc"}).Want(t, 201)
	validate(id, map[string]any{"HWID": "abc"}).Want(t, 201) // by membership id too
	before = v1()
	wantV2Error(t, validate(key, map[string]any{"HWID": "xyz"}), 400, memberd.CodeLicenseMetadataMismatch, "metadata")
	if after := v1(); string(after.Body) != string(before.Body) {
		t.Errorf("a mismatch changes nothing:\n%s\n%s", before.Body, after.Body)
	}
	validate(key, map[string]any{"HWID": "abc", "os": "mac"}).Want(t, 201)
	if r := v1(); r.Str("metadata.os") != "mac" || r.Str("metadata.HWID") != "abc" {
		t.Errorf("a new key is bound beside the others: %s", r.Body)
	}

	// Reset (the company clears the metadata), then another device binds.
	e.Call("PATCH", "/api/v1/memberships/"+id, `{"metadata": null}`).Membership(t)
	validate(key, map[string]any{"HWID": "xyz"}).Want(t, 201)

	wantV2Error(t, e.Call("POST", "/api/v2/memberships/"+key+"/validate_license", map[string]any{}), 400, "parameter_missing", "metadata")
	wantV2Error(t, validate(key, nil), 400, "parameter_invalid", "metadata")
	wantV2Error(t, validate(key, "abc"), 400, "parameter_invalid", "metadata")
	wantV2Error(t, validate("AAAAAA-AAAAAA-AAAAAA", map[string]any{}), 404, "", "")
	unlicensed := e.Checkout(e.Catalog().Monthly, "").Str("id")
	wantV2Error(t, validate(unlicensed, map[string]any{}), 404, "", "")

	// Another company's key is unknown.
	_, otherKey := e.NewCompany("Other")
	wantV2Error(t, e.CallKey(otherKey, "POST", "/api/v2/memberships/"+key+"/validate_license", map[string]any{"metadata": map[string]any{}}), 404, "", "")
	wantV2Error(t, e.CallKey(otherKey, "GET", "/api/v2/memberships/"+key, nil), 404, "", "")

	// A membership that grants no access fails validation.
	e.Call("POST", "/api/v2/memberships/"+key+"/terminate", nil).Want(t, 201)
	wantV2Error(t, validate(key, map[string]any{"HWID": "xyz"}), 400, memberd.CodeLicenseNotValid, "")
}

// TestLicenseBindingIsAtomic validates a fresh key from many devices at
// once: exactly one binds, the others do not match.
func TestLicenseBindingIsAtomic(t *testing.T) {
	e := newEnv(t)
	key := e.Checkout(e.Catalog(licensed).Monthly, "").Str("license_key")
	const devices = 8
	statuses := make([]int, devices)
	var wg sync.WaitGroup
	for i := range devices {
		wg.Go(func() {
			statuses[i] = e.Call("POST", "/api/v2/memberships/"+key+"/validate_license",
				map[string]any{"metadata": map[string]any{"HWID": fmt.Sprint("device", i)}}).Status
		})
	}
	wg.Wait()
	slices.Sort(statuses)
	want := append([]int{201}, slices.Repeat([]int{400}, devices-1)...)
	slices.Sort(want)
	if !slices.Equal(statuses, want) {
		t.Errorf("statuses %v, want one 201 and %d 400s", statuses, devices-1)
	}
}

func TestV2Operations(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	id := e.Checkout(f.Monthly, "").Str("id")
	base := "/api/v2/memberships/" + id
	v1 := func() apitest.Response { return e.Call("GET", "/api/v1/memberships/"+id, nil).Membership(t) }

	// Bad input is a 400 and changes nothing.
	before := v1()
	for _, c := range []struct {
		name, path  string
		body        any
		code, param string
	}{
		{"days missing", "/add_free_days", map[string]any{}, "parameter_missing", "days"},
		{"days null", "/add_free_days", `{"days": null}`, "parameter_invalid", "days"},
		{"days zero", "/add_free_days", map[string]any{"days": 0}, "parameter_invalid", "days"},
		{"days too many", "/add_free_days", map[string]any{"days": 1096}, "parameter_invalid", "days"},
		{"days fraction", "/add_free_days", map[string]any{"days": 1.5}, "parameter_invalid", "days"},
		{"days string", "/add_free_days", map[string]any{"days": "7"}, "parameter_invalid", "days"},
		{"free_days is v1's", "/add_free_days", map[string]any{"free_days": 7}, "parameter_unknown", "free_days"},
		{"metadata missing", "", map[string]any{}, "parameter_missing", "metadata"},
		{"metadata not an object", "", map[string]any{"metadata": []int{1}}, "parameter_invalid", "metadata"},
		{"metadata too big", "", map[string]any{"metadata": manyKeys(51)}, "parameter_invalid", "metadata"},
		{"malformed JSON", "/cancel", `{"a":`, "invalid_json", ""},
		{"cancel takes no parameters", "/cancel", map[string]any{"cancellation_mode": "immediate"}, "parameter_unknown", "cancellation_mode"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantV2Error(t, e.Call("POST", base+c.path, c.body), 400, c.code, c.param)
		})
	}
	if after := v1(); string(after.Body) != string(before.Body) {
		t.Errorf("bad input changed the membership:\n%s\n%s", before.Body, after.Body)
	}

	// Mutations answer 201 with the membership; terminate is final.
	if r := e.Call("POST", base+"/add_free_days", map[string]any{"days": 2}).Want(t, 201); r.Get("renewal_period_end") != unixOf(t, "2026-04-02T09:00:00Z") {
		t.Errorf("add_free_days: %s", r.Body)
	}
	if r := e.Call("POST", base, map[string]any{"metadata": map[string]any{"a": 1}}).Want(t, 201); r.Str("metadata.a") != "1" {
		t.Errorf("update: %s", r.Body)
	}
	e.Call("POST", base+"/cancel", nil).Want(t, 201)
	e.Call("POST", base+"/cancel", nil).Want(t, 201) // already scheduled: no change
	if r := e.Call("POST", base+"/terminate", nil).Want(t, 201); r.Str("status") != "canceled" || r.Get("valid") != false {
		t.Errorf("terminate: %s", r.Body)
	}
	e.Call("POST", base+"/terminate", nil).Want(t, 201) // terminating a canceled membership changes nothing
	wantV2Error(t, e.Call("POST", base+"/add_free_days", map[string]any{"days": 2}), 400, memberd.CodeMembershipNotExtendable, "")
	if r := e.Call("POST", base+"/cancel", nil).Want(t, 201); r.Str("status") != "canceled" { // as v1: a canceled membership stays so
		t.Errorf("cancel after terminate: %s", r.Body)
	}
	wantV2Error(t, e.Call("PATCH", base, map[string]any{}), 404, "", "")
	wantV2Error(t, e.Call("GET", "/v2/plans", nil), 404, "", "")
	wantV5Error(t, e.Call("POST", "/api/v5/company/memberships/"+id+"/add_free_days", map[string]any{"days": 1}), 404, "", "")
}

func manyKeys(n int) map[string]any {
	out := map[string]any{}
	for i := range n {
		out[fmt.Sprint("k", i)] = i
	}
	return out
}

// TestLegacyAuth: keys, permissions and tenancy are v1's.
func TestLegacyAuth(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog(licensed)
	m := e.Checkout(f.Monthly, "")
	id, key := m.Str("id"), m.Str("license_key")
	readOnly := e.NewKey(e.Company, memberd.PermMemberBasicRead)
	otherCompany, otherKey := e.NewCompany("Other")

	for _, p := range []string{"/api/v2/memberships", "/v2/memberships/" + id} {
		wantV2Error(t, e.CallKey("", "GET", p, nil), 401, "", "")
		wantV2Error(t, e.CallKey("apik_unknown", "GET", p, nil), 401, "", "")
	}
	wantV5Error(t, e.CallKey("", "GET", "/api/v5/app/memberships", nil), 401, "", "")

	// A read-only key reads, and may not change anything.
	if r := e.CallKey(readOnly, "GET", "/api/v2/memberships/"+id+"?expand=user", nil).Want(t, 200); r.Get("email") != nil || r.Get("user.email") != nil {
		t.Errorf("email needs member:email:read: %s", r.Body)
	}
	e.CallKey(readOnly, "GET", "/api/v5/company/memberships/"+id, nil).Want(t, 200)
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v2/memberships/" + id, map[string]any{"metadata": map[string]any{}}},
		{"POST", "/api/v2/memberships/" + id + "/cancel", nil},
		{"POST", "/api/v2/memberships/" + id + "/terminate", nil},
		{"POST", "/api/v2/memberships/" + id + "/add_free_days", map[string]any{"days": 1}},
		{"POST", "/api/v5/app/memberships/" + id + "/add_free_days", map[string]any{"days": 1}},
		{"DELETE", "/api/v5/app/memberships/" + id, nil},
		{"PATCH", "/api/v5/company/memberships/" + id, map[string]any{"metadata": map[string]any{}}},
		{"DELETE", "/api/v5/company/memberships/" + id, nil},
	} {
		r := e.CallKey(readOnly, c.method, c.path, c.body)
		if strings.Contains(c.path, "/v5/") {
			wantV5Error(t, r, 403, "", "")
		} else {
			wantV2Error(t, r, 403, "", "")
		}
	}
	// validate_license is a read: the binding is what validation does.
	e.CallKey(readOnly, "POST", "/api/v2/memberships/"+key+"/validate_license", map[string]any{"metadata": map[string]any{}}).Want(t, 201)

	// Another company's membership does not exist for this key.
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/v2/memberships/" + id}, {"POST", "/api/v2/memberships/" + id + "/terminate"},
		{"GET", "/api/v5/app/memberships/" + id}, {"DELETE", "/api/v5/company/memberships/" + id},
	} {
		r := e.CallKey(otherKey, c.method, c.path, nil)
		if strings.Contains(c.path, "/v5/") {
			wantV5Error(t, r, 404, "", "")
		} else {
			wantV2Error(t, r, 404, "", "")
		}
	}
	if r := e.Call("GET", "/api/v1/memberships/"+id, nil).Membership(t); r.Str("status") != "active" {
		t.Errorf("another company's key changed the membership: %s", r.Body)
	}
	if r := e.CallKey(otherKey, "GET", "/api/v2/memberships", nil).Want(t, 200); r.Get("pagination.total_count") != 0.0 {
		t.Errorf("another company's list: %s", r.Body)
	}
	wantV5Error(t, e.Call("GET", "/api/v5/app/memberships?company_id="+otherCompany, nil), 404, "", "")
	if r := e.Call("GET", "/api/v5/app/memberships?company_id="+e.Company, nil).Want(t, http.StatusOK); len(ids(r)) != 1 {
		t.Errorf("own company_id: %s", r.Body)
	}
}
