package webhook_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/internal/nodetest"
	"github.com/memberd/memberd/webhook"
)

// Fixed vectors: the Standard Webhooks example (whsec_ secret, from the
// spec's libraries), and a ws_ secret whose signature was computed with
// openssl (printf '%s' "$id.$ts.$body" | openssl dgst -sha256 -hmac
// "$secret" -binary | base64) and Python's hmac, which agree.
var vectors = []struct {
	secret, id string
	ts         int64
	body, sig  string
}{
	{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
		`{"test": 2432232314}`, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
	{"ws_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "msg_2b8d4c1f9e0a7d3c6b5a4f3e", 1767225600,
		`{"type":"membership.activated"}`, "v1,R7ZqGLxbw+0FWCu/b85YkpbIJHXjOvY6MGfQODxQEr4="},
}

func TestSignatureVectors(t *testing.T) {
	for _, v := range vectors {
		s, err := webhook.NewSigner(v.secret)
		if err != nil {
			t.Fatal(err)
		}
		ts := time.Unix(v.ts, 0)
		if got := s.Signature(v.id, ts, []byte(v.body)); got != v.sig {
			t.Errorf("%s: signature %s, want %s", v.secret[:6], got, v.sig)
		}
		h := http.Header{}
		s.SetHeaders(h, v.id, ts, []byte(v.body))
		if err := webhook.Verify(v.secret, h, []byte(v.body), ts.Add(time.Minute)); err != nil {
			t.Errorf("%s: own signature does not verify: %v", v.secret[:6], err)
		}
	}
}

func TestNewSecret(t *testing.T) {
	a, b := webhook.NewSecret(), webhook.NewSecret()
	if !regexp.MustCompile(`^ws_[0-9a-f]{64}$`).MatchString(a) || a == b {
		t.Fatalf("secrets %q, %q", a, b)
	}
	if !webhook.ValidSecret(a) || !webhook.ValidSecret(vectors[0].secret) {
		t.Error("a valid secret is refused")
	}
	for _, bad := range []string{"", "ws_", "ws_xyz", "whsec_", "whsec_!!!", "secret"} {
		if webhook.ValidSecret(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestVerify(t *testing.T) {
	secret := webhook.NewSecret()
	s, _ := webhook.NewSigner(secret)
	now := time.Unix(1767225600, 0)
	body := `{"id":"msg_1"}`
	h := http.Header{}
	s.SetHeaders(h, "msg_1", now, []byte(body))
	good := h.Get(webhook.HeaderSignature)
	cases := []struct {
		name   string
		header string // a header to change ("" for none), to value
		value  string
		body   string        // the body received ("" for the one signed)
		later  time.Duration // how long after signing it is verified
		secret string        // the verifier's ("" for the signer's)
		ok     bool
	}{
		{name: "as signed", ok: true},
		{name: "rotation: several signatures, one good", header: webhook.HeaderSignature, value: "v1,bm9wZQ== " + good + " v1a,x", ok: true},
		{name: "4 minutes later", later: 4 * time.Minute, ok: true},
		{name: "tampered body", body: `{"id":"msg_2"}`},
		{name: "other secret", secret: webhook.NewSecret()},
		{name: "other id", header: webhook.HeaderID, value: "msg_2"},
		{name: "too old", later: 6 * time.Minute},
		{name: "too new", later: -6 * time.Minute},
		{name: "no signature", header: webhook.HeaderSignature, value: ""},
		{name: "bad timestamp", header: webhook.HeaderTimestamp, value: "soon"},
		{name: "other version", header: webhook.HeaderSignature, value: "v2," + strings.TrimPrefix(good, "v1,")},
	}
	for _, c := range cases {
		got := h.Clone()
		if c.header != "" {
			got.Set(c.header, c.value)
		}
		b := cmp.Or(c.body, body)
		if err := webhook.Verify(cmp.Or(c.secret, secret), got, []byte(b), now.Add(c.later)); (err == nil) != c.ok {
			t.Errorf("%s: verify = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

// The official SDK's webhooks.unwrap and the standardwebhooks package,
// run by Node, accept what memberd signs, with ws_ secrets (passed as
// btoa(secret), as Whop's docs say) and whsec_ secrets, and refuse
// tampered requests.
func TestSignaturesVerifyWithOfficialSDK(t *testing.T) {
	type input struct {
		Secret  string            `json:"secret"`
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
	}
	now := time.Now()
	var in []input
	var wantOK []bool
	add := func(secret, id, body string, tamper bool) {
		s, err := webhook.NewSigner(secret)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		s.SetHeaders(h, id, now, []byte(body))
		if tamper {
			body = strings.Replace(body, "activated", "deactivated", 1)
		}
		hs := map[string]string{}
		for k := range h {
			hs[strings.ToLower(k)] = h.Get(k)
		}
		in = append(in, input{secret, hs, body})
		wantOK = append(wantOK, !tamper)
	}
	for i := range 5 {
		id := memberd.NewID(memberd.PrefixMessage)
		body := `{"id":"` + id + `","api_version":"v1","data":{"id":"mem_x","note":"café ✓ ` + strings.Repeat("x", i*100) + `"},"type":"membership.activated"}`
		add(webhook.NewSecret(), id, body, false)
		add("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id, body, false)
		add(webhook.NewSecret(), id, body, true)
	}
	var out []struct {
		StandardWebhooks string `json:"standardwebhooks"`
		SDK              string `json:"sdk"`
		ID               *string
	}
	raw, _ := json.Marshal(in)
	if err := json.Unmarshal(nodetest.Run(t, "verify.mjs", raw), &out); err != nil || len(out) != len(in) {
		t.Fatalf("verify.mjs: %v (%d results for %d inputs)", err, len(out), len(in))
	}
	for i, o := range out {
		if ok := o.StandardWebhooks == "ok" && o.SDK == "ok"; ok != wantOK[i] {
			t.Errorf("case %d (%s…, tampered=%v): standardwebhooks %q, sdk %q", i, in[i].Secret[:6], !wantOK[i], o.StandardWebhooks, o.SDK)
		}
		if wantOK[i] && (o.ID == nil || *o.ID != in[i].Headers[webhook.HeaderID]) {
			t.Errorf("case %d: unwrap returned id %v, want the webhook-id header", i, o.ID)
		}
	}
}

func TestCheckURL(t *testing.T) {
	cases := []struct {
		url             string
		public, private bool // accepted in production, with private allowed
	}{
		{"https://example.com/hooks", true, true},
		{"http://example.com:8080/x?y=1", true, true},
		{"https://93.184.216.34/h", true, true},
		{"http://127.0.0.1:3000/hook", false, true},
		{"http://localhost:3000/hook", false, true},
		{"http://app.localhost/hook", false, true},
		{"http://[::1]/hook", false, true},
		{"http://10.1.2.3/hook", false, true},
		{"http://192.168.1.10/hook", false, true},
		{"http://172.16.0.1/hook", false, true},
		{"http://169.254.169.254/latest/meta-data", false, true},
		{"http://100.64.0.1/", false, true},
		{"http://0.0.0.0/", false, true},
		{"http://[fd00::1]/", false, true},
		{"http://[::ffff:127.0.0.1]/", false, true},
		{"ftp://example.com/", false, false},
		{"example.com/hook", false, false},
		{"https:///nohost", false, false},
		{"javascript:alert(1)", false, false},
		{"", false, false},
	}
	for _, c := range cases {
		if err := webhook.CheckURL(c.url, false); (err == nil) != c.public {
			t.Errorf("CheckURL(%q, production) = %v, want ok=%v", c.url, err, c.public)
		}
		if err := webhook.CheckURL(c.url, true); (err == nil) != c.private {
			t.Errorf("CheckURL(%q, private allowed) = %v, want ok=%v", c.url, err, c.private)
		}
	}
}

// In production the dialer refuses internal addresses whatever name led
// there; allowed, it connects.
func TestDialerRefusesInternalAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	_, port, _ := strings.Cut(addr, ":")
	for _, target := range []string{addr, "localhost:" + port} {
		_, err := webhook.Dialer(time.Second, false).DialContext(context.Background(), "tcp", target)
		if !errors.Is(err, webhook.ErrPrivateAddress) {
			t.Errorf("dial %s in production: %v, want ErrPrivateAddress", target, err)
		}
		c, err := webhook.Dialer(time.Second, true).DialContext(context.Background(), "tcp", target)
		if err != nil {
			t.Errorf("dial %s with private allowed: %v", target, err)
		} else {
			c.Close()
		}
	}
	if !webhook.Internal(netip.MustParseAddr("198.18.0.1")) || webhook.Internal(netip.MustParseAddr("8.8.8.8")) {
		t.Error("Internal misclassifies")
	}
}
