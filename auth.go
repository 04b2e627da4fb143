package memberd

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// Permission strings of Whop's API that memberd enforces.
const (
	PermMemberBasicRead      = "member:basic:read"
	PermMemberEmailRead      = "member:email:read"
	PermMemberPhoneRead      = "member:phone:read"
	PermMemberManage         = "member:manage"
	PermMembershipCancel     = "membership:cancel"
	PermMembershipResync     = "membership:resync_access"
	PermManageWebhook        = "developer:manage_webhook"
	PermPaymentBasicRead     = "payment:basic:read"
	PermPaymentManage        = "payment:manage"
	PermPlanBasicRead        = "plan:basic:read"
	PermPlanCreate           = "plan:create"
	PermPlanUpdate           = "plan:update"
	PermPlanDelete           = "plan:delete"
	PermProductBasicRead     = "access_pass:basic:read"
	PermProductCreate        = "access_pass:create"
	PermProductUpdate        = "access_pass:update"
	PermProductDelete        = "access_pass:delete"
	PermPromoCodeBasicRead   = "promo_code:basic:read"
	PermPromoCodeCreate      = "promo_code:create"
	PermPromoCodeDelete      = "promo_code:delete"
	PermCompanyBasicRead     = "company:basic:read"
	PermCompanyCreate        = "company:create"
	PermCompanyUpdate        = "company:update"
	PermCompanyManageAPIKeys = "company:manage_api_keys"
)

// AllPermissions is what a key gets when created without a permission list.
var AllPermissions = []string{
	PermMemberBasicRead, PermMemberEmailRead, PermMemberPhoneRead, PermMemberManage,
	PermMembershipCancel, PermMembershipResync, PermManageWebhook,
	PermPaymentBasicRead, PermPaymentManage,
	PermPlanBasicRead, PermPlanCreate, PermPlanUpdate, PermPlanDelete,
	PermProductBasicRead, PermProductCreate, PermProductUpdate, PermProductDelete,
	PermPromoCodeBasicRead, PermPromoCodeCreate, PermPromoCodeDelete,
	PermCompanyBasicRead, PermCompanyCreate, PermCompanyUpdate, PermCompanyManageAPIKeys,
}

// Permissions each membership operation needs, the same on every surface
// (v1, v2, v5 and the dashboard).
var (
	MembershipReadPerms   = []string{PermMemberBasicRead}
	MembershipManagePerms = []string{PermMemberManage, PermMemberBasicRead}
	MembershipCancelPerms = []string{PermMembershipCancel, PermMemberBasicRead}
)

// APIKey is a company's credential. Only its SHA-256 hash is stored; the
// secret is shown once, at creation.
type APIKey struct {
	ID          string
	CompanyID   string
	Name        string
	Hash        string
	Permissions []string
	CreatedAt   time.Time
}

// Can reports whether the key carries every one of perms.
func (k APIKey) Can(perms ...string) bool {
	for _, p := range perms {
		if !slices.Contains(k.Permissions, p) {
			return false
		}
	}
	return true
}

// Require returns a Forbidden error naming perms unless the key carries
// every one of them.
func (k APIKey) Require(perms ...string) error {
	if k.Can(perms...) {
		return nil
	}
	return Errorf(KindForbidden, "", "", "You do not have permission to access this resource (needs %s).", strings.Join(perms, ", "))
}

// HashAPIKey is the stored form of a key secret. Secrets are 256-bit random
// strings, so a fast hash is as strong as a slow one here.
func HashAPIKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewAPIKey makes a key for the company with perms (all when empty) and
// returns it with its secret, which is not kept.
func NewAPIKey(companyID, name string, perms []string, now time.Time) (APIKey, string, error) {
	if len(perms) == 0 {
		perms = AllPermissions
	}
	for _, p := range perms {
		if !slices.Contains(AllPermissions, p) {
			return APIKey{}, "", Invalid("permissions", "Unknown permission %q; known permissions are: %s.", p, strings.Join(AllPermissions, ", "))
		}
	}
	secret := NewID(PrefixAPIKeySecret)
	return APIKey{
		ID:          NewID(PrefixAPIKey),
		CompanyID:   companyID,
		Name:        name,
		Hash:        HashAPIKey(secret),
		Permissions: slices.Clone(perms),
		CreatedAt:   now,
	}, secret, nil
}
