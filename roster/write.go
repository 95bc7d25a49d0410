package roster

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
)

// Write writes rows as a roster file that Parse reads back to the same rows:
// a UTF-8 byte order mark (so that spreadsheet programs detect UTF-8), the
// header unit,building,area_m2,owner, then one line per row sorted by unit
// number in natural order (see Less), areas formatted with two decimals.
// Row.Line is ignored and rows is not modified.
//
// Write checks every row by the rules Parse applies and writes nothing if
// one breaks them; the error wraps the broken rule's Code. Unlike Parse, it
// does not clean values: a value with surrounding spaces or full-width
// characters is an error (ErrNotNormal). With no rows it writes just the
// header, a blank roster to fill in (which Parse rejects until it is).
func Write(w io.Writer, rows []Row) error {
	seen := make(map[string]bool, len(rows))
	for _, r := range rows {
		if err := checkRow(r); err != nil {
			return err
		}
		k := unitKey(r.Unit)
		if seen[k] {
			return fmt.Errorf("%w (unit %q)", ErrDuplicateUnit, r.Unit)
		}
		seen[k] = true
	}

	sorted := slices.Clone(rows)
	slices.SortFunc(sorted, func(a, b Row) int {
		switch {
		case Less(a.Unit, b.Unit):
			return -1
		case Less(b.Unit, a.Unit):
			return 1
		}
		return 0
	})

	bw := bufio.NewWriter(w)
	bw.Write(bom)
	cw := csv.NewWriter(bw)
	cw.Write(columns)
	for _, r := range sorted {
		cw.Write([]string{r.Unit, r.Building, FormatArea(r.Area), r.Owner})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("roster: write: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("roster: write: %w", err)
	}
	return nil
}

// checkRow checks one row for Write.
func checkRow(r Row) error {
	fields := []struct {
		col, v string
		max    int
	}{
		{ColUnit, r.Unit, MaxUnitLen},
		{ColBuilding, r.Building, MaxBuildingLen},
		{ColOwner, r.Owner, MaxOwnerLen},
	}
	for _, f := range fields {
		if clean(f.v) != f.v {
			return fmt.Errorf("%w (%s %q)", ErrNotNormal, f.col, f.v)
		}
		if code, _ := checkName(f.col, f.v, f.max); code != 0 {
			return fmt.Errorf("%w (%s %q of unit %q)", code, f.col, f.v, r.Unit)
		}
	}
	switch {
	case r.Area <= 0:
		return fmt.Errorf("%w (unit %q: %d)", ErrAreaNotPositive, r.Unit, r.Area)
	case r.Area > MaxArea:
		return fmt.Errorf("%w (unit %q: %d)", ErrAreaTooLarge, r.Unit, r.Area)
	}
	return nil
}
