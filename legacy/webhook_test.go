package legacy_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/internal/apitest"
	"github.com/memberd/memberd/legacywire"
)

func TestActions(t *testing.T) {
	for _, c := range []struct {
		event  memberd.EventType
		v2, v5 string // "" when not sent
	}{
		{memberd.EventMembershipActivated, "membership.went_valid", "membership.went_valid"},
		{memberd.EventMembershipDeactivated, "membership.went_invalid", "membership.went_invalid"},
		{memberd.EventMembershipCancelChanged, "membership.cancel_at_period_end_changed", ""},
		{memberd.EventPaymentSucceeded, "payment.succeeded", "payment.succeeded"},
		{memberd.EventPaymentFailed, "payment.failed", "payment.failed"},
		{memberd.EventPaymentCreated, "", ""},
		{memberd.EventPaymentPending, "", ""},
		{memberd.EventMembershipTrialEndingSoon, "", ""},
	} {
		for version, want := range map[string]string{"v2": c.v2, "v5": c.v5} {
			got, ok := legacywire.Action(c.event, version)
			if got != want || ok != (want != "") {
				t.Errorf("%s in %s: %q %v, want %q", c.event, version, got, ok, want)
			}
		}
	}
}

// TestPayloadsAreAsOfTheEvent: a payload shows the membership as the event
// saw it, not as it is when the payload is rendered (a retry days later).
func TestPayloadsAreAsOfTheEvent(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	id := e.Checkout(f.Monthly, "").Str("id")
	e.Call("PATCH", "/api/v1/memberships/"+id, map[string]any{"metadata": map[string]any{"later": true}}).Membership(t)
	e.Clock.Add(apitest.Day)
	e.Call("DELETE", "/api/v5/company/memberships/"+id, nil).Want(t, 200)

	evs := e.Events(id)
	payload := func(ev memberd.Event, version string) map[string]any {
		t.Helper()
		body, ok, err := legacywire.WebhookPayload(context.Background(), e.Service, ev, version)
		if err != nil || !ok {
			t.Fatalf("%s %s: %v %v", ev.Type, version, ok, err)
		}
		var out map[string]any
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	valid, invalid := evs[2], evs[3]
	if valid.Type != memberd.EventMembershipActivated || invalid.Type != memberd.EventMembershipDeactivated {
		t.Fatalf("events %v", apitest.EventTypes(evs))
	}
	for _, version := range []string{"v2", "v5"} {
		p := payload(valid, version)
		data := p["data"].(map[string]any)
		if p["action"] != "membership.went_valid" || data["status"] != "active" || data["valid"] != true ||
			len(data["metadata"].(map[string]any)) != 0 {
			t.Errorf("%s went_valid is the membership at checkout: %v", version, p)
		}
		p = payload(invalid, version)
		data = p["data"].(map[string]any)
		if p["action"] != "membership.went_invalid" || data["status"] != "canceled" || data["valid"] != false ||
			data["metadata"].(map[string]any)["later"] != true {
			t.Errorf("%s went_invalid is the membership at termination: %v", version, p)
		}
	}
	// v2 payloads expand product, user and plan; v5 ones are flat.
	v2 := payload(valid, "v2")["data"].(map[string]any)
	if v2["product"].(map[string]any)["id"] != f.Product || v2["plan"].(map[string]any)["id"] != f.Monthly || v2["user"].(map[string]any)["email"] == nil {
		t.Errorf("v2 expansions: %v", v2)
	}
	if v5 := payload(valid, "v5")["data"].(map[string]any); v5["product_id"] != f.Product || v5["plan_id"] != f.Monthly {
		t.Errorf("v5: %v", v5)
	}

	// Events without a legacy name are not sent; other versions are errors.
	if _, ok, err := legacywire.WebhookPayload(context.Background(), e.Service, evs[0], "v2"); ok || err != nil {
		t.Errorf("payment.created is not sent to v2 endpoints: %v %v", ok, err)
	}
	if _, _, err := legacywire.WebhookPayload(context.Background(), e.Service, valid, "v1"); err == nil {
		t.Error("v1 is not a legacy version")
	}
}

func TestSignatureHeader(t *testing.T) {
	// HMAC-SHA256("ws_secret", "1700000000.<body>"), computed independently.
	got := legacywire.SignatureHeader("ws_secret", []byte(`{"action":"payment.succeeded"}`), time.Unix(1700000000, 0))
	want := "t=1700000000,v1=f5a214bee7db3f2c8235807f30816b8856ef8bfbbe6cb3a11b53fe7f0b747bff"
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
