package memberd

import (
	"errors"
	"fmt"
)

// Kind classifies an error; the HTTP adapter maps each kind to one status.
type Kind int

const (
	KindInternal         Kind = iota // a bug or an unavailable dependency
	KindInvalid                      // the request is malformed or does not fit the state
	KindUnauthorized                 // no or unknown credentials
	KindForbidden                    // credentials lack a permission
	KindNotFound                     // no such object, or not the caller's
	KindRateLimited                  // too many requests
	KindConflict                     // a concurrent request holds the same idempotency key
	KindMethodNotAllowed             // the path exists, not with this method
)

// Error codes of Whop's error envelope, plus one code per state conflict.
const (
	CodeParameterMissing = "parameter_missing"
	CodeParameterInvalid = "parameter_invalid"
	CodeParameterUnknown = "parameter_unknown"
	CodeInvalidJSON      = "invalid_json"

	CodeMembershipNotPausable    = "membership_not_pausable"
	CodeMembershipNotRecurring   = "membership_not_recurring"
	CodeMembershipNotCancelable  = "membership_not_cancelable"
	CodeMembershipNotExtendable  = "membership_not_extendable"
	CodeMembershipExpired        = "membership_expired"
	CodePaymentNotRetryable      = "payment_not_retryable"
	CodePaymentNotVoidable       = "payment_not_voidable"
	CodePlanNotPurchasable       = "plan_not_purchasable"
	CodeProductHasMemberships    = "product_has_memberships"
	CodePromoCodeNotApplicable   = "promo_code_not_applicable"
	CodeClockBackwards           = "clock_cannot_move_backwards"
	CodeIdempotencyKeyReused     = "idempotency_key_reused"
	CodeIdempotencyKeyInProgress = "idempotency_key_in_progress"
	CodeWebhookDisabled          = "webhook_disabled"
)

// Error is a domain error that reaches clients: its message is safe to show.
type Error struct {
	Kind    Kind
	Code    string // a machine-readable code, empty for the generic ones
	Param   string // the offending parameter, if any
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error of the kind and code, naming param (may be "").
func Errorf(kind Kind, code, param, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Param: param, Message: fmt.Sprintf(format, args...)}
}

// Invalid is a 400 about one parameter.
func Invalid(param, format string, args ...any) *Error {
	return Errorf(KindInvalid, CodeParameterInvalid, param, format, args...)
}

// Missing is a 400 for an absent required parameter.
func Missing(param string) *Error {
	return Errorf(KindInvalid, CodeParameterMissing, param, "Missing required parameter: %s.", param)
}

// Conflict is a 400 for an operation that does not fit the object's state.
func Conflict(code, format string, args ...any) *Error {
	return Errorf(KindInvalid, code, "", format, args...)
}

// NotFound is the error for an absent object, or one of another company.
func NotFound(what, id string) *Error {
	return Errorf(KindNotFound, "", "", "%s %q was not found", what, id)
}

// ErrNotFound is what storage returns for a missing row; services translate
// it into a NotFound naming the object.
var ErrNotFound = errors.New("not found")

// ErrDuplicate is what storage returns when a unique value (a username, a
// promo code) is taken.
var ErrDuplicate = errors.New("duplicate")

// ErrorKind returns the kind of err: that of an *Error in its chain, else
// KindInternal.
func ErrorKind(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}
