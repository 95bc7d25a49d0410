package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/internal/qr/qrtest"
)

// paperVote is a community on a running node with an owners' decision
// about to vote and two bound scrutineers, console:s1 and console:s2.
type paperVote struct {
	h, rpc string
	cl     []string
}

// setUpPaperVote imports roster (CSV rows unit,building,area_m2,owner),
// binds two scrutineers in the first two units, and opens decision 1 on
// the whole community, voting from a few seconds on for ten minutes.
// initArgs are more flags for linli init.
func setUpPaperVote(tb testing.TB, roster string, initArgs ...string) paperVote {
	tb.Helper()
	h, rpc := testHome(tb, append([]string{"--min-notice", "0s", "--min-voting", "10m"}, initArgs...)...)
	runNode(tb, h, rpc)
	v := paperVote{h, rpc, []string{"--home", h, "--node", rpc}}
	f := filepath.Join(tb.TempDir(), "units.csv")
	os.WriteFile(f, []byte("unit,building,area_m2,owner\n"+roster), 0o644)
	mustRun(tb, append([]string{"roster", "import", f}, v.cl...)...)
	lines := strings.Split(roster, "\n")
	for i, who := range []string{"s1", "s2"} {
		unit := strings.Split(lines[i], ",")[0]
		code := strings.TrimSpace(mustRun(tb, append([]string{"bindcode", unit}, v.cl...)...))
		mustRun(tb, append([]string{"tx", "member.bind", `{"unit":"` + unit + `","relation":"owner","code":"` + code + `"}`, "--as", "console:" + who}, v.cl...)...)
		a := decode[struct{ Address string }](tb, mustRun(tb, "keys", "derive", "--channel", "console", "--user", who, "--home", h))
		mustRun(tb, append([]string{"tx", "role.grant", `{"address":"` + a.Address + `","role":"scrutineer"}`}, v.cl...)...)
	}
	// The notice starts a minute back, so that it starts at the block's
	// time: CometBFT's block time can trail the clock, and sheets are
	// issued only once the decision is noticed.
	now := time.Now().Unix()
	mustRun(tb, append([]string{"tx", "proposal.open", fmt.Sprintf(`{"title":"更换3栋电梯","text":"拟使用维修资金约46万元。","class":"ordinary","notice_at":%d,"vote_start":%d,"vote_end":%d}`, now-60, now+3, now+3+600)}, v.cl...)...)
	return v
}

// waitVoting waits, bounded, until decision 1's voting has opened on the
// chain (block time, not the clock, decides).
func (v paperVote) waitVoting(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p := decode[struct{ Phase string }](tb, mustRun(tb, append([]string{"query", "proposals/1"}, v.cl...)...))
		if p.Phase == "voting" {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("decision 1 still %s after 30 s", p.Phase)
		}
		time.Sleep(100 * time.Millisecond) // polling the chain, not ordering events
	}
}

var printedCode = regexp.MustCompile(`class="code">(\d{4} \d{4} \d{4})<`)

// printSheets runs print sheets and returns the page and the printed
// codes, in order.
func (v paperVote) printSheets(tb testing.TB, args ...string) (string, []string) {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "sheets.html")
	if stdout, errOut, err := runWithin(tb, 2*time.Minute, append(append([]string{"print", "sheets", "--proposal", "1", "--out", out}, args...), v.cl...)...); err != nil {
		tb.Fatalf("print sheets: %v\n%s%s", err, stdout, errOut)
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		tb.Fatalf("sheets file: %v, mode %v; want 0600", err, fi.Mode())
	}
	page, _ := os.ReadFile(out)
	var codes []string
	for _, m := range printedCode.FindAllStringSubmatch(string(page), -1) {
		codes = append(codes, strings.ReplaceAll(m[1], " ", ""))
	}
	return string(page), codes
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func writeCSV(tb testing.TB, rows ...string) string {
	tb.Helper()
	f := filepath.Join(tb.TempDir(), "ballots.csv")
	os.WriteFile(f, []byte("code,choice,scan_sha256\n"+strings.Join(rows, "\n")+"\n"), 0o644)
	return f
}

