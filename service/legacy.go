package service

import (
	"context"
	"encoding/json"
	"time"

	"github.com/memberd/memberd"
)

// What the legacy v2 and v5 surfaces need beyond the v1 operations: page-number
// lists, lookups by license key, and license validation. Their mutations are
// the v1 operations (Cancel, AddFreeDays, SetMetadata), so a membership reads
// the same through every surface.

// ListMembershipsOffset returns up to limit memberships matching f from
// offset on, by creation time (newest first unless asc), and how many match
// in all.
func (s *Service) ListMembershipsOffset(ctx context.Context, f memberd.MembershipFilter, offset, limit int, asc bool) ([]memberd.Membership, int, error) {
	var items []memberd.Membership
	var total int
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		if total, err = tx.CountMemberships(ctx, f); err != nil {
			return err
		}
		items, err = tx.ListMembershipsOffset(ctx, f, offset, limit, asc)
		return err
	})
	return items, total, err
}

// MembershipByRef returns a membership of the company by its id (mem_...)
// or by its license key.
func (s *Service) MembershipByRef(ctx context.Context, companyID, ref string) (memberd.Membership, error) {
	if memberd.HasPrefix(ref, memberd.PrefixMembership) {
		return s.Membership(ctx, companyID, ref)
	}
	items, _, err := s.ListMembershipsOffset(ctx, memberd.MembershipFilter{CompanyID: companyID, LicenseKey: ref}, 0, 1, false)
	if err != nil {
		return memberd.Membership{}, err
	}
	if len(items) == 0 {
		return memberd.Membership{}, memberd.NotFound("Membership", ref)
	}
	return items[0], nil
}

// ValidateLicense validates the license of the membership ref names (its
// license key or its id) for the device metadata md, binding what is not
// bound yet (memberd.Rules.ValidateLicense). A membership without a license
// key is not found, as an unknown key is.
func (s *Service) ValidateLicense(ctx context.Context, companyID, ref string, md json.RawMessage) (memberd.Membership, error) {
	m, err := s.MembershipByRef(ctx, companyID, ref)
	if err == nil && m.LicenseKey == "" {
		err = memberd.NotFound("Membership", ref)
	}
	if memberd.ErrorKind(err) == memberd.KindNotFound {
		return m, memberd.Errorf(memberd.KindNotFound, "", "", "The license key was not found.")
	}
	if err != nil {
		return m, err
	}
	return s.Mutate(ctx, companyID, m.ID, func(b memberd.Billing, now time.Time, _ memberd.Charger) (memberd.Outcome, error) {
		return s.rules.ValidateLicense(b, md, now)
	})
}
