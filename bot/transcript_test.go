package bot_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/internal/testnode"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/bot"
	"github.com/linli-community/linli/keys"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/store"
	"github.com/linli-community/linli/templates"
)

// updating reports whether -update (defined by internal/golden) is set.
func updating() bool { return flag.Lookup("update").Value.String() == "true" }

// world is a community on a real single-validator node (timeout_commit
// 100 ms), with the engine wired as `linli start` would: a Custodian over
// the in-process client and sessions in a real gateway.db.
type world struct {
	e    *bot.Engine
	cust *ledger.Custodian
	gw   *store.Gateway
	dir  string
}

var secret = bytes.Repeat([]byte{42}, keys.MasterSecretSize)

// Binding codes the world issues; chen's is left for a transcript to use.
const (
	codeWang = "1357246813572468"
	codeLi   = "1122334411223344"
	codeZhao = "5566778855667788"
	codeChen = "2468135724681357"
)

// Paper ballot sheet codes of decision 1.
const (
	sheetO3  = "111122223333"
	sheetDev = "444455556666"
	sheetO4  = "777788889999"
)

func user(name string) ledger.User { return ledger.User{Channel: "console", ID: name} }

// startWorld starts a node and seeds it: six units, console:admin as the
// genesis admin, wang (owner of 3-502), li (owner of 3-501) and zhao
// (tenant of 3-601) bound, a binding code for chen at 1-101; decision 1
// open for votes (li has voted) and poll 2 open.
func startWorld(tb testing.TB) *world {
	tb.Helper()
	admin, _ := keys.Derive(secret, "console", "admin")
	params := abci.DefaultParams()
	params.MinNotice = 0
	g := abci.GenesisState{Community: "阳光花园", Admins: []tx.Address{keys.Address(admin)}, Params: params}
	n, home := testnode.Start(tb, testnode.Options{ChainID: "linli-chat", Genesis: g})
	dir := filepath.Dir(home)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := &world{cust: ledger.NewCustodian(ledger.New(n.Local()), secret, "linli-chat"), dir: dir}
	var err error
	w.gw, err = store.OpenGateway(filepath.Join(dir, "gateway.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { w.gw.Close() })
	w.e = bot.New(w.cust, w.gw.Sessions(), templates.MustLoad())
	w.e.Texts = w.gw.PrivateTexts()
	w.e.Budgets["console"] = 10 * time.Second
	w.e.RateBurst = 1000 // transcripts type faster than people

	now := time.Now().Unix()
	salt := func() []byte { return bytes.Repeat([]byte{1}, tx.BindCodeSaltSize) }
	unit := func(u, b string, area int64, owner string) tx.UnitSpec {
		return tx.UnitSpec{Unit: u, Building: b, Area: area, Owner: owner}
	}
	// Decision 1 first, then poll 2.
	w.must(ctx, tb, "admin",
		&tx.UnitRegister{Units: []tx.UnitSpec{
			unit("1-101", "1", 6025, "O-4"), unit("3-501", "3", 10000, "O-1"), unit("3-502", "3", 8950, "O-7"),
			unit("3-601", "3", 12000, "O-2"), unit("5-101", "5", 6025, "O-3"), unit("5-102", "5", 9000, "developer"),
		}},
		&tx.ProposalOpen{Title: "使用维修资金更换3栋电梯", Text: "3栋两部电梯已运行18年，近一年故障11次。拟使用维修资金约46万元更换。",
			Class: tx.ClassOrdinary, NoticeAt: now, VoteStart: now + 1, VoteEnd: now + 7*24*3600})
	w.must(ctx, tb, "admin",
		&tx.PollOpen{Title: "中秋活动定在哪天", Options: []string{"周六", "周日", "都可以"}, VoteStart: now - 60, VoteEnd: now + 3*24*3600},
		tx.NewBindCodeIssue("3-502", tx.RelationOwner, codeWang, salt(), now+3600),
		tx.NewBindCodeIssue("3-501", tx.RelationOwner, codeLi, salt(), now+3600),
		tx.NewBindCodeIssue("3-601", tx.RelationTenant, codeZhao, salt(), now+3600),
		tx.NewBindCodeIssue("1-101", tx.RelationOwner, codeChen, salt(), now+3600),
	)
	var wg sync.WaitGroup
	for _, b := range []struct{ name, unit, rel, code string }{
		{"wang", "3-502", tx.RelationOwner, codeWang}, {"li", "3-501", tx.RelationOwner, codeLi}, {"zhao", "3-601", tx.RelationTenant, codeZhao},
	} {
		wg.Go(func() { w.must(ctx, tb, b.name, &tx.MemberBind{Unit: b.unit, Relation: b.rel, Code: b.code}) })
	}
	wg.Wait()
	for {
		res, err := w.cust.Query(ctx, "proposals/1")
		if err != nil {
			tb.Fatal(err)
		}
		var p struct{ Phase string }
		json.Unmarshal(res.Value, &p)
		if p.Phase == "voting" {
			break
		}
		if ctx.Err() != nil {
			tb.Fatal("decision 1 did not open for votes")
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.must(ctx, tb, "li", &tx.VoteCast{Proposal: 1, Choices: []int{tx.DecisionOptionYes}})
	// Paper ballots for three owners of decision 1, with codes a
	// transcript can enter.
	var sheets []tx.SheetSpec
	for _, s := range []struct{ owner, code string }{{"O-3", sheetO3}, {"developer", sheetDev}, {"O-4", sheetO4}} {
		sheets = append(sheets, tx.SheetSpec{Owner: s.owner, Verifier: tx.SheetVerifier("linli-chat", 1, s.code)})
	}
	w.must(ctx, tb, "admin", &tx.SheetIssue{Proposal: 1, Sheets: sheets})
	return w
}

// must submits bodies as name concurrently (they must not depend on each
// other) and fails unless all commit.
func (w *world) must(ctx context.Context, tb testing.TB, name string, bodies ...tx.Body) {
	tb.Helper()
	rs := make([]ledger.Receipt, len(bodies))
	errs := make([]error, len(bodies))
	var wg sync.WaitGroup
	for i, b := range bodies {
		wg.Go(func() { rs[i], errs[i] = w.cust.Submit(ctx, user(name), b) })
	}
	wg.Wait()
	for i := range bodies {
		if errs[i] != nil || rs[i].Code != 0 {
			tb.Fatalf("%s: %s: %+v %v", name, bodies[i].Type(), rs[i], errs[i])
		}
	}
}

// A transcript is a conversation: "> text" is a message sent, the lines
// after it are the reply expected, "@ name" switches the console user
// (wang by default) and leading "#" lines are comments. Volatile parts of
// replies (heights, hashes, dates, new codes) are replaced by placeholders.
type exchange struct {
	user, sent string
	want       string
}

func readTranscript(t *testing.T, file string) (comments []string, xs []exchange) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	who := "wang"
	var cur *exchange
	var reply []string
	flush := func() {
		if cur != nil {
			cur.want = strings.TrimRight(strings.Join(reply, "\n"), "\n")
			xs = append(xs, *cur)
		}
		cur, reply = nil, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur == nil && len(xs) == 0 && strings.HasPrefix(line, "#"):
			comments = append(comments, line)
		case strings.HasPrefix(line, "@ "):
			flush()
			who = strings.TrimPrefix(line, "@ ")
		case strings.HasPrefix(line, "> ") || line == ">":
			flush()
			cur = &exchange{user: who, sent: strings.TrimPrefix(strings.TrimPrefix(line, ">"), " ")}
		case cur != nil:
			reply = append(reply, line)
		}
	}
	flush()
	return comments, xs
}

var scrubs = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`区块 #\d+`), "区块 #N"},
	{regexp.MustCompile(`凭证 [0-9a-f]{8}`), "凭证 xxxxxxxx"},
	{regexp.MustCompile(`linli verify [0-9a-f]{64}`), "linli verify TXHASH"},
	{regexp.MustCompile(`\d{1,2}月\d{1,2}日（周.）\d{2}:\d{2}`), "M月D日（周W）hh:mm"},
	{regexp.MustCompile(`\d{1,2}月\d{1,2}日（周.）`), "M月D日（周W）"},
	{regexp.MustCompile(`\d{1,2}月\d{1,2}日 \d{2}:\d{2}`), "M月D日 hh:mm"},
	{regexp.MustCompile(`\d{1,2}月\d{1,2}日`), "M月D日"},
	{regexp.MustCompile(`\d{1,2}月收入`), "M月收入"},
	{regexp.MustCompile(`账户[：:] ?[0-9a-f]{8}`), "账户：xxxxxxxx"},
	{regexp.MustCompile(`账户 [0-9a-f]{8}`), "账户 xxxxxxxx"},
	{regexp.MustCompile(`绑定码：\d{4} \d{4} \d{4} \d{4}`), "绑定码：#### #### #### ####"},
	{regexp.MustCompile(`代理码：\d{4} \d{4} \d{4} \d{4}`), "代理码：#### #### #### ####"},
}

