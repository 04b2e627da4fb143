package memberd

import (
	"encoding/json"
	"reflect"
	"time"
)

// License keys. A membership of a product with software licensing carries a
// license key (NewLicenseKey, at checkout). Validating the key binds metadata
// to it, such as a device's HWID: the binding lives in the membership's own
// metadata, the convention Whop documents for HWIDs, so the company sees it
// with the membership and resets it (the "Reset Key" of Whop's dashboard) by
// updating the metadata.

// Codes of license validation failures.
const (
	CodeLicenseMetadataMismatch = "license_metadata_mismatch"
	CodeLicenseNotValid         = "license_not_valid"
)

// ValidateLicense validates the membership's license for a device described
// by md (a JSON object, possibly empty). The membership must grant access.
// Each key of md that the membership's metadata already has must carry the
// same value, else the metadata did not match; keys it does not have yet are
// bound (added to the metadata), so the first validation binds and later
// ones check.
func (r Rules) ValidateLicense(b Billing, md json.RawMessage, now time.Time) (Outcome, error) {
	o := Outcome{Membership: b.Membership}
	m := &o.Membership
	if !m.Valid() {
		return o, Conflict(CodeLicenseNotValid, "The license key's membership is %s and grants no access.", m.Status)
	}
	var given, bound map[string]json.RawMessage
	if err := json.Unmarshal(md, &given); err != nil || given == nil {
		return o, Invalid("metadata", "metadata must be a JSON object.")
	}
	if m.Metadata != nil {
		if err := json.Unmarshal(m.Metadata, &bound); err != nil {
			return o, err
		}
	}
	if bound == nil {
		bound = map[string]json.RawMessage{}
	}
	added := false
	for k, v := range given {
		old, ok := bound[k]
		if !ok {
			bound[k], added = v, true
			continue
		}
		if !sameJSON(old, v) {
			return o, Errorf(KindInvalid, CodeLicenseMetadataMismatch, "metadata",
				"The metadata did not match; the user needs to reset their key (%q differs).", k)
		}
	}
	if !added {
		return o, nil
	}
	merged, err := json.Marshal(bound)
	if err != nil {
		return o, err
	}
	return r.SetMetadata(b, merged, now)
}

// sameJSON reports whether two JSON values are equal as values (1 and 1.0
// are, key order does not count).
func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
