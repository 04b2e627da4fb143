package memberd

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Money is an exact decimal amount with eight fractional digits, stored as an
// integer count of 10⁻⁸ units: enough for every currency Whop lists (bitcoin
// has eight decimals) and for sums far beyond any membership's total spend.
// It is never a float, in memory or in storage.
type Money int64

// MoneyScale is the number of Money units in one currency unit.
const MoneyScale = 100_000_000

const moneyDigits = 8

// ParseMoney parses a non-negative decimal such as "10", "10.43" or "1e2".
// More than eight fractional digits, a sign, or a value over 10¹⁰ is an error.
func ParseMoney(s string) (Money, error) {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	if r.Sign() < 0 {
		return 0, fmt.Errorf("%s is negative", s)
	}
	r.Mul(r, big.NewRat(MoneyScale, 1))
	if !r.IsInt() {
		return 0, fmt.Errorf("%s has more than %d decimal places", s, moneyDigits)
	}
	if r.Num().Cmp(big.NewInt(10_000_000_000*MoneyScale)) > 0 {
		return 0, fmt.Errorf("%s is too large", s)
	}
	return Money(r.Num().Int64()), nil
}

// MustMoney is ParseMoney for constants; it panics on a malformed amount.
func MustMoney(s string) Money {
	m, err := ParseMoney(s)
	if err != nil {
		panic(err)
	}
	return m
}

// String formats the amount without trailing zeros: "10.43", "0", "1.5".
func (m Money) String() string {
	sign := ""
	v := int64(m)
	if v < 0 {
		sign, v = "-", -v
	}
	whole, frac := v/MoneyScale, v%MoneyScale
	if frac == 0 {
		return sign + strconv.FormatInt(whole, 10)
	}
	f := strings.TrimRight(fmt.Sprintf("%08d", frac), "0")
	return sign + strconv.FormatInt(whole, 10) + "." + f
}

// MarshalJSON writes the amount as a JSON number with its exact digits.
func (m Money) MarshalJSON() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalJSON reads a JSON number as MarshalJSON writes it.
func (m *Money) UnmarshalJSON(b []byte) error {
	v, err := ParseMoney(string(b))
	*m = v
	return err
}

// Float is for display-only arithmetic such as chart scaling, never storage.
func (m Money) Float() float64 { return float64(m) / MoneyScale }

// Percent returns p percent of m (p itself a Money, e.g. 12.5), rounded half
// up to the currency's minor unit.
func (m Money) Percent(p Money, c Currency) Money {
	n := new(big.Int).Mul(big.NewInt(int64(m)), big.NewInt(int64(p)))
	return roundRat(new(big.Rat).SetFrac(n, big.NewInt(100*MoneyScale)), c)
}

// Sub returns m-o, floored at zero: a discount never makes a charge negative.
func (m Money) Sub(o Money) Money { return max(m-o, 0) }

// Round rounds m half up to the currency's minor unit.
func (m Money) Round(c Currency) Money {
	return roundRat(new(big.Rat).SetInt64(int64(m)), c)
}

func roundRat(r *big.Rat, c Currency) Money {
	unit := int64(math.Pow10(moneyDigits - c.Decimals()))
	q := new(big.Rat).Quo(r, new(big.Rat).SetInt64(unit))
	// half up: floor(q + 1/2)
	q.Add(q, big.NewRat(1, 2))
	n := new(big.Int).Quo(q.Num(), q.Denom())
	return Money(n.Int64() * unit)
}
