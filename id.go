package memberd

import (
	"crypto/rand"
	"strings"
	"time"
)

// ID prefixes, and the length of the random base62 part after each, as Whop
// issues them (an 18-character ID in all for most objects).
const (
	PrefixCompany       = "biz_"
	PrefixUser          = "user_"
	PrefixProduct       = "prod_"
	PrefixPlan          = "plan_"
	PrefixMember        = "mber_"
	PrefixMembership    = "mem_"
	PrefixPayment       = "pay_"
	PrefixPromoCode     = "promo_"
	PrefixWebhook       = "hook_"
	PrefixMessage       = "msg_"
	PrefixPaymentMethod = "pmt_"
	PrefixAPIKey        = "key_"
	PrefixAPIKeySecret  = "apik_"
)

var idLengths = map[string]int{
	PrefixMessage:      24,
	PrefixAPIKeySecret: 43,
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewID returns an identifier with the given prefix, 18 characters long
// unless the prefix has a length of its own (webhook messages, key secrets).
// High-volume objects (payments, events) get IDs that start with the time
// (see NewSortableID); the rest are random.
func NewID(prefix string) string {
	n, ok := idLengths[prefix]
	if !ok {
		n = 18 - len(prefix)
	}
	if prefix == PrefixPayment || prefix == PrefixMessage {
		return NewSortableID(prefix, n)
	}
	return prefix + randomBase62(n)
}

// NewSortableID returns prefix and n base62 characters: the first seven are
// the current Unix millisecond (so IDs made later sort later, until the year
// 2081), the rest random. Database indexes on such IDs grow at one end
// instead of taking writes all over: that is the point.
func NewSortableID(prefix string, n int) string {
	const timeChars = 7
	var t [timeChars]byte
	ms := time.Now().UnixMilli()
	for i := timeChars - 1; i >= 0; i-- {
		t[i] = base62[ms%62]
		ms /= 62
	}
	return prefix + string(t[:]) + randomBase62(n-timeChars)
}

// randomBase62 draws n uniform base62 characters from crypto/rand, rejecting
// bytes at or above 248 (the largest multiple of 62 below 256) to avoid bias.
func randomBase62(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+4)
	for len(out) < n {
		rand.Read(buf) // never returns an error (crypto/rand, Go 1.24+)
		for _, c := range buf {
			if c < 248 && len(out) < n {
				out = append(out, base62[c%62])
			}
		}
	}
	return string(out)
}

// HasPrefix reports whether id carries prefix and a non-empty base62 tail.
func HasPrefix(id, prefix string) bool {
	tail, ok := strings.CutPrefix(id, prefix)
	if !ok || tail == "" {
		return false
	}
	for i := range len(tail) {
		if strings.IndexByte(base62, tail[i]) < 0 {
			return false
		}
	}
	return true
}

// NewLicenseKey returns a software license key such as A1B2C3-D4E5F6-G7H8I9
// (about 90 bits of randomness).
func NewLicenseKey() string {
	k := strings.ToUpper(randomBase62(18))
	return k[:6] + "-" + k[6:12] + "-" + k[12:]
}
