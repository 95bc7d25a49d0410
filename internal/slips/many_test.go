package slips_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/linli-community/linli/internal/qr/qrtest"
	"github.com/linli-community/linli/internal/slips"
)

// TestEveryQRCodeOfManySlipsDecodes decodes the slips of 400 units with
// spread-out codes: every one must read back (a reader that hunted for the
// code as in a photo misread a few at this size).
func TestEveryQRCodeOfManySlipsDecodes(t *testing.T) {
	var ss []slips.Slip
	for i := range 400 {
		ss = append(ss, slips.Slip{Unit: fmt.Sprintf("%d-%d", i/100+1, 101+i%100), Code: fmt.Sprintf("%08d", (i*7919*7919)%100000000), Expires: time.Now()})
	}
	var buf bytes.Buffer
	if err := slips.Write(&buf, "阳光花园", ss); err != nil {
		t.Fatal(err)
	}
	texts, err := qrtest.DecodeAll(buf.String())
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range ss {
		if texts[i] != slips.BindMessage(s) {
			t.Errorf("QR %d = %q, want %q", i, texts[i], slips.BindMessage(s))
		}
	}
}
