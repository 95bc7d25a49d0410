package roster

import (
	"slices"
	"testing"
)

func TestLess(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"SmallerBuildingNumberFirst", "2-101", "10-101", true},
		{"LargerBuildingNumberLast", "10-101", "2-101", false},
		{"SmallerRoomNumberFirst", "3-502", "3-1201", true},
		{"SameNumbersCompareLaterRuns", "3-502", "3-501", false},
		{"Irreflexive", "3-502", "3-502", false},
		{"PrefixFirst", "3", "3-502", true},
		{"EmptyFirst", "", "1", true},
		{"LeadingZerosEqualValueTieBrokenByBytes", "01", "1", true},
		{"LeadingZerosDoNotOutrankValue", "002", "10", true},
		{"NumbersLongerThanInt64", "99999999999999999999", "100000000000000000000", true},
		{"LettersByBytes", "A-101", "B-101", true},
		{"UpperCaseBeforeLowerCase", "A-101", "a-101", true},
		{"DigitsBeforeLetters", "9", "A", true},
		{"PunctuationBeforeDigits", "-1", "0", true},
		{"LetterSuffixAfterBareNumber", "3-502", "3-502A", true},
		{"ChineseBuildings", "1栋-101", "2栋-101", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Less(tt.a, tt.b); got != tt.want {
				t.Errorf("Less(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestLessSortsUnitNumbersNaturally(t *testing.T) {
	got := []string{"10-101", "2-1201", "2-101", "1-2", "B-1", "2-502", "1-10", "A-1", "10-2"}
	slices.SortFunc(got, func(a, b string) int {
		switch {
		case Less(a, b):
			return -1
		case Less(b, a):
			return 1
		}
		return 0
	})
	want := []string{"1-2", "1-10", "2-101", "2-502", "2-1201", "10-2", "10-101", "A-1", "B-1"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestLessIsStrictTotalOrder checks every pair of a set of strings built
// from digits, zeros, letters and punctuation: once sorted, each string must
// be Less than every later one and no later one Less than it. If that holds
// for all pairs, Less restricted to the set is the strict total order of
// the sorted positions, so it is irreflexive, asymmetric and transitive.
func TestLessIsStrictTotalOrder(t *testing.T) {
	alphabet := []string{"0", "1", "9", "-", "a", "A"}
	all := []string{""}
	level := []string{""}
	for n := 0; n < 4; n++ {
		var next []string
		for _, s := range level {
			for _, c := range alphabet {
				next = append(next, s+c)
			}
		}
		all = append(all, next...)
		level = next
	}
	slices.SortStableFunc(all, func(a, b string) int {
		switch {
		case Less(a, b):
			return -1
		case Less(b, a):
			return 1
		}
		return 0
	})
	for i, a := range all {
		if Less(a, a) {
			t.Fatalf("Less(%q, %q) = true", a, a)
		}
		for _, b := range all[i+1:] {
			if !Less(a, b) || Less(b, a) {
				t.Fatalf("sorted %q before %q but Less(a, b) = %v, Less(b, a) = %v", a, b, Less(a, b), Less(b, a))
			}
		}
	}
}
