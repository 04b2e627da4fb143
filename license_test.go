package memberd_test

import (
	"encoding/json"
	"testing"

	. "github.com/memberd/memberd"
)

func TestValidateLicense(t *testing.T) {
	b := checkout(t, monthly(), pay)
	b.Membership.LicenseKey = NewLicenseKey()
	validate := func(b Billing, md string) (Outcome, error) {
		return rules.ValidateLicense(b, json.RawMessage(md), at(day))
	}

	o, err := validate(b, `{}`)
	if err != nil || o.Changed {
		t.Fatalf("{} binds nothing: changed %v, %v", o.Changed, err)
	}
	o, err = validate(b, `{"HWID": "abc"}`)
	if err != nil || !o.Changed || string(o.Membership.Metadata) != `{"HWID":"abc"}` || !o.Membership.UpdatedAt.Equal(at(day)) || len(o.Events) != 0 {
		t.Fatalf("first validation binds, with no event: %s %v", o.Membership.Metadata, err)
	}
	b.Membership = o.Membership
	for _, md := range []string{`{"HWID": "abc"}`, `{}`} {
		if o, err := validate(b, md); err != nil || o.Changed {
			t.Errorf("%s checks and changes nothing: %v %v", md, o.Changed, err)
		}
	}
	if _, err := validate(b, `{"HWID": "xyz"}`); ErrorCode(err) != CodeLicenseMetadataMismatch {
		t.Errorf("another device: %v", err)
	}
	if _, err := validate(b, `{"HWID": "abc", "os": "mac", "n": 1}`); err != nil {
		t.Errorf("new keys bind beside bound ones: %v", err)
	}

	// Values compare as JSON values.
	b.Membership.Metadata = json.RawMessage(`{"n": 1, "o": {"a": 1, "b": [true]}}`)
	if o, err := validate(b, `{"n": 1.0, "o": {"b": [true], "a": 1}}`); err != nil || o.Changed {
		t.Errorf("equal values in another spelling match: %v", err)
	}
	if _, err := validate(b, `{"n": "1"}`); ErrorCode(err) != CodeLicenseMetadataMismatch {
		t.Errorf("the string 1 is not the number 1: %v", err)
	}

	// Bound metadata stays within the metadata limits.
	big := map[string]int{}
	for i := range MaxMetadataKeys {
		big[string(rune('a'+i%26))+string(rune('a'+i/26))] = i
	}
	raw, _ := json.Marshal(big)
	b.Membership.Metadata = raw
	if _, err := validate(b, `{"HWID": "abc"}`); ErrorCode(err) != CodeParameterInvalid {
		t.Errorf("binding past 50 keys: %v", err)
	}

	// Only a membership that grants access validates.
	for _, s := range []Status{StatusCanceled, StatusExpired, StatusPastDue, StatusDrafted} {
		b.Membership.Status = s
		if _, err := validate(b, `{}`); ErrorCode(err) != CodeLicenseNotValid {
			t.Errorf("%s: %v", s, err)
		}
	}
}

// ErrorCode is the code of a memberd error ("" for others).
func ErrorCode(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Code
	}
	return ""
}
