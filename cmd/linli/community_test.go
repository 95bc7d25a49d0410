package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/internal/qr/qrtest"
	"github.com/linli-community/linli/internal/slips"
	"github.com/linli-community/linli/roster"
)

// communityRoster is a roster of n units: buildings of 25 floors with four
// units a floor, every unit its own owner but the developer's top floors.
func communityRoster(n int) []roster.Row {
	layouts := []int64{8950, 12030, 7680, 13560}
	rows := make([]roster.Row, n)
	for i := range rows {
		b, floor, u := i/100+1, i%100/4+1, i%4+1
		owner := fmt.Sprintf("O-%04d", i+1)
		if floor == 25 {
			owner = "developer"
		}
		rows[i] = roster.Row{Unit: fmt.Sprintf("%d-%d%02d", b, floor, u), Building: fmt.Sprint(b), Area: layouts[u-1], Owner: owner}
	}
	return rows
}

// communitySteps are the timings of setting a community up from nothing.
type communitySteps struct {
	importRoster, issueCodes, openDecision time.Duration
	codeTxs                                int
	codes                                  []issuedCode
	slips                                  string // the slips page
}

// setUpCommunity does what a committee does on its first afternoon, through
// the linli command line only, on a node that is already running: import an
// n-unit workbook, issue every binding code with printed slips, and open an
// owners' decision with its times as dates. It checks each step and
// returns how long each took.
func setUpCommunity(tb testing.TB, h, rpc string, n int) communitySteps {
	tb.Helper()
	cl := []string{"--home", h, "--node", rpc}
	dir := tb.TempDir()
	book := filepath.Join(dir, "名册.xlsx")
	var buf bytes.Buffer
	rows := communityRoster(n)
	if err := roster.WriteXLSX(&buf, rows); err != nil {
		tb.Fatal(err)
	}
	os.WriteFile(book, buf.Bytes(), 0o644)

	var s communitySteps
	start := time.Now()
	imp := decode[struct{ Submitted int }](tb, mustRun(tb, append([]string{"roster", "import", book}, cl...)...))
	s.importRoster = time.Since(start)
	if imp.Submitted != n {
		tb.Fatalf("import submitted %d units, want %d", imp.Submitted, n)
	}

	slipsFile := filepath.Join(dir, "slips.html")
	start = time.Now()
	// Hashing 1,000 codes takes tens of seconds on two busy cores.
	out, errOut, err := runWithin(tb, 5*time.Minute, append([]string{"bindcode", "--all", "--print", slipsFile, "--json"}, cl...)...)
	s.issueCodes = time.Since(start)
	if err != nil {
		tb.Fatalf("bindcode --all: %v\n%s", err, errOut)
	}
	if s.codes = decode[[]issuedCode](tb, out); len(s.codes) != n {
		tb.Fatalf("%d codes, want %d", len(s.codes), n)
	}
	if _, err := fmt.Sscanf(errOut[strings.Index(errOut, "issued in "):], "issued in %d txs", &s.codeTxs); err != nil {
		tb.Fatalf("bindcode stderr %q: %v", errOut, err)
	}
	page, _ := os.ReadFile(slipsFile)
	s.slips = string(page)
	if got := strings.Count(s.slips, `class="slip"`); got != n {
		tb.Errorf("%d slips, want %d", got, n)
	}

	// The decision's times as a committee writes them, in China time.
	now := time.Now().In(cstZone)
	voteStart := now.Truncate(time.Minute).Add(2 * time.Minute)
	open := fmt.Sprintf(`{"title":"使用维修资金更换3栋电梯","text":"","class":"ordinary","buildings":["2","1"],"notice_at":%q,"vote_start":%q,"vote_end":%q}`,
		now.Format("2006-01-02 15:04"), voteStart.Format("2006-01-02 15:04"), voteStart.Add(time.Hour).Format("2006年1月2日15:04"))
	start = time.Now()
	r := decode[receiptJSON](tb, mustRun(tb, append([]string{"tx", "proposal.open", open}, cl...)...))
	s.openDecision = time.Since(start)
	if fmt.Sprint(r.Created) != "map[proposal:1]" {
		tb.Errorf("proposal.open receipt created %v, want proposal 1", r.Created)
	}
	p := decode[struct {
		Buildings []string
		VoteStart int64 `json:"vote_start"`
	}](tb, mustRun(tb, append([]string{"query", "proposals/1"}, cl...)...))
	if strings.Join(p.Buildings, ",") != "1,2" || p.VoteStart != voteStart.Unix() {
		tb.Errorf("proposal 1 = %+v, want buildings 1,2 voting from %d", p, voteStart.Unix())
	}
	return s
}