// TestPaperBallotsFromPrintToCount prints the sheets of a small
// community, checks them (one per owner, QR codes that decode to the
// codes), enters them from CSV files by two scrutineers, and follows the
// door-to-door list as ballots count.
func TestPaperBallotsFromPrintToCount(t *testing.T) {
	v := setUpPaperVote(t, strings.Join([]string{
		"1-101,1,89.5,O-1", "1-102,1,120.3,O-2", "1-1101,1,76.8,O-3", "1-201,1,90,O-4",
		"2-101,2,135.6,O-1", "2-102,2,89.5,developer", "2-201,2,89.5,developer",
	}, "\n"))
	page, codes := v.printSheets(t)
	owners := regexp.MustCompile(`id="sheet-([^"]+)"`).FindAllStringSubmatch(page, -1)
	var order []string
	for _, o := range owners {
		order = append(order, o[1])
	}
	// One sheet per owner, by building and floor of the owner's first unit.
	if want := "O-1,O-2,O-4,O-3,developer"; strings.Join(order, ",") != want {
		t.Errorf("sheets for %s, want %s", strings.Join(order, ","), want)
	}
	if len(codes) != len(order) || !strings.Contains(page, "1-101、2-101") || !strings.Contains(page, "225.10 m²") {
		t.Fatalf("%d codes for %d sheets; O-1's sheet must list 1-101、2-101 with 225.10 m²", len(codes), len(order))
	}
	texts, err := qrtest.DecodeAll(page)
	if err != nil {
		t.Fatal(err)
	}
	// The first QR code is the print layout's link to the decision page.
	if len(texts) != len(codes)+1 || !strings.HasSuffix(texts[0], "/decisions/1") {
		t.Fatalf("QR codes %q", texts)
	}
	for i, c := range codes {
		if texts[i+1] != c {
			t.Errorf("sheet %d QR = %q, code %q", i, texts[i+1], c)
		}
	}
	// Printing again would replace codes already handed out: refused.
	if _, errOut, err := run(t, append([]string{"print", "sheets", "--proposal", "1", "--out", filepath.Join(t.TempDir(), "again.html")}, v.cl...)...); err == nil || !strings.Contains(err.Error(), "--reissue") {
		t.Errorf("a second print sheets: %v %s", err, errOut)
	}
	var sheets []abci.SheetView
	if err := jsonOf(mustRun(t, append([]string{"query", "proposals/1/sheets"}, v.cl...)...), &sheets); err != nil || len(sheets) != 5 {
		t.Fatalf("sheets on chain: %v, %d", err, len(sheets))
	}
	for _, s := range sheets {
		if strings.Contains(page, s.Verifier) {
			t.Error("the printed page carries a verifier")
		}
	}
	v.waitVoting(t)

	notVoted := mustRun(t, append([]string{"print", "not-voted", "--proposal", "1"}, v.cl...)...)
	for _, u := range []string{"1-101", "1-1101", "2-201"} {
		if !strings.Contains(notVoted, ">"+u+"<") {
			t.Errorf("the door-to-door list lacks %s", u)
		}
	}
	if !strings.Contains(notVoted, "已发，未交回") || strings.Index(notVoted, ">1-201<") > strings.Index(notVoted, ">1-1101<") {
		t.Errorf("the door-to-door list is not in floor order with sheet status")
	}

	// A bad row stops the whole file: nothing is entered.
	bad := writeCSV(t,
		codes[0]+",同意,"+sha("scan-1"),
		tx.FormatSheetCode(codes[1])+",反对,"+sha("scan-2"),
		"1234-5678-9012,同意,"+sha("x"),
		codes[2]+",赞成,"+sha("scan-3"),
	)
	_, errOut, err := run(t, append([]string{"ballots", "import", bad, "--as", "console:s1"}, v.cl...)...)
	if !errors.Is(err, errReported) || !strings.Contains(errOut, "第 4 行：选票 1234 5678 9012 不是第 1 项表决发出的选票") || !strings.Contains(errOut, "nothing was entered") {
		t.Errorf("bad import: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "第 5 行：选择 \"赞成\" 看不懂") {
		t.Errorf("bad choice not named: %s", errOut)
	}
	var after []abci.SheetView
	jsonOf(mustRun(t, append([]string{"query", "proposals/1/sheets"}, v.cl...)...), &after)
	for _, s := range after {
		if len(s.Entries) != 0 {
			t.Fatalf("a refused import entered %s's sheet", s.Owner)
		}
	}
	if _, _, err := run(t, append([]string{"ballots", "import", writeCSV(t, codes[0]+",同意,"+sha("a")), "--as", "console:nobody"}, v.cl...)...); err == nil {
		t.Error("someone who is not a scrutineer imported ballots")
	}

	// Scrutineer 1 enters three sheets, with dashes as typed; scrutineer
	// 2 agrees on two and marks the third differently.
	first := writeCSV(t,
		codes[0]+",同意,"+sha("scan-1"),
		tx.FormatSheetCode(codes[1])+",反对,"+strings.ToUpper(sha("scan-2")),
		strings.ReplaceAll(tx.FormatSheetCode(codes[4]), " ", "-")+",3,"+sha("scan-5"),
	)
	sum := decode[struct{ Entered, Counted, Waiting, Mismatch int }](t, mustRun(t, append([]string{"ballots", "import", first, "--as", "console:s1"}, v.cl...)...))
	if sum.Entered != 3 || sum.Waiting != 3 || sum.Counted != 0 {
		t.Errorf("first entry: %+v, want 3 waiting", sum)
	}
	if _, errOut, err := run(t, append([]string{"ballots", "import", first, "--as", "console:s1"}, v.cl...)...); err == nil || !strings.Contains(errOut, "您已经录过了") {
		t.Errorf("the same scrutineer twice: %v %s", err, errOut)
	}
	second := writeCSV(t,
		codes[0]+",1,"+sha("scan-1"),
		codes[1]+",反对,"+sha("scan-2"),
		codes[4]+",同意,"+sha("scan-5"),
	)
	sum = decode[struct{ Entered, Counted, Waiting, Mismatch int }](t, mustRun(t, append([]string{"ballots", "import", second, "--as", "console:s2"}, v.cl...)...))
	if sum.Entered != 3 || sum.Counted != 2 || sum.Mismatch != 1 {
		t.Errorf("second entry: %+v, want 2 counted and 1 mismatch", sum)
	}
	for owner, want := range map[string]int{"O-1": tx.DecisionOptionYes, "O-2": tx.DecisionOptionNo} {
		b := decode[abci.Ballot](t, mustRun(t, append([]string{"query", "ballots/1/" + owner}, v.cl...)...))
		if b.Channel != abci.ChannelPaper || b.Choice != want {
			t.Errorf("%s's ballot %+v, want paper %d", owner, b, want)
		}
	}
	// The developer's sheet, in mismatch, is voided by the admin and
	// entered again through linli tx, code as printed.
	var dev abci.SheetView
	jsonOf(mustRun(t, append([]string{"query", "proposals/1/sheets/developer"}, v.cl...)...), &dev)
	mustRun(t, append([]string{"tx", "sheet.void", `{"proposal":1,"owner":"developer","entry":"` + dev.Entries[1].TxHash + `","reason":"与扫描件不符"}`}, v.cl...)...)
	mustRun(t, append([]string{"tx", "sheet.enter", `{"proposal":1,"code":"` + tx.FormatSheetCode(codes[4]) + `","choice":2,"scan_sha256":"` + sha("scan-5") + `"}`, "--as", "console:s2"}, v.cl...)...)
	if b := decode[abci.Ballot](t, mustRun(t, append([]string{"query", "ballots/1/developer"}, v.cl...)...)); b.Channel != abci.ChannelPaper || b.Choice != tx.DecisionOptionAbs {
		t.Errorf("developer's ballot after re-entry: %+v", b)
	}

	notVoted = mustRun(t, append([]string{"print", "not-voted", "--proposal", "1"}, v.cl...)...)
	for u, want := range map[string]bool{"1-101": false, "2-101": false, "1-102": false, "2-201": false, "1-201": true, "1-1101": true} {
		if got := strings.Contains(notVoted, ">"+u+"<"); got != want {
			t.Errorf("not-voted lists %s: %v, want %v", u, got, want)
		}
	}
	if strings.Contains(notVoted, "同意") || strings.Contains(notVoted, "反对") {
		t.Error("the door-to-door list shows how someone voted")
	}

	// A second round prints new sheets for those who have not voted
	// only; their old codes stop working.
	page, again := v.printSheets(t, "--not-voted")
	var round []string
	for _, o := range regexp.MustCompile(`id="sheet-([^"]+)"`).FindAllStringSubmatch(page, -1) {
		round = append(round, o[1])
	}
	if strings.Join(round, ",") != "O-4,O-3" || len(again) != 2 {
		t.Fatalf("second round printed %v", round)
	}
	_, errOut, err = run(t, append([]string{"ballots", "import", writeCSV(t, codes[3]+",同意,"+sha("scan-4")), "--as", "console:s1"}, v.cl...)...)
	if !errors.Is(err, errReported) || !strings.Contains(errOut, "不是第 1 项表决发出的选票") {
		t.Errorf("O-3's first code after the reprint: %v %s", err, errOut)
	}
}

func jsonOf(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// BenchmarkPaperBallotsByCSV measures a committee entering 1,000 paper
// ballots against a real node with linli init's default 500 ms between
// blocks: the sheets of 1,000 owners printed and issued, then each sheet
// entered by two scrutineers from two CSV files (2,000 rows). Run it
// with -benchtime 1x; it reports each step in seconds.
func BenchmarkPaperBallotsByCSV(b *testing.B) {
	const n = 1000
	var roster []string
	for i := range n {
		bld, floor, u := i/100+1, i%100/4+1, i%4+1
		roster = append(roster, fmt.Sprintf("%d-%d%02d,%d,89.5,O-%04d", bld, floor, u, bld, i+1))
	}
	for range b.N {
		b.StopTimer()
		v := setUpPaperVote(b, strings.Join(roster, "\n"), "--timeout-commit", "500ms")
		b.StartTimer()
		start := time.Now()
		_, codes := v.printSheets(b)
		printed := time.Since(start)
		b.StopTimer()
		if len(codes) != n {
			b.Fatalf("%d sheets, want %d", len(codes), n)
		}
		v.waitVoting(b)
		rows := make([]string, n)
		for i, c := range codes {
			rows[i] = fmt.Sprintf("%s,%d,%s", c, 1+i%3, sha(c))
		}
		f := writeCSV(b, rows...)
		b.StartTimer()
		var entry [2]time.Duration
		for i, who := range []string{"s1", "s2"} {
			start := time.Now()
			out, errOut, err := runWithin(b, 10*time.Minute, append([]string{"ballots", "import", f, "--as", "console:" + who}, v.cl...)...)
			entry[i] = time.Since(start)
			if err != nil {
				b.Fatalf("import as %s: %v\n%s", who, err, errOut)
			}
			if sum := decode[struct{ Entered, Counted int }](b, out); sum.Entered != n || i == 1 && sum.Counted != n {
				b.Fatalf("import as %s: %+v", who, sum)
			}
		}
		b.StopTimer()
		var tu abci.Turnout
		jsonOf(mustRun(b, append([]string{"query", "proposals/1/turnout"}, v.cl...)...), &tu)
		if tu.HeadsVoted != n {
			b.Fatalf("turnout %+v, want all %d", tu, n)
		}
		b.ReportMetric(printed.Seconds(), "print+issue_s")
		b.ReportMetric(entry[0].Seconds(), "first_1000_s")
		b.ReportMetric(entry[1].Seconds(), "second_1000_s")
		b.ReportMetric((entry[0] + entry[1]).Seconds(), "entry_2000_rows_s")
	}
}

// TestPackSheetsStaysUnderTheLimits packs 1,200 sheets of the longest
// owner labels: no tx over tx.MaxBytes or tx.MaxSheetsPerTx, all in order.
func TestPackSheetsStaysUnderTheLimits(t *testing.T) {
	var specs []tx.SheetSpec
	for i := range 1200 {
		specs = append(specs, tx.SheetSpec{Owner: fmt.Sprintf("%064d", i), Verifier: fmt.Sprintf("%064x", i)})
	}
	batches := packSheets("linli-abcdef", 7, specs)
	if len(batches) != 3 {
		t.Errorf("1,200 sheets in %d txs, want 3", len(batches))
	}
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	var got []tx.SheetSpec
	for i, b := range batches {
		x := tx.New("linli-abcdef", 99, b)
		x.Sign(key)
		if size := len(x.Encode()); size > tx.MaxBytes || len(b.Sheets) > tx.MaxSheetsPerTx {
			t.Errorf("tx %d: %d bytes, %d sheets", i, size, len(b.Sheets))
		}
		if _, err := tx.Decode(x.Encode()); err != nil {
			t.Errorf("tx %d: %v", i, err)
		}
		got = append(got, b.Sheets...)
	}
	if !slices.Equal(got, specs) {
		t.Errorf("packed %d sheets, want all %d in order", len(got), len(specs))
	}
}

func TestParseBallotCSV(t *testing.T) {
	good := sha("x")
	rows, bad := parseBallotCSV(strings.NewReader("\ufeffcode,choice,scan_sha256\n1234 5678 9012,同意,"+good+"\n\n123456789013 , 反对 ,"+strings.ToUpper(good)+"\n"), 3)
	if len(bad) != 0 || len(rows) != 2 || rows[0].entry.Code != "123456789012" || rows[1].entry.Choice != tx.DecisionOptionNo || rows[1].entry.ScanSHA256 != good || rows[1].line != 4 {
		t.Fatalf("rows %+v, problems %q", rows, bad)
	}
	tests := []struct{ name, csv, want string }{
		{"ErrShortCode", "12345,同意," + good, "第 1 行：选票编号"},
		{"ErrLetterInCode", "1234 5678 901a,同意," + good, "第 1 行：选票编号"},
		{"ErrChoice", "123456789012,赞成," + good, "第 1 行：选择"},
		{"ErrScan", "123456789012,同意,abc", "第 1 行：扫描件"},
		{"ErrColumns", "123456789012,同意", "第 1 行：应当有 3 列"},
		{"ErrSameCodeTwice", "123456789012,同意," + good + "\n1234-5678-9012,反对," + good, "第 2 行：选票 1234 5678 9012 在第 1 行已经有了"},
		{"ErrEmpty", "code,choice,scan_sha256\n", "文件里没有选票"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, bad := parseBallotCSV(strings.NewReader(tt.csv), 3)
			if len(bad) != 1 || !strings.HasPrefix(bad[0], tt.want) {
				t.Errorf("problems %q, want one starting %q", bad, tt.want)
			}
		})
	}
}
