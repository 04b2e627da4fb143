package legacy_test

import (
	"context"
	"testing"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/internal/apitest"
	"github.com/memberd/memberd/legacywire"
)

// story is a company with memberships in several states, each made through
// the v1 API and its test helpers, at fixed instants.
type story struct {
	e        *apitest.Env
	f        apitest.Fixture
	promo    string
	renewing string // monthly with the promo code and metadata: active, licensed
	key      string // its license key
	lifetime string // one-time, lifetime: completed
	pass     string // one-time, 30 days: active, expires
	trial    string // in its trial
	failing  string // monthly whose renewal is declined: past_due after a month
}

// buy checks plan out for a new user named username.
func buy(e *apitest.Env, username, plan string, extra map[string]any) apitest.Response {
	e.T.Helper()
	user := e.Call("POST", "/api/v1/test_helpers/users", map[string]any{"username": username, "name": "Name " + username,
		"email": username + "@example.com"}).Want(e.T, 200).Str("id")
	body := map[string]any{"plan_id": plan, "user_id": user}
	for k, v := range extra {
		body[k] = v
	}
	return e.Call("POST", "/api/v1/test_helpers/checkouts", body).Membership(e.T)
}

func newStory(t *testing.T) *story {
	e := newEnv(t)
	s := &story{e: e, f: e.Catalog(licensed)}
	s.promo = e.Call("POST", "/api/v1/promo_codes", map[string]any{"amount_off": 50, "base_currency": "usd", "code": "HALF",
		"company_id": e.Company, "new_users_only": false, "promo_duration_months": 1, "promo_type": "percentage",
		"product_id": s.f.Product}).Want(t, 200).Str("id")
	e.Clock.Add(time.Hour)
	r := buy(e, "alice", s.f.Monthly, map[string]any{"promo_code_id": s.promo, "metadata": map[string]any{"seat": 1}})
	s.renewing, s.key = r.Str("id"), r.Str("license_key")
	e.Clock.Add(time.Hour)
	s.lifetime = buy(e, "bob", s.f.Lifetime, nil).Str("id")
	s.pass = buy(e, "carol", s.f.Pass, nil).Str("id")
	s.trial = buy(e, "dave", s.f.Trial, nil).Str("id")
	user := e.Call("POST", "/api/v1/test_helpers/users", map[string]any{"username": "erin"}).Want(t, 200).Str("id")
	e.Call("POST", "/api/v1/test_helpers/payment_methods", map[string]any{"user_id": user, "behavior": memberd.BehaviorDeclineRenewals}).Want(t, 200)
	s.failing = e.Call("POST", "/api/v1/test_helpers/checkouts", map[string]any{"plan_id": s.f.Monthly, "user_id": user}).Membership(t).Str("id")
	e.Clock.Add(time.Hour)
	return s
}

// goldenCall is a request whose answer is pinned in testdata/<name>.golden.
type goldenCall struct {
	name, method, path string
	body               any
}

// goldenCalls makes the calls in order, each pinned.
func goldenCalls(t *testing.T, e *apitest.Env, calls []goldenCall) {
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			goldenResponse(t, c.name, e.Call(c.method, c.path, c.body))
		})
	}
}

