package memberd

import "slices"

// Currency is a lowercase currency code from Whop's Currency enum.
type Currency string

// Currencies is the Currency enum of the official SDK (0.0.42), in its order.
var Currencies = []Currency{
	"usd", "sgd", "inr", "aud", "brl", "cad", "dkk", "eur", "nok", "gbp", "sek", "chf", "hkd", "huf",
	"jpy", "mxn", "myr", "pln", "czk", "nzd", "aed", "eth", "ape", "cop", "ron", "thb", "bgn", "idr",
	"dop", "php", "try", "krw", "twd", "vnd", "pkr", "clp", "uyu", "ars", "zar", "dzd", "tnd", "mad",
	"kes", "kwd", "jod", "all", "xcd", "amd", "bsd", "bhd", "bob", "bam", "khr", "crc", "xof", "egp",
	"etb", "gmd", "ghs", "gtq", "gyd", "ils", "jmd", "mop", "mga", "mur", "mdl", "mnt", "nad", "ngn",
	"mkd", "omr", "pyg", "pen", "qar", "rwf", "sar", "rsd", "lkr", "tzs", "ttd", "uzs", "rub", "btc",
	"cny", "usdt", "kzt", "awg", "whop_usd", "xau",
}

// Valid reports whether c is in the enum.
func (c Currency) Valid() bool { return slices.Contains(Currencies, c) }

// Decimals is the number of fractional digits of the currency's minor unit,
// used to round computed charges (discounts).
func (c Currency) Decimals() int {
	switch c {
	case "jpy", "krw", "vnd", "clp", "pyg", "xof", "rwf":
		return 0
	case "kwd", "bhd", "jod", "omr", "tnd":
		return 3
	case "usdt":
		return 6
	case "btc", "eth", "ape", "xau":
		return 8
	}
	return 2
}