// TestCommunityFromNothing sets up a community of 120 units the way a
// committee would: a template, the filled-in workbook, every binding code
// on slips, a decision; then checks the codes bind, the export re-imports
// unchanged, and the short voting time of a drill chain is a parameter.
func TestCommunityFromNothing(t *testing.T) {
	h, rpc := testHome(t, "--min-notice", "0s", "--min-voting", "10m")
	runNode(t, h, rpc)
	cl := []string{"--home", h, "--node", rpc}

	params := decode[struct {
		MinNotice int64 `json:"min_notice"`
		MinVoting int64 `json:"min_voting"`
	}](t, mustRun(t, append([]string{"query", "params"}, cl...)...))
	if params.MinNotice != 0 || params.MinVoting != 600 {
		t.Errorf("params = %+v, want min_notice 0 and min_voting 600", params)
	}

	// The template, filled in by mistake with its examples left in, is
	// refused, and nothing is registered.
	tmpl := filepath.Join(t.TempDir(), "模板.xlsx")
	mustRun(t, "roster", "template", tmpl)
	_, errOut, err := run(t, append([]string{"roster", "import", tmpl}, cl...)...)
	if !errors.Is(err, errReported) || !strings.Contains(errOut, "第 2 行：这是模板里的示例行") || !strings.Contains(errOut, "第 3 行") {
		t.Errorf("importing the template: %v\n%s", err, errOut)
	}
	if _, _, err := run(t, "roster", "template", tmpl); err == nil {
		t.Error("roster template overwrote an existing file")
	}

	const n = 120
	s := setUpCommunity(t, h, rpc, n)
	t.Logf("%d units: import %v, codes and slips %v (%d txs), decision %v", n, s.importRoster, s.issueCodes, s.codeTxs, s.openDecision)
	if s.codeTxs != 1 {
		t.Errorf("%d units' codes took %d txs, want 1", n, s.codeTxs)
	}
	texts, err := qrtest.DecodeAll(s.slips)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range s.codes {
		if want := slips.BindMessage(slips.Slip{Unit: c.Unit, Code: c.Code}); i >= len(texts) || texts[i] != want || !strings.Contains(s.slips, ">"+c.Code+"<") {
			t.Fatalf("slip %d does not carry %q", i, want)
		}
	}
	// Two owners bind with their codes; a code works once.
	for i, c := range []issuedCode{s.codes[0], s.codes[n-1]} {
		body := `{"unit":"` + c.Unit + `","relation":"owner","code":"` + c.Code + `"}`
		mustRun(t, append([]string{"tx", "member.bind", body, "--as", fmt.Sprint("console:owner", i)}, cl...)...)
		out, _, err := run(t, append([]string{"tx", "member.bind", body, "--as", fmt.Sprint("console:other", i)}, cl...)...)
		if r := decode[receiptJSON](t, out); !errors.Is(err, errReported) || r.Name != "bind_code_missing" {
			t.Errorf("%s's code used twice: %v %+v", c.Unit, err, r)
		}
	}

	// The workbook comes back out as it went in.
	book := filepath.Join(t.TempDir(), "导出.xlsx")
	mustRun(t, append([]string{"roster", "export", book}, cl...)...)
	f, _ := os.Open(book)
	got, err := roster.ParseXLSX(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := communityRoster(n)
	roster.Write(&bytes.Buffer{}, want)
	if len(got) != n {
		t.Fatalf("export has %d rows, want %d", len(got), n)
	}
	byUnit := map[string]roster.Row{}
	for _, r := range want {
		byUnit[r.Unit] = r
	}
	for _, r := range got {
		w := byUnit[r.Unit]
		if r.Building != w.Building || r.Area != w.Area || r.Owner != w.Owner {
			t.Errorf("exported %+v, imported %+v", r, w)
		}
	}
	again := decode[struct{ Submitted, Unchanged int }](t, mustRun(t, append([]string{"roster", "import", book}, cl...)...))
	if again.Submitted != 0 || again.Unchanged != n {
		t.Errorf("re-importing the export: %+v, want all %d unchanged", again, n)
	}
	if _, _, err := run(t, append([]string{"roster", "import", filepath.Join(t.TempDir(), "old.xls")}, cl...)...); err == nil || !strings.Contains(err.Error(), "另存为") {
		t.Errorf("an .xls roster: %v, want a hint to save as .xlsx", err)
	}
}

// BenchmarkCommunityFromNothing measures the 1,000-unit community from
// nothing on a node with linli init's default 500 ms between blocks:
// import the workbook, issue every code with its slip, open a decision.
// Run it with -benchtime 1x; it reports each step in seconds.
func BenchmarkCommunityFromNothing(b *testing.B) {
	const n = 1000
	for range b.N {
		b.StopTimer()
		h, rpc := testHome(b, "--timeout-commit", "500ms", "--min-notice", "0s", "--min-voting", "10m")
		stop := runNode(b, h, rpc)
		b.StartTimer()
		s := setUpCommunity(b, h, rpc, n)
		b.StopTimer()
		b.ReportMetric(s.importRoster.Seconds(), "import_s")
		b.ReportMetric(s.issueCodes.Seconds(), "codes+slips_s")
		b.ReportMetric(float64(s.codeTxs), "code_txs")
		b.ReportMetric(s.openDecision.Seconds(), "decision_s")
		b.ReportMetric((s.importRoster + s.issueCodes + s.openDecision).Seconds(), "total_s")
		stop()
	}
}

// BenchmarkBindCodeHashing1000 is the hashing part of issuing 1,000 codes,
// on every core.
func BenchmarkBindCodeHashing1000(b *testing.B) {
	units := make([]string, 1000)
	for i := range units {
		units[i] = fmt.Sprintf("%d-%d", i/100+1, 101+i%100)
	}
	for range b.N {
		if _, _, err := newBindCodes(units); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSlips1000 writes the slips of 1,000 units.
func BenchmarkSlips1000(b *testing.B) {
	ss := make([]slips.Slip, 1000)
	for i := range ss {
		ss[i] = slips.Slip{Unit: fmt.Sprintf("%d-%d", i/100+1, 101+i%100), Code: fmt.Sprintf("%08d", i*7919), Expires: time.Now()}
	}
	for range b.N {
		var buf bytes.Buffer
		if err := slips.Write(&buf, "阳光花园", ss); err != nil {
			b.Fatal(err)
		}
	}
}
