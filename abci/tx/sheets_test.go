package tx_test

import (
	"strings"
	"testing"

	"github.com/linli-community/linli/abci/tx"
)

func TestNormalizeSheetCode(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"123456789012", "123456789012", true},
		{"1234 5678 9012", "123456789012", true},
		{"1234-5678-9012", "123456789012", true},
		{" １２３４－５６７８　９０１２ ", "123456789012", true},
		{"12345678901", "", false},
		{"1234567890123", "", false},
		{"1234 5678 901a", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := tx.NormalizeSheetCode(tt.in)
		if ok != tt.ok || ok && got != tt.want {
			t.Errorf("NormalizeSheetCode(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if got := tx.FormatSheetCode("123456789012"); got != "1234 5678 9012" {
		t.Errorf("FormatSheetCode = %q", got)
	}
}

func TestSheetVerifierIsSaltedPerChainAndDecision(t *testing.T) {
	v := tx.SheetVerifier("c", 1, "123456789012")
	if len(v) != 64 || v != tx.SheetVerifier("c", 1, "123456789012") {
		t.Fatalf("verifier %q is not a stable SHA-256 width hex", v)
	}
	for _, other := range []string{tx.SheetVerifier("c", 2, "123456789012"), tx.SheetVerifier("d", 1, "123456789012"), tx.SheetVerifier("c", 1, "123456789013")} {
		if other == v {
			t.Errorf("two different (chain, decision, code) give the same verifier")
		}
	}
}

func TestSheetBodiesValidate(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	tests := []struct {
		name  string
		body  tx.Body
		field string
	}{
		{"ErrIssueNoProposal", &tx.SheetIssue{Sheets: []tx.SheetSpec{{Owner: "O-1", Verifier: hash}}}, "proposal"},
		{"ErrIssueNoSheets", &tx.SheetIssue{Proposal: 1}, "sheets"},
		{"ErrIssueOwnerTwice", &tx.SheetIssue{Proposal: 1, Sheets: []tx.SheetSpec{{Owner: "O-1", Verifier: hash}, {Owner: "O-1", Verifier: strings.Repeat("cd", 32)}}}, "sheets[1].owner"},
		{"ErrIssueVerifierTwice", &tx.SheetIssue{Proposal: 1, Sheets: []tx.SheetSpec{{Owner: "O-1", Verifier: hash}, {Owner: "O-2", Verifier: hash}}}, "sheets[1].verifier"},
		{"ErrIssueBadVerifier", &tx.SheetIssue{Proposal: 1, Sheets: []tx.SheetSpec{{Owner: "O-1", Verifier: "AB"}}}, "sheets[0].verifier"},
		{"ErrEnterCodeWithSpaces", &tx.SheetEnter{Proposal: 1, Code: "1234 5678 9012", ScanSHA256: hash}, "code"},
		{"ErrEnterChoice", &tx.SheetEnter{Proposal: 1, Code: "123456789012", Choice: 3, ScanSHA256: hash}, "choice"},
		{"ErrEnterScan", &tx.SheetEnter{Proposal: 1, Code: "123456789012", ScanSHA256: strings.ToUpper(hash)}, "scan_sha256"},
		{"ErrVoidNoReason", &tx.SheetVoid{Proposal: 1, Owner: "O-1", Entry: hash}, "reason"},
		{"ErrVoidEntry", &tx.SheetVoid{Proposal: 1, Owner: "O-1", Entry: "x", Reason: "r"}, "entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.body.Validate()
			fe, ok := err.(*tx.FieldError)
			if !ok || fe.Field != tt.field {
				t.Errorf("Validate() = %v, want a FieldError on %s", err, tt.field)
			}
		})
	}
}
