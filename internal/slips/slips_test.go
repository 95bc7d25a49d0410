package slips_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/internal/qr/qrtest"
	"github.com/linli-community/linli/internal/slips"
)

func TestEverySlipHasItsUnitCodeAndAQRCodeThatDecodes(t *testing.T) {
	exp := time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC) // 2027-01-01 00:30 in China
	ss := []slips.Slip{
		{Unit: "2-101", Code: "01234567", Expires: exp},
		{Unit: "10-2501", Code: "98765432", Expires: exp},
		{Unit: "<b>", Code: "11111111", Expires: exp},
	}
	var buf bytes.Buffer
	if err := slips.Write(&buf, "阳光花园", ss); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	texts, err := qrtest.DecodeAll(page)
	if err != nil {
		t.Fatal(err)
	}
	if len(texts) != len(ss) {
		t.Fatalf("%d QR codes, want %d", len(texts), len(ss))
	}
	for i, s := range ss {
		if want := "绑定 " + s.Unit + " " + s.Code; texts[i] != want {
			t.Errorf("QR %d = %q, want %q", i, texts[i], want)
		}
		if !strings.Contains(page, ">"+s.Code+"<") {
			t.Errorf("page lacks the code of %s", s.Unit)
		}
	}
	for _, want := range []string{"阳光花园 2-101", "阳光花园 10-2501", "有效期至 2027年1月1日 00:30", "@page { size: A4"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<b>") {
		t.Error("a unit number reached the page unescaped")
	}
}
