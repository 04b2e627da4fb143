// Package testpay is memberd's test payment processor: the outcome of every
// charge is decided by the behavior of the payment method it is made with,
// so tests can script successes and declines.
package testpay

import "github.com/memberd/memberd"

// Processor is the test processor.
type Processor struct{}

// DeclineMessage is the failure message of a declined test charge.
const DeclineMessage = "Your card was declined (test payment method)."

// Charge succeeds without a method or with behavior succeed; decline always
// fails; decline_renewals succeeds for a membership's first charge (at
// checkout or at the end of its trial) and fails every renewal.
func (Processor) Charge(c memberd.Charge, method *memberd.PaymentMethod) memberd.ChargeResult {
	if method == nil {
		return memberd.ChargeResult{Paid: true}
	}
	switch method.Behavior {
	case memberd.BehaviorDecline:
		return memberd.ChargeResult{FailureMessage: DeclineMessage}
	case memberd.BehaviorDeclineRenewals:
		if c.Payment.BillingReason == memberd.ReasonSubscriptionCycle {
			return memberd.ChargeResult{FailureMessage: DeclineMessage}
		}
	}
	return memberd.ChargeResult{Paid: true}
}