func scrub(s string) string {
	for _, x := range scrubs {
		s = x.re.ReplaceAllString(s, x.with)
	}
	return s
}

func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "transcripts", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			t.Parallel()
			comments, xs := readTranscript(t, file)
			w := startWorld(t)
			var out strings.Builder
			for _, c := range comments {
				out.WriteString(c + "\n")
			}
			who := "wang"
			for i, x := range xs {
				if x.user != who {
					fmt.Fprintf(&out, "@ %s\n", x.user)
					who = x.user
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				r, err := w.e.Handle(ctx, &bot.Request{Channel: "console", User: x.user, Text: x.sent, MsgID: fmt.Sprint(i)})
				cancel()
				if err != nil {
					t.Fatalf("%s: message %d %q: %v", file, i+1, x.sent, err)
				}
				if r != nil && len(r.Parts) > 1 {
					// Screens are short: each fits one WeChat message.
					t.Errorf("%s: reply to message %d (%q) needs %d messages", file, i+1, x.sent, len(r.Parts))
				}
				got := scrub(r.Text())
				fmt.Fprintf(&out, "> %s\n%s\n\n", x.sent, got)
				if !updating() && got != x.want {
					t.Errorf("%s: reply to message %d (%s: %q):\ngot:\n%s\nwant:\n%s", file, i+1, x.user, x.sent, got, x.want)
				}
			}
			if updating() {
				if err := os.WriteFile(file, []byte(strings.TrimRight(out.String(), "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestREADMEChatSamplesAreTranscripts: every chat sample in README.md that
// names a transcript ("<!-- transcript: NAME.txt -->" before its fence) is,
// once masked like the transcripts, an excerpt of that golden file, so the
// samples cannot drift from what the engine shows.
func TestREADMEChatSamplesAreTranscripts(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	marker := regexp.MustCompile("(?m)^<!-- transcript: ([a-z_]+\\.txt) -->\n```\n")
	found := 0
	for _, m := range marker.FindAllStringSubmatchIndex(string(b), -1) {
		name := string(b[m[2]:m[3]])
		rest := string(b[m[1]:])
		sample, _, ok := strings.Cut(rest, "\n```")
		if !ok {
			t.Fatalf("README: the %s sample has no closing fence", name)
		}
		golden, err := os.ReadFile(filepath.Join("testdata", "transcripts", name))
		if err != nil {
			t.Fatalf("README names %s: %v", name, err)
		}
		if !strings.Contains(string(golden), scrub(sample)) {
			t.Errorf("README's %s sample is not an excerpt of the transcript (regenerate it from testdata/transcripts/%s):\n%s", name, name, scrub(sample))
		}
		found++
	}
	if found == 0 {
		t.Error("README has no chat samples marked as transcripts")
	}
}
