package tx

import (
	"slices"
	"strings"
)

// NaturalLess reports whether label a sorts before b in natural order: runs
// of ASCII digits compare by their numeric value, so "2-101" sorts before
// "10-101" and "3-502" before "3-1201"; everything else compares byte by
// byte. Numbers of any length compare correctly (nothing is converted to an
// integer). Strings that are equal in natural order but differ in bytes,
// such as "01" and "1", are ordered by their bytes, so Less is a strict
// total order and sorting with it is deterministic.
// Unit numbers (roster.Less) and building lists (CanonicalBuildings) sort
// this way.
func NaturalLess(a, b string) bool {
	if c := compareNatural(a, b); c != 0 {
		return c < 0
	}
	return a < b
}

// compareNatural compares a and b token by token, where a token is a
// maximal run of ASCII digits or of other bytes. A string that runs out of
// tokens first sorts first.
func compareNatural(a, b string) int {
	for a != "" && b != "" {
		var ta, tb string
		ta, a = nextToken(a)
		tb, b = nextToken(b)
		if c := compareToken(ta, tb); c != 0 {
			return c
		}
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	default:
		return 1
	}
}

// nextToken splits the first token off the non-empty string s.
func nextToken(s string) (tok, rest string) {
	digit := isDigit(s[0])
	i := 1
	for i < len(s) && isDigit(s[i]) == digit {
		i++
	}
	return s[:i], s[i:]
}

// compareToken orders tokens in three groups: text tokens starting with a
// byte below '0', then digit tokens by numeric value, then text tokens
// starting with a byte above '9'. Within a text group tokens compare by
// bytes. This agrees with byte order wherever tokens differ in kind, and it
// is a total preorder, which keeps Less transitive.
func compareToken(a, b string) int {
	da, db := isDigit(a[0]), isDigit(b[0])
	switch {
	case da && db:
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			if len(a) < len(b) {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	case da:
		if b[0] < '0' {
			return 1
		}
		return -1
	case db:
		if a[0] < '0' {
			return -1
		}
		return 1
	default:
		return strings.Compare(a, b)
	}
}

// isDigit reports whether c is an ASCII digit.
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// CanonicalBuildings returns a copy of bs sorted in natural order, the one
// order in which the chain stores a building list ("2" before "10")
// whatever order the tx gave.
func CanonicalBuildings(bs []string) []string {
	if len(bs) == 0 {
		return nil
	}
	out := slices.Clone(bs)
	SortNatural(out)
	return out
}

// SortNatural sorts ss in natural order (NaturalLess).
func SortNatural(ss []string) {
	slices.SortFunc(ss, func(a, b string) int {
		switch {
		case NaturalLess(a, b):
			return -1
		case NaturalLess(b, a):
			return 1
		}
		return 0
	})
}
