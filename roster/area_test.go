package roster

import (
	"errors"
	"testing"
)

func TestParseArea(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int64
		err  error
	}{
		{"WholeNumber", "120", 12000, nil},
		{"OneDecimal", "89.5", 8950, nil},
		{"TwoDecimals", "75.25", 7525, nil},
		{"TrailingZeroDecimal", "89.50", 8950, nil},
		{"LeadingZeros", "0089.5", 8950, nil},
		{"Smallest", "0.01", 1, nil},
		{"LargestExactly", "10000.00", MaxArea, nil},
		{"LargestWithLeadingZeros", "00000000000000000000010000", MaxArea, nil},
		{"ErrAreaFormatEmpty", "", 0, ErrAreaFormat},
		{"ErrAreaFormatSpace", " 89.5", 0, ErrAreaFormat},
		{"ErrAreaFormatExponent", "1e3", 0, ErrAreaFormat},
		{"ErrAreaFormatUpperExponent", "1E3", 0, ErrAreaFormat},
		{"ErrAreaFormatThousands", "1,000", 0, ErrAreaFormat},
		{"ErrAreaFormatPlus", "+1", 0, ErrAreaFormat},
		{"ErrAreaFormatLoneMinus", "-", 0, ErrAreaFormat},
		{"ErrAreaFormatLeadingDot", ".5", 0, ErrAreaFormat},
		{"ErrAreaFormatTrailingDot", "5.", 0, ErrAreaFormat},
		{"ErrAreaFormatTwoDots", "1.2.3", 0, ErrAreaFormat},
		{"ErrAreaFormatDecimalComma", "89,5", 0, ErrAreaFormat},
		{"ErrAreaFormatHex", "0x10", 0, ErrAreaFormat},
		{"ErrAreaFormatInfinity", "Inf", 0, ErrAreaFormat},
		{"ErrAreaFormatFullWidthDigits", "８９", 0, ErrAreaFormat},
		{"ErrAreaPrecision", "89.505", 0, ErrAreaPrecision},
		{"ErrAreaPrecisionZeros", "89.500", 0, ErrAreaPrecision},
		{"ErrAreaNotPositiveZero", "0", 0, ErrAreaNotPositive},
		{"ErrAreaNotPositiveZeroDecimals", "0.00", 0, ErrAreaNotPositive},
		{"ErrAreaNotPositiveNegative", "-89.5", 0, ErrAreaNotPositive},
		{"ErrAreaNotPositiveNegativeZero", "-0", 0, ErrAreaNotPositive},
		{"ErrAreaTooLarge", "10000.01", 0, ErrAreaTooLarge},
		{"ErrAreaTooLargeHuge", "99999999999999999999999999999", 0, ErrAreaTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseArea(tt.in)
			if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Errorf("ParseArea(%q) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestFormatArea(t *testing.T) {
	tests := []struct {
		name string
		in   int64
		want string
	}{
		{"Whole", 12000, "120.00"},
		{"OneDecimal", 8950, "89.50"},
		{"TwoDecimals", 7525, "75.25"},
		{"Smallest", 1, "0.01"},
		{"Zero", 0, "0.00"},
		{"Largest", MaxArea, "10000.00"},
		{"Negative", -8950, "-89.50"},
		{"MinInt64", -1 << 63, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatArea(tt.in); got != tt.want {
				t.Errorf("FormatArea(%d) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseAreaInvertsFormatAreaForEveryValidArea(t *testing.T) {
	for a := int64(1); a <= MaxArea; a++ {
		s := FormatArea(a)
		got, err := ParseArea(s)
		if err != nil || got != a {
			t.Fatalf("ParseArea(FormatArea(%d) = %q) = %d, %v", a, s, got, err)
		}
	}
}
