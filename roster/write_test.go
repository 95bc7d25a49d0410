package roster

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	rows := []Row{
		{Line: 9, Unit: "10-101", Building: "10", Area: 8950, Owner: "O-0003"},
		{Unit: "2-101", Building: "2", Area: 12000, Owner: "developer"},
		{Unit: "2-1201", Building: "2", Area: 7525, Owner: "developer"},
		{Unit: "2-502", Building: "2", Area: 1, Owner: "DEV-1"},
	}
	before := slices.Clone(rows)
	var buf bytes.Buffer
	if err := Write(&buf, rows); err != nil {
		t.Fatalf("Write: %v", err)
	}
	want := "\ufeffunit,building,area_m2,owner\n" +
		"2-101,2,120.00,developer\n" +
		"2-502,2,0.01,DEV-1\n" +
		"2-1201,2,75.25,developer\n" +
		"10-101,10,89.50,O-0003\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if !reflect.DeepEqual(rows, before) {
		t.Errorf("Write reordered its input: %+v", rows)
	}
}

func TestWriteNoRowsWritesBlankRoster(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, nil); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if got, want := buf.String(), "\ufeffunit,building,area_m2,owner\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestWriteRejectsWhatParseWouldNotReadBack(t *testing.T) {
	good := Row{Unit: "1-101", Building: "1", Area: 8000, Owner: "O-1"}
	with := func(f func(*Row)) []Row {
		r := good
		f(&r)
		return []Row{r}
	}
	tests := []struct {
		name string
		rows []Row
		want Code
	}{
		{"ErrEmptyValue", with(func(r *Row) { r.Owner = "" }), ErrEmptyValue},
		{"ErrBadChar", with(func(r *Row) { r.Unit = "1/101" }), ErrBadChar},
		{"ErrBadCharComma", with(func(r *Row) { r.Building = "1,2" }), ErrBadChar},
		{"ErrBadCharNewline", with(func(r *Row) { r.Building = "1\n2" }), ErrBadChar},
		{"ErrTooLong", with(func(r *Row) { r.Owner = strings.Repeat("o", 65) }), ErrTooLong},
		{"ErrNotNormalSpaces", with(func(r *Row) { r.Unit = " 1-101" }), ErrNotNormal},
		{"ErrNotNormalFullWidth", with(func(r *Row) { r.Building = "１" }), ErrNotNormal},
		{"ErrNotNormalInvalidUTF8", with(func(r *Row) { r.Owner = "O\xff" }), ErrNotNormal},
		{"ErrAreaNotPositive", with(func(r *Row) { r.Area = 0 }), ErrAreaNotPositive},
		{"ErrAreaTooLarge", with(func(r *Row) { r.Area = MaxArea + 1 }), ErrAreaTooLarge},
		{"ErrDuplicateUnit", []Row{good, good}, ErrDuplicateUnit},
		{"ErrDuplicateUnitIgnoresCase", []Row{{Unit: "a-1", Building: "a", Area: 1, Owner: "x"}, {Unit: "A-1", Building: "a", Area: 1, Owner: "y"}}, ErrDuplicateUnit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, tt.rows)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %q despite the error", buf.String())
			}
		})
	}
}

func TestParseReadsBackWhatWriteWrote(t *testing.T) {
	rows := []Row{
		{Unit: "3-502", Building: "3", Area: 8950, Owner: "O-0001"},
		{Unit: "3-501", Building: "3", Area: 8950, Owner: "O-0001"},
		{Unit: "10-101", Building: "10", Area: 1, Owner: "developer"},
		{Unit: "2-101", Building: "2", Area: MaxArea, Owner: "developer"},
		{Unit: "商铺_1.A", Building: "商业", Area: 12345, Owner: "DEV-1"},
		{Unit: strings.Repeat("9", 32), Building: strings.Repeat("栋", 10), Area: 10, Owner: strings.Repeat("O", 64)},
	}
	got := roundTrip(t, rows)
	if want := sortedNoLines(rows); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// roundTrip writes rows, parses them back and returns them without lines.
func roundTrip(tb testing.TB, rows []Row) []Row {
	tb.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, rows); err != nil {
		tb.Fatalf("Write: %v", err)
	}
	got, err := Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		tb.Fatalf("Parse(Write(rows)): %v\n%s", err, buf.Bytes())
	}
	return sortedNoLines(got)
}

// sortedNoLines returns a copy of rows sorted by unit, with Line zeroed.
func sortedNoLines(rows []Row) []Row {
	out := slices.Clone(rows)
	for i := range out {
		out[i].Line = 0
	}
	slices.SortFunc(out, func(a, b Row) int {
		switch {
		case Less(a.Unit, b.Unit):
			return -1
		case Less(b.Unit, a.Unit):
			return 1
		}
		return 0
	})
	return out
}
