package tx

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Paper ballots (书面表决票): an admin issues one sheet per owner of a
// decision's electorate, each with a one-time 12-digit code; two different
// scrutineers enter each returned sheet before it counts.
const (
	TypeSheetIssue Type = "sheet.issue"
	TypeSheetEnter Type = "sheet.enter"
	TypeSheetVoid  Type = "sheet.void"
)

// RoleScrutineer (监票人) enters paper ballots. Only a bound member can
// hold it.
const RoleScrutineer = "scrutineer"

// Limits on sheets.
const (
	// SheetCodeDigits is the length of a sheet code.
	SheetCodeDigits = 12
	// MaxSheetsPerTx bounds one SheetIssue: 500 sheets of the longest
	// owner labels stay well under MaxBytes.
	MaxSheetsPerTx = 500
	// SheetKDFIterations is the PBKDF2-HMAC-SHA256 cost of a sheet
	// code's verifier, about a millisecond. Unlike a binding code (a
	// fifth of a second of Argon2id), the chain derives it on every
	// entry, in CheckTx and FinalizeBlock, and the client for every
	// sheet it prints, so it must stay cheap; what it protects is short
	// lived (a code is void once its sheet counts or voting closes) and
	// a guessed code is worth little on its own (entry takes two
	// scrutineers, and the owner is told).
	SheetKDFIterations = 1000
)

// NormalizeSheetCode reads a sheet code as a person types it: spaces and
// dashes (half or full width) are ignored and full-width digits read as
// digits. It reports false unless exactly SheetCodeDigits digits remain.
func NormalizeSheetCode(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '-' || r == '\u3000' || r == '－' || r == '—' || r == '\t':
		case '0' <= r && r <= '9':
			b.WriteRune(r)
		case '０' <= r && r <= '９':
			b.WriteRune('0' + r - '０')
		default:
			return "", false
		}
	}
	code := b.String()
	return code, len(code) == SheetCodeDigits
}

// FormatSheetCode prints a code in groups of four: "1234 5678 9012".
func FormatSheetCode(code string) string {
	var parts []string
	for i := 0; i < len(code); i += 4 {
		parts = append(parts, code[i:min(i+4, len(code))])
	}
	return strings.Join(parts, " ")
}

// SheetSalt is the salt of every sheet code of one decision on one chain.
// It is public and derived, not chosen, so that the chain can find a
// sheet by its code alone: a salt per sheet would need the sheet to be
// named too. It still makes every decision's verifiers a separate search.
func SheetSalt(chainID string, proposal uint64) []byte {
	s := sha256.Sum256([]byte("linli/sheet/v1\x00" + chainID + "\x00" + strconv.FormatUint(proposal, 10)))
	return s[:16]
}

// SheetVerifier is what the chain keeps of a sheet code: PBKDF2-HMAC-SHA256
// of the code over SheetSalt, SheetKDFIterations times, in hex.
func SheetVerifier(chainID string, proposal uint64, code string) string {
	k, err := pbkdf2.Key(sha256.New, code, SheetSalt(chainID, proposal), SheetKDFIterations, 32)
	if err != nil {
		panic(err) // only for parameters FIPS mode forbids; these are fixed
	}
	return hex.EncodeToString(k)
}

// SheetSpec is one sheet of a SheetIssue: the owner it is for and the
// verifier of its code.
type SheetSpec struct {
	Owner    string `json:"owner"`
	Verifier string `json:"verifier"`
}

// SheetIssue issues paper ballot sheets for a noticed decision (admin
// only), one per owner of its electorate. An owner's earlier sheet, if
// nothing was entered on it yet, is replaced and its code stops working.
type SheetIssue struct {
	Proposal uint64      `json:"proposal"`
	Sheets   []SheetSpec `json:"sheets"`
}

func (*SheetIssue) Type() Type { return TypeSheetIssue }

func (b *SheetIssue) Validate() error {
	if b.Proposal == 0 {
		return fieldErr("proposal", "is required")
	}
	if len(b.Sheets) == 0 || len(b.Sheets) > MaxSheetsPerTx {
		return fieldErr("sheets", "must list 1-%d sheets", MaxSheetsPerTx)
	}
	owners := make(map[string]bool, len(b.Sheets))
	verifiers := make(map[string]bool, len(b.Sheets))
	for i, s := range b.Sheets {
		switch {
		case !ValidLabel(s.Owner, MaxOwnerBytes):
			return fieldErr(fmt.Sprintf("sheets[%d].owner", i), "is not a valid owner label")
		case !isLowerHex(s.Verifier, 2*sha256.Size):
			return fieldErr(fmt.Sprintf("sheets[%d].verifier", i), "must be %d lowercase hex digits (SheetVerifier)", 2*sha256.Size)
		case owners[s.Owner]:
			return fieldErr(fmt.Sprintf("sheets[%d].owner", i), "%s is listed twice", s.Owner)
		case verifiers[s.Verifier]:
			return fieldErr(fmt.Sprintf("sheets[%d].verifier", i), "is listed twice")
		}
		owners[s.Owner], verifiers[s.Verifier] = true, true
	}
	return nil
}

// SheetEnter is one scrutineer's entry of a returned paper ballot: the
// sheet's code (SheetCodeDigits digits, as NormalizeSheetCode gives it),
// the choice marked on it and the SHA-256 of its scan. It counts once a
// second, different scrutineer enters the same sheet with the same choice
// and scan.
type SheetEnter struct {
	Proposal   uint64 `json:"proposal"`
	Code       string `json:"code"`
	Choice     int    `json:"choice"`
	ScanSHA256 string `json:"scan_sha256"`
}

func (*SheetEnter) Type() Type { return TypeSheetEnter }

func (b *SheetEnter) Validate() error {
	if b.Proposal == 0 {
		return fieldErr("proposal", "is required")
	}
	if c, ok := NormalizeSheetCode(b.Code); !ok || c != b.Code {
		return fieldErr("code", "must be %d digits", SheetCodeDigits)
	}
	if b.Choice < 0 || b.Choice >= len(DecisionOptions) {
		return fieldErr("choice", "must be 0-%d", len(DecisionOptions)-1)
	}
	if !isLowerHex(b.ScanSHA256, 2*sha256.Size) {
		return fieldErr("scan_sha256", "must be a SHA-256 in %d lowercase hex digits", 2*sha256.Size)
	}
	return nil
}

// SheetVoid voids one scrutineer's entry of a sheet that has not counted
// (admin only), after two entries disagreed: Entry is the tx hash of the
// wrong one. The sheet can then be entered again.
type SheetVoid struct {
	Proposal uint64 `json:"proposal"`
	Owner    string `json:"owner"`
	Entry    string `json:"entry"`
	Reason   string `json:"reason"`
}

func (*SheetVoid) Type() Type { return TypeSheetVoid }

func (b *SheetVoid) Validate() error {
	switch {
	case b.Proposal == 0:
		return fieldErr("proposal", "is required")
	case !ValidLabel(b.Owner, MaxOwnerBytes):
		return fieldErr("owner", "is not a valid owner label")
	case !isLowerHex(b.Entry, 2*sha256.Size):
		return fieldErr("entry", "must be the entry's tx hash in %d lowercase hex digits", 2*sha256.Size)
	}
	return validText("reason", b.Reason, MaxReasonBytes, true)
}
