package roster

import (
	"strconv"
	"strings"
)

// MaxArea is the largest exclusive area a unit may have, in 0.01 m²
// (10000.00 m²).
const MaxArea = 1_000_000

// ParseArea parses an area in square metres written as decimal digits with
// an optional '.' and at most two decimals ("89.5", "120", "75.25") and
// returns it in 0.01 m² (8950, 12000, 7525). It does not trim spaces. It
// returns [ErrAreaFormat] for anything that is not such a number (signs,
// exponents, thousands separators, units), [ErrAreaPrecision] for more than
// two decimals, [ErrAreaNotPositive] for zero or a negative number and
// [ErrAreaTooLarge] above [MaxArea].
func ParseArea(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	whole, frac, dot := strings.Cut(s, ".")
	if !isDigits(whole) || (dot && !isDigits(frac)) {
		return 0, ErrAreaFormat
	}
	if len(frac) > 2 {
		return 0, ErrAreaPrecision
	}

	// Accumulate in 0.01 m², stopping once the value is certainly too
	// large, so that no input can overflow.
	var v int64
	for i := 0; i < len(whole) && v <= MaxArea; i++ {
		v = v*10 + int64(whole[i]-'0')*100
	}
	if len(frac) >= 1 {
		v += int64(frac[0]-'0') * 10
	}
	if len(frac) == 2 {
		v += int64(frac[1] - '0')
	}

	switch {
	case neg || v == 0:
		return 0, ErrAreaNotPositive
	case v > MaxArea:
		return 0, ErrAreaTooLarge
	}
	return v, nil
}

// FormatArea formats an area in 0.01 m² as square metres with exactly two
// decimals: 8950 is "89.50". It is the inverse of [ParseArea] for every
// valid area.
func FormatArea(a int64) string {
	sign := ""
	u := uint64(a)
	if a < 0 {
		sign = "-"
		u = -u
	}
	frac := u % 100
	return sign + strconv.FormatUint(u/100, 10) + "." + string([]byte{'0' + byte(frac/10), '0' + byte(frac%10)})
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
