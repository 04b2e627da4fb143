package legacy_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/memberd/memberd/internal/apitest"
	"github.com/memberd/memberd/legacy"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from what the code produces")

// newEnv is the shared harness with the legacy surfaces mounted.
func newEnv(t *testing.T) *apitest.Env {
	e := apitest.New(t)
	legacy.Mount(e.API, e.Service, e.Log)
	return e
}

// A licensed product: memberships of it carry a license key.
var licensed = map[string]any{"title": "Tracker", "software_licensing": true}

var (
	idRE      = regexp.MustCompile(`\b(mem|user|biz|prod|plan|mber|pay|promo|pmt)_[0-9A-Za-z]+\b`)
	licenseRE = regexp.MustCompile(`\b[0-9A-Z]{6}-[0-9A-Z]{6}-[0-9A-Z]{6}\b`)
	hostRE    = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
)

// normalize makes a payload deterministic: ids and license keys are
// numbered in order of first appearance (keeping their prefix and length),
// and the test server's address is replaced. Times are deterministic
// already: the clock stands still.
func normalize(raw []byte) []byte {
	seen := map[string]string{}
	number := func(s, prefix string, width int) string {
		if v, ok := seen[s]; ok {
			return v
		}
		v := fmt.Sprintf("%s%0*d", prefix, width, len(seen)+1)
		seen[s] = v
		return v
	}
	raw = idRE.ReplaceAllFunc(raw, func(b []byte) []byte {
		s := string(b)
		if len(s) != 18 { // field names such as plan_ids are not ids
			return b
		}
		prefix := s[:bytes.IndexByte(b, '_')+1]
		return []byte(number(s, prefix, 18-len(prefix)))
	})
	raw = licenseRE.ReplaceAllFunc(raw, func(b []byte) []byte {
		return []byte(number(string(b), "KEY000-000000-", 6))
	})
	return hostRE.ReplaceAll(raw, []byte("http://memberd.test"))
}

// golden compares a payload, normalized and indented, after a header line
// (none when ""), with testdata/<name>.golden (rewritten with -update).
func golden(t *testing.T, name, header string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, normalize(body), "", "  "); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", name, err, body)
	}
	got := fmt.Appendf(nil, "%s%s\n", header, buf.Bytes())
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (run with -update if the change is intended):\n%s", name, path, got)
	}
}

// goldenResponse is golden for an HTTP answer.
func goldenResponse(t *testing.T, name string, r apitest.Response) {
	t.Helper()
	golden(t, name, fmt.Sprintf("HTTP %d\n", r.Status), r.Body)
}