// TestGoldenV2 pins every v2 response shape.
func TestGoldenV2(t *testing.T) {
	s := newStory(t)
	e := s.e
	goldenCalls(t, e, []goldenCall{
		{"v2_list", "GET", "/api/v2/memberships?per=2", nil},
		{"v2_list_expanded", "GET", "/v2/memberships?expand=product,user,plan,promo_code&direction=asc", nil},
		{"v2_retrieve", "GET", "/api/v2/memberships/" + s.renewing, nil},
		{"v2_retrieve_one_time", "GET", "/api/v2/memberships/" + s.pass + "?expand=plan", nil},
		{"v2_retrieve_by_license_key", "GET", "/api/v2/memberships/" + s.key + "?expand=promo_code", nil},
		{"v2_update", "POST", "/api/v2/memberships/" + s.renewing, map[string]any{"metadata": map[string]any{"seat": 2, "note": "vip"}}},
		{"v2_validate_license", "POST", "/api/v2/memberships/" + s.key + "/validate_license", map[string]any{"metadata": map[string]any{"HWID": "abc"}}},
		{"v2_validate_license_mismatch", "POST", "/api/v2/memberships/" + s.key + "/validate_license", map[string]any{"metadata": map[string]any{"HWID": "other"}}},
		{"v2_validate_license_unknown", "POST", "/api/v2/memberships/AAAAAA-BBBBBB-CCCCCC/validate_license", map[string]any{"metadata": map[string]any{}}},
		{"v2_add_free_days", "POST", "/api/v2/memberships/" + s.renewing + "/add_free_days", map[string]any{"days": 7}},
		{"v2_cancel", "POST", "/api/v2/memberships/" + s.renewing + "/cancel", nil},
		{"v2_terminate", "POST", "/api/v2/memberships/" + s.pass + "/terminate", nil},
		{"v2_error_invalid", "GET", "/api/v2/memberships?per=0", nil},
		{"v2_error_unknown_parameter", "POST", "/api/v2/memberships/" + s.renewing + "/cancel", map[string]any{"at_period_end": true}},
		{"v2_error_conflict", "POST", "/api/v2/memberships/" + s.lifetime + "/cancel", nil},
		{"v2_error_not_found", "GET", "/api/v2/memberships/mem_AAAAAAAAAAAAAA", nil},
	})
	goldenResponse(t, "v2_error_unauthorized", e.CallKey("", "GET", "/api/v2/memberships", nil))
	goldenResponse(t, "v2_error_forbidden", e.CallKey(e.NewKey(e.Company, memberd.PermMemberBasicRead), "POST", "/api/v2/memberships/"+s.trial+"/terminate", nil))
}

// TestGoldenV5 pins every v5 response shape.
func TestGoldenV5(t *testing.T) {
	s := newStory(t)
	e := s.e
	goldenCalls(t, e, []goldenCall{
		{"v5_app_list", "GET", "/api/v5/app/memberships?per=2&page=2", nil},
		{"v5_app_retrieve", "GET", "/api/v5/app/memberships/" + s.renewing, nil},
		{"v5_company_retrieve", "GET", "/api/v5/company/memberships/" + s.lifetime, nil},
		{"v5_app_add_free_days", "POST", "/api/v5/app/memberships/" + s.trial + "/add_free_days", map[string]any{"days": 3}},
		{"v5_company_update", "PATCH", "/api/v5/company/memberships/" + s.renewing, map[string]any{"metadata": map[string]any{"note": "vip"}}},
		{"v5_app_terminate", "DELETE", "/api/v5/app/memberships/" + s.trial, nil},
		{"v5_company_terminate", "DELETE", "/api/v5/company/memberships/" + s.pass, nil},
		{"v5_company_list", "GET", "/v5/company/memberships?valid=false", nil},
		{"v5_company_list_empty", "GET", "/v5/company/memberships?statuses[]=past_due", nil},
		{"v5_error_invalid", "POST", "/api/v5/app/memberships/" + s.renewing + "/add_free_days", map[string]any{"days": 0}},
		{"v5_error_not_found", "GET", "/api/v5/company/memberships/mem_AAAAAAAAAAAAAA", nil},
	})
	goldenResponse(t, "v5_error_unauthorized", e.CallKey("apik_nope", "GET", "/api/v5/app/memberships", nil))
	goldenResponse(t, "v5_error_forbidden", e.CallKey(e.NewKey(e.Company, memberd.PermMemberBasicRead), "PATCH", "/api/v5/company/memberships/"+s.trial, map[string]any{"metadata": map[string]any{}}))
}

// TestGoldenWebhooks pins the v2 and v5 payload of each kind of event.
func TestGoldenWebhooks(t *testing.T) {
	s := newStory(t)
	e := s.e
	e.Call("POST", "/api/v2/memberships/"+s.renewing+"/cancel", nil).Want(t, 201)
	e.Advance(30 * apitest.Day) // the failing renewal: payment.failed, membership.deactivated
	done := map[string]bool{}
	for _, m := range []string{s.renewing, s.failing} {
		for _, ev := range e.Events(m) {
			for _, version := range []string{"v2", "v5"} {
				action, ok := legacywire.Action(ev.Type, version)
				name := "webhook_" + version + "_" + action
				if !ok || done[name] {
					continue
				}
				done[name] = true
				body, sent, err := legacywire.WebhookPayload(context.Background(), e.Service, ev, version)
				if err != nil || !sent {
					t.Fatalf("%s: sent %v, err %v", name, sent, err)
				}
				golden(t, name, "", body)
			}
		}
	}
	if len(done) != 9 {
		t.Errorf("rendered %d kinds of payload, want 9 (5 in v2, 4 in v5): %v", len(done), done)
	}
}
