package tx_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/linli-community/linli/abci/tx"
)

func testKey() ed25519.PrivateKey {
	s := sha256.Sum256([]byte("tx-test"))
	return ed25519.NewKeyFromSeed(s[:])
}

// sampleBodies has one valid body of every type.
func sampleBodies() []tx.Body {
	a := tx.Address("0123456789abcdef0123456789abcdef01234567")
	return []tx.Body{
		&tx.UnitRegister{Units: []tx.UnitSpec{{Unit: "3-502", Building: "3栋", Area: 8950, Owner: "O-7"}}},
		tx.NewBindCodeIssue("3-502", tx.RelationOwner, "1234567890123456", make([]byte, tx.BindCodeSaltSize), 1_800_000_000),
		&tx.MemberBind{Unit: "3-502", Relation: tx.RelationTenant, Proof: strings.Repeat("5a", ed25519.SignatureSize)},
		&tx.MemberRevoke{Address: a, Reason: "搬离 <小区> & 退租"},
		&tx.RoleGrant{Address: a, Role: tx.RoleTreasurer},
		&tx.RoleRevoke{Address: a, Role: tx.RoleMediator},
		&tx.ProposalOpen{Title: "更换电梯", Text: "使用维修资金更换3栋电梯", Class: tx.ClassOrdinary, Buildings: []string{"3"}, NoticeAt: 100, VoteStart: 200, VoteEnd: 300},
		&tx.ProposalAmend{ID: 1, ProposalOpen: tx.ProposalOpen{Title: "更换电梯", Class: tx.ClassSpecial, NoticeAt: 100, VoteStart: 200, VoteEnd: 300}},
		&tx.ProposalCancel{ID: 1, Reason: "报价有误"},
		&tx.PollOpen{Title: "中秋活动日期", Options: []string{"周六", "周日"}, Multi: true, VoteStart: 1, VoteEnd: 2},
		&tx.VoteCast{Proposal: 1, Choices: []int{0, 2}},
		&tx.MeetingRequest{Topic: "召开临时业主大会", Text: "讨论物业续聘"},
		&tx.ItemPost{Kind: tx.ItemParking, Title: "地下车位B-12", Text: "工作日白天空闲", Terms: tx.Terms{Price: 500, Per: tx.PerHour},
			Windows: []tx.Window{{Start: 100, End: 200}, {Start: 200, End: 300}}},
		&tx.ItemUpdate{Item: 1, Terms: tx.Terms{}},
		&tx.ItemWithdraw{Item: 1, Reason: "车位自用"},
		&tx.BookingRequest{Item: 1, Start: 100, End: 200, Note: "周六上午用"},
		&tx.BookingAccept{Booking: 1},
		&tx.BookingDecline{Booking: 1, Reason: "那天自己要用"},
		&tx.BookingCancel{Booking: 1},
		&tx.BookingReturn{Booking: 1},
		&tx.BookingNoShow{Booking: 1},
		&tx.AnnouncementPost{Title: "停水通知", Text: "3月5日 9:00-12:00 停水", ExpiresAt: 1_800_000_000},
		&tx.CommentPost{On: tx.CommentOnProposal, Target: 1, Text: "同意，电梯太旧了"},
		&tx.CommentHide{Comment: 1, Reason: "含有他人电话号码"},
		&tx.RepairFile{Kind: tx.RepairKindRepair, Title: "3栋电梯异响", Text: "早上 8 点左右最明显"},
		&tx.RepairUpdate{Repair: 1, Status: tx.RepairRejected, Reason: "属于业主自用部分"},
		&tx.RepairConfirm{Repair: 1},
		&tx.RepairReopen{Repair: 1, Reason: "还在响"},
		&tx.DisputeOpen{Topic: "楼上漏水", TextHash: tx.TextCommitment(make([]byte, tx.TextNonceSize), "卫生间天花板渗水"), Parties: []tx.Address{a}},
		&tx.DisputeAssign{Dispute: 1, Mediator: a},
		&tx.DisputeStatement{Dispute: 1, TextHash: tx.TextCommitment(make([]byte, tx.TextNonceSize), "已请师傅查看")},
		&tx.DisputeOutcome{Dispute: 1, TextHash: tx.TextCommitment(make([]byte, tx.TextNonceSize), "双方各承担一半维修费")},
		&tx.DisputeEscalate{Dispute: 1, Options: []string{"同意调解结果", "不同意"}, VoteEnd: 1_800_000_000,
			Outcome: "双方各承担一半维修费", OutcomeNonce: strings.Repeat("00", tx.TextNonceSize)},
		&tx.ValidatorUpdate{PubKey: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Power: 10},
		&tx.AccountOpen{ID: "parking", Name: "停车费", Threshold: 100_000},
		&tx.AccountThreshold{Account: "fund", Threshold: 0},
		&tx.EntryRecord{Kind: tx.EntryExpense, Account: "mgmt", Amount: 12_345, Category: "保洁", Counterparty: "某某保洁公司",
			Memo: "3月保洁费", Evidence: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Proposal: 1},
		&tx.EntryApprove{Entry: 1},
		&tx.EntryReverse{Entry: 1, Memo: "金额记错，冲销后重记"},
		&tx.EntryWithdraw{Entry: 1, Reason: "重复登记"},
		&tx.BindCodeBatch{Relation: tx.RelationOwner, ExpiresAt: 1_800_000_000, Codes: []tx.BindCodeVerifier{
			tx.NewBindCodeVerifier("3-501", "12345678", make([]byte, tx.BindCodeSaltSize)),
			tx.NewBindCodeVerifier("3-502", "87654321", make([]byte, tx.BindCodeSaltSize)),
		}},
		&tx.ProxyAppoint{Proxy: tx.ProxyRef{Agent: &tx.BindVerifier{Salt: strings.Repeat("00", tx.BindCodeSaltSize), PublicKey: strings.Repeat("ab", ed25519.PublicKeySize)}},
			Until: 1_800_000_000, Owner: "O-7", AuthorisationSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		&tx.ProxyRevoke{ID: 1},
		&tx.ProxyAccept{ID: 1, Proof: strings.Repeat("5a", ed25519.SignatureSize)},
		&tx.SheetIssue{Proposal: 1, Sheets: []tx.SheetSpec{{Owner: "O-1", Verifier: tx.SheetVerifier("linli-test", 1, "123456789012")}}},
		&tx.SheetEnter{Proposal: 1, Code: "123456789012", Choice: tx.DecisionOptionYes, ScanSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		&tx.SheetVoid{Proposal: 1, Owner: "O-1", Entry: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Reason: "选择录错"},
	}
}

func TestEveryTypeRoundTrips(t *testing.T) {
	bodies := sampleBodies()
	if len(bodies) != len(tx.Types()) {
		t.Fatalf("sampleBodies covers %d types, tx.Types has %d", len(bodies), len(tx.Types()))
	}
	for _, body := range bodies {
		t.Run(string(body.Type()), func(t *testing.T) {
			x := tx.New("linli-test", 7, body)
			x.Sign(testKey())
			b := x.Encode()
			got, err := tx.Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v\n%s", err, b)
			}
			if err := got.Verify(); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !bytes.Equal(got.Encode(), b) {
				t.Errorf("re-encoded bytes differ")
			}
			if got.SignerAddress() != tx.AddressOf(testKey().Public().(ed25519.PublicKey)) {
				t.Errorf("signer address = %s", got.SignerAddress())
			}
		})
	}
}

func TestEncodingIsReadable(t *testing.T) {
	x := tx.New("c", 1, &tx.MemberRevoke{Address: "0123456789abcdef0123456789abcdef01234567", Reason: "搬离 <小区> & 退租"})
	x.Sign(testKey())
	if !bytes.Contains(x.Encode(), []byte(`"reason":"搬离 <小区> & 退租"`)) {
		t.Errorf("Chinese text or <>& are escaped: %s", x.Encode())
	}
}

func TestDecodeBodyAcceptsHandWrittenJSON(t *testing.T) {
	b, err := tx.DecodeBody(tx.TypeRoleGrant, []byte(" {\n \"role\": \"admin\", \"address\": \"0123456789abcdef0123456789abcdef01234567\" }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if g := b.(*tx.RoleGrant); g.Role != tx.RoleAdmin {
		t.Errorf("role = %q", g.Role)
	}
	if _, err := tx.DecodeBody(tx.TypeRoleGrant, []byte(`{"role":"admin","address":"0123456789abcdef0123456789abcdef01234567","x":1}`)); !errors.Is(err, tx.ErrMalformed) {
		t.Errorf("unknown field: err = %v, want ErrMalformed", err)
	}
	if _, err := tx.DecodeBody("nope", []byte(`{}`)); !errors.Is(err, tx.ErrUnknownType) {
		t.Errorf("unknown type: err = %v, want ErrUnknownType", err)
	}
}

func TestValidLabel(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"3-502", true}, {"A_1.2", true}, {"3栋", true}, {"", false}, {"3/502", false},
		{"3 502", false}, {"3-502;DROP", false}, {"\x00", false}, {string([]byte{0xff}), false},
		{"123456789012345678901234567890123", false},
	}
	for _, tt := range tests {
		if got := tx.ValidLabel(tt.in, tx.MaxLabelBytes); got != tt.want {
			t.Errorf("ValidLabel(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// FuzzDecode feeds arbitrary bytes to the decoder: it must never panic, and
// whatever it accepts must re-encode to exactly the same bytes.
func FuzzDecode(f *testing.F) {
	for _, body := range sampleBodies() {
		x := tx.New("linli-test", 1, body)
		x.Sign(testKey())
		f.Add(x.Encode())
	}
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := tx.Decode(b)
		if err != nil {
			return
		}
		if !bytes.Equal(x.Encode(), b) {
			t.Fatalf("accepted non-canonical bytes %q", b)
		}
		_ = x.Verify()
	})
}

func BenchmarkDecodeAndVerify(b *testing.B) {
	x := tx.New("linli-test", 1, &tx.MemberBind{Unit: "3-502", Relation: tx.RelationOwner, Proof: strings.Repeat("5a", ed25519.SignatureSize)})
	x.Sign(testKey())
	raw := x.Encode()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		t, err := tx.Decode(raw)
		if err != nil {
			b.Fatal(err)
		}
		if err := t.Verify(); err != nil {
			b.Fatal(err)
		}
	}
}
