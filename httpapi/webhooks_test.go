package httpapi_test

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/memberd/memberd"
)

// keysOf returns the sorted keys of a JSON object.
func keysOf(v any) []string {
	m, _ := v.(map[string]any)
	return slices.Sorted(maps.Keys(m))
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestWebhookEndpoints(t *testing.T) {
	e := newEnv(t)
	r := e.call("POST", "/api/v1/webhooks", map[string]any{"url": "http://localhost:3000/hooks"}).want(t, 200)
	id := r.str("id")
	if !regexp.MustCompile(`^hook_[0-9A-Za-z]{13}$`).MatchString(id) || !regexp.MustCompile(`^ws_[0-9a-f]{64}$`).MatchString(r.str("webhook_secret")) {
		t.Fatalf("create %s", r.Body)
	}
	// WebhookCreateResponse: every field of the SDK type, and the defaults.
	if got, want := keysOf(r.JSON), []string{"api_version", "child_resource_events", "created_at", "enabled", "events", "id",
		"resource_id", "testable_events", "url", "webhook_secret"}; !slices.Equal(got, want) {
		t.Errorf("create keys %v, want %v", got, want)
	}
	if r.str("api_version") != "v1" || r.get("enabled") != true || r.get("child_resource_events") != false ||
		r.str("resource_id") != e.company || r.str("url") != "http://localhost:3000/hooks" ||
		len(strs(r.get("events"))) != len(memberd.WebhookEvents) || len(strs(r.get("testable_events"))) != len(memberd.EmittedEvents) ||
		!strings.HasSuffix(r.str("created_at"), "Z") {
		t.Errorf("create defaults %s", r.Body)
	}

	// Retrieve: the Webhook, without the secret.
	r = e.call("GET", "/api/v1/webhooks/"+id, nil).want(t, 200)
	if got, want := keysOf(r.JSON), []string{"api_version", "child_resource_events", "created_at", "enabled", "events", "id",
		"resource_id", "testable_events", "url"}; !slices.Equal(got, want) {
		t.Errorf("retrieve keys %v, want %v", got, want)
	}

	// Update: events replace, order kept and duplicates dropped; enabled.
	r = e.call("PATCH", "/api/v1/webhooks/"+id, map[string]any{"events": []string{"payment.succeeded", "membership.activated",
		"payment.succeeded", "invoice.paid"}, "enabled": false, "url": "https://example.com/h", "api_version": nil}).want(t, 200)
	if got := strs(r.get("events")); !slices.Equal(got, []string{"payment.succeeded", "membership.activated", "invoice.paid"}) ||
		r.get("enabled") != false || r.str("url") != "https://example.com/h" || r.str("api_version") != "v1" {
		t.Errorf("update %s", r.Body)
	}
	if got := strs(r.get("testable_events")); !slices.Equal(got, []string{"payment.succeeded", "membership.activated"}) {
		t.Errorf("testable_events %v", got)
	}
	r = e.call("PATCH", "/api/v1/webhooks/"+id, map[string]any{"events": []string{}}).want(t, 200)
	if got := r.get("events").([]any); len(got) != 0 {
		t.Errorf("events [] must subscribe to nothing: %s", r.Body)
	}

	// Bad input: 400 naming the parameter, and nothing changes.
	for _, tt := range []struct {
		method, path string
		body         map[string]any
		code, param  string
	}{
		{"POST", "", map[string]any{}, "parameter_missing", "url"},
		{"POST", "", map[string]any{"url": "ftp://example.com"}, "parameter_invalid", "url"},
		{"POST", "", map[string]any{"url": 7}, "parameter_invalid", "url"},
		{"POST", "", map[string]any{"url": "https://x.io", "events": []string{"membership.went_valid"}}, "parameter_invalid", "events"},
		{"POST", "", map[string]any{"url": "https://x.io", "events": []string{"membership_went_valid"}}, "parameter_invalid", "events"},
		{"POST", "", map[string]any{"url": "https://x.io", "events": "membership.activated"}, "parameter_invalid", "events"},
		{"POST", "", map[string]any{"url": "https://x.io", "api_version": "v3"}, "parameter_invalid", "api_version"},
		{"POST", "", map[string]any{"url": "https://x.io", "enabled": "yes"}, "parameter_invalid", "enabled"},
		{"POST", "", map[string]any{"url": "https://x.io", "resource_id": "mem_x"}, "parameter_invalid", "resource_id"},
		{"POST", "", map[string]any{"url": "https://x.io", "secret": "ws_x"}, "parameter_unknown", "secret"},
		{"PATCH", "/" + id, map[string]any{"events": []string{"membership.activated", "nope"}}, "parameter_invalid", "events"},
		{"PATCH", "/" + id, map[string]any{"url": "mailto:a@b.c"}, "parameter_invalid", "url"},
		{"PATCH", "/" + id, map[string]any{"resource_id": e.company}, "parameter_unknown", "resource_id"},
	} {
		e.call(tt.method, "/api/v1/webhooks"+tt.path, tt.body).wantError(t, 400, tt.code, tt.param)
	}
	if r := e.call("GET", "/api/v1/webhooks/"+id, nil).want(t, 200); len(r.get("events").([]any)) != 0 || r.str("url") != "https://example.com/h" {
		t.Errorf("a bad update changed the webhook: %s", r.Body)
	}
	if n := len(e.call("GET", "/api/v1/webhooks?company_id="+e.company, nil).want(t, 200).get("data").([]any)); n != 1 {
		t.Errorf("bad creates created webhooks: %d", n)
	}

	// Delete answers true; then the webhook is gone.
	if r := e.call("DELETE", "/api/v1/webhooks/"+id, nil).want(t, 200); string(r.Body) != "true\n" {
		t.Errorf("delete answered %q", r.Body)
	}
	e.call("GET", "/api/v1/webhooks/"+id, nil).wantError(t, 404, "", "")
	e.call("PATCH", "/api/v1/webhooks/"+id, map[string]any{"enabled": true}).wantError(t, 404, "", "")
	e.call("DELETE", "/api/v1/webhooks/"+id, nil).wantError(t, 404, "", "")
}

func TestWebhookResources(t *testing.T) {
	e := newEnv(t)
	f := e.catalog()
	r := e.call("POST", "/api/v1/webhooks", map[string]any{"url": "https://x.io", "resource_id": f.product}).want(t, 200)
	if r.str("resource_id") != f.product {
		t.Errorf("product webhook %s", r.Body)
	}
	e.call("POST", "/api/v1/webhooks", map[string]any{"url": "https://x.io", "resource_id": f.product, "child_resource_events": true}).
		wantError(t, 400, "parameter_invalid", "child_resource_events")
	r = e.call("POST", "/api/v1/webhooks", map[string]any{"url": "https://x.io", "child_resource_events": true, "api_version": "v1",
		"enabled": false, "events": []string{"membership.activated"}}).want(t, 200)
	if r.get("child_resource_events") != true || r.get("enabled") != false {
		t.Errorf("create with every parameter %s", r.Body)
	}
	other, otherKey := e.newCompany("Other")
	otherProduct := e.callKey(otherKey, "POST", "/api/v1/products", map[string]any{"title": "Theirs"}).want(t, 200).str("id")
	e.call("POST", "/api/v1/webhooks", map[string]any{"url": "https://x.io", "resource_id": otherProduct}).wantError(t, 404, "", "")
	e.call("POST", "/api/v1/webhooks", map[string]any{"url": "https://x.io", "resource_id": other}).wantError(t, 404, "", "")
	for _, v := range []string{"v2", "v5"} {
		if r := e.call("POST", "/api/v1/webhooks", map[string]any{"url": "https://x.io", "api_version": v}).want(t, 200); r.str("api_version") != v {
			t.Errorf("create %s: %s", v, r.Body)
		}
	}
}

func TestWebhookListAndTenancy(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := range 25 {
		ids = append(ids, e.call("POST", "/api/v1/webhooks", map[string]any{"url": fmt.Sprintf("https://x.io/%d", i)}).want(t, 200).str("id"))
		e.clock.Add(time.Second)
	}
	slices.Reverse(ids) // most recently created first
	var got []string
	path := "/api/v1/webhooks?first=10&company_id=" + e.company
	for pages := 0; ; pages++ {
		r := e.call("GET", path, nil).want(t, 200)
		for _, it := range r.get("data").([]any) {
			item := it.(map[string]any)
			// WebhookListResponse: no resource_id, no testable_events.
			if ks := keysOf(item); !slices.Equal(ks, []string{"api_version", "child_resource_events", "created_at", "enabled", "events", "id", "url"}) {
				t.Fatalf("list item keys %v", ks)
			}
			got = append(got, item["id"].(string))
		}
		if r.get("page_info.end_cursor") == nil || pages > 5 {
			break
		}
		path = "/api/v1/webhooks?first=10&company_id=" + e.company + "&after=" + r.str("page_info.end_cursor")
	}
	if !slices.Equal(got, ids) {
		t.Errorf("pages gave %d webhooks in this order %v, want %v", len(got), got, ids)
	}
	e.call("GET", "/api/v1/webhooks", nil).wantError(t, 400, "parameter_missing", "company_id")
	e.call("GET", "/api/v1/webhooks?company_id=biz_elsewhere0000", nil).wantError(t, 404, "", "")
	e.call("GET", "/api/v1/webhooks?company_id="+e.company+"&colour=red", nil).wantError(t, 400, "parameter_unknown", "colour")

	// Another company sees none of them; a key without the permission gets 403.
	other, otherKey := e.newCompany("Other")
	e.callKey(otherKey, "GET", "/api/v1/webhooks/"+ids[0], nil).wantError(t, 404, "", "")
	e.callKey(otherKey, "DELETE", "/api/v1/webhooks/"+ids[0], nil).wantError(t, 404, "", "")
	if n := len(e.callKey(otherKey, "GET", "/api/v1/webhooks?company_id="+other, nil).want(t, 200).get("data").([]any)); n != 0 {
		t.Errorf("another company lists %d webhooks", n)
	}
	weak := e.newKey(e.company, memberd.PermMemberBasicRead)
	for _, c := range [][2]string{{"GET", "/api/v1/webhooks?company_id=" + e.company}, {"POST", "/api/v1/webhooks"}, {"GET", "/api/v1/webhooks/" + ids[0]},
		{"GET", "/api/memberd/v1/webhooks/" + ids[0] + "/deliveries"}} {
		e.callKey(weak, c[0], c[1], map[string]any{"url": "https://x.io"}).wantError(t, 403, "", "")
	}
}

// Outside test mode, loopback and private URLs are refused unless the
// operator allows them.
func TestWebhookURLPolicy(t *testing.T) {
	prod := newEnv(t, withoutTestHelpers)
	for _, u := range []string{"http://localhost:3000/h", "http://127.0.0.1/h", "http://10.0.0.5/h", "http://169.254.169.254/", "http://[::1]:80/"} {
		prod.call("POST", "/api/v1/webhooks", map[string]any{"url": u}).wantError(t, 400, "parameter_invalid", "url")
	}
	prod.call("POST", "/api/v1/webhooks", map[string]any{"url": "https://hooks.example.com/h"}).want(t, 200)
	allowed := newEnv(t, withoutTestHelpers, withPrivateWebhooks)
	allowed.call("POST", "/api/v1/webhooks", map[string]any{"url": "http://10.0.0.5/h"}).want(t, 200)
}
