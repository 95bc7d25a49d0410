package roster

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics, that it fails only with a
// *ParseError listing at least one problem, and that whatever it accepts
// Write writes and Parse reads back to the same rows.
func FuzzParse(f *testing.F) {
	f.Add([]byte("unit,building,area_m2,owner\n3-502,3,89.5,O-0001\n"))
	f.Add([]byte("\ufeffOwner,AREA_M2,unit,building,,\r\nO-1,０.５,１-１,一\r\n\r\n"))
	f.Add([]byte("unit,building,area_m2,owner\n\"3-502\",3,\"1,0\",x\n3-502,3,0,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := Parse(bytes.NewReader(data))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || len(pe.Problems) == 0 {
				t.Fatalf("got %v, want a *ParseError with problems", err)
			}
			if rows != nil {
				t.Fatalf("got rows %+v with an error", rows)
			}
			return
		}
		if len(rows) == 0 {
			t.Fatalf("got no rows and no error")
		}
		if got, want := roundTrip(t, rows), sortedNoLines(rows); !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip changed rows:\ngot  %+v\nwant %+v", got, want)
		}
	})
}
