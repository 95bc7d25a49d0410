package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/ledger"
	"github.com/linli-community/linli/node"
)

// syncBuffer is a bytes.Buffer safe for the node's goroutines to write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testHome initialises a home on free loopback ports with fast blocks
// (unless initArgs set --timeout-commit) and quiet logs, and returns it with
// its RPC URL. initArgs are more flags for linli init.
func testHome(t testing.TB, initArgs ...string) (string, string) {
	t.Helper()
	return testHomeIn(t, t.TempDir(), initArgs...)
}

// testHomeIn is testHome with the home in dir (such as a size-limited
// filesystem).
func testHomeIn(t testing.TB, dir string, initArgs ...string) (string, string) {
	t.Helper()
	h := filepath.Join(dir, "home")
	addrs, err := node.FreeLoopbackAddrs(2)
	if err != nil {
		t.Fatal(err)
	}
	rpc, p2p := addrs[0], addrs[1]
	os.MkdirAll(h, 0o700)
	// The notice board on a free port, so that homes never collide.
	os.WriteFile(filepath.Join(h, "linli.toml"), []byte("log_level = \"error\"\n[board]\nlisten = \"127.0.0.1:0\"\n"), 0o644)
	mustRun(t, append([]string{"init", "--home", h, "--community", "阳光花园", "--rpc", rpc, "--p2p", p2p, "--timeout-commit", "100ms", "--empty-blocks", "250ms"}, initArgs...)...)
	return h, strings.Replace(rpc, "tcp://", "http://", 1)
}

// run runs a linli command in-process, for at most 30 seconds, and returns
// what it printed.
func run(t testing.TB, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runWithin(t, 30*time.Second, args...)
}

// runWithin is run with another time limit.
func runWithin(t testing.TB, limit time.Duration, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	err = Run(ctx, args, &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	return out.String(), errb.String(), err
}

func mustRun(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, err := run(t, args...)
	if err != nil {
		t.Fatalf("linli %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// runNode runs `linli start` in the background until the test ends or
// stop is called, and waits until it answers queries.
func runNode(t testing.TB, h, rpc string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs syncBuffer
	go func() { done <- Run(ctx, []string{"start", "--home", h}, &Env{Stdout: &logs, Stderr: &logs}) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("linli start: %v\n%s", err, logs.String())
				}
			case <-time.After(20 * time.Second):
				t.Errorf("linli start did not stop within 20s")
			}
		})
	}
	t.Cleanup(stop)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, _, err := run(t, "query", "chain", "--home", h, "--node", rpc); err == nil {
			return stop
		}
		select {
		case err := <-done:
			t.Fatalf("linli start exited: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("node did not answer within 20s\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func decode[T any](t testing.TB, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return v
}

// TestEndToEnd runs a real node from a fresh home and drives it only
// through the linli command line: roster import and export, a role grant,
// a binding code and a resident binding with it, queries, and then a
// restart with app.db deleted, which must rebuild the same state.
func TestEndToEnd(t *testing.T) {
	h, rpc := testHome(t)
	stop := runNode(t, h, rpc)
	cl := []string{"--home", h, "--node", rpc}

	csv := filepath.Join(t.TempDir(), "roster.csv")
	os.WriteFile(csv, []byte("\ufeffunit,building,area_m2,owner\r\n3-502,3,89.5,O-7\r\n3-501,3,120,O-7\r\n1-101,1,60.25,developer\r\n"), 0o644)
	imp := decode[struct{ Submitted, Unchanged int }](t, mustRun(t, append([]string{"roster", "import", csv}, cl...)...))
	if imp.Submitted != 3 {
		t.Fatalf("first import submitted %d, want 3", imp.Submitted)
	}
	again := decode[struct{ Submitted, Unchanged int }](t, mustRun(t, append([]string{"roster", "import", csv}, cl...)...))
	if again.Submitted != 0 || again.Unchanged != 3 {
		t.Errorf("re-import = %+v, want nothing submitted, 3 unchanged", again)
	}

	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("unit,building,area_m2,owner\n9-901,9,-3,O-9\n9-902,9,50,O-9\n9-902,9,50,O-9\n"), 0o644)
	_, errOut, err := run(t, append([]string{"roster", "import", bad}, cl...)...)
	if !errors.Is(err, errReported) || !strings.Contains(errOut, "第 2 行") || !strings.Contains(errOut, "第 4 行") {
		t.Errorf("bad roster: err %v, stderr %q; want problems on lines 2 and 4", err, errOut)
	}
	if units := decode[[]struct{ Unit string }](t, mustRun(t, append([]string{"query", "units"}, cl...)...)); len(units) != 3 {
		t.Errorf("after a rejected roster there are %d units, want 3", len(units))
	}

	out := mustRun(t, append([]string{"roster", "export"}, cl...)...)
	if want := "\ufeffunit,building,area_m2,owner\n1-101,1,60.25,developer\n3-501,3,120.00,O-7\n3-502,3,89.50,O-7\n"; strings.ReplaceAll(out, "\r\n", "\n") != want {
		t.Errorf("export =\n%q\nwant\n%q", out, want)
	}

	out, errOut, err = run(t, append([]string{"bindcode", "3-502"}, cl...)...)
	if err != nil {
		t.Fatalf("bindcode: %v %s", err, errOut)
	}
	// One stdout line, the code in groups of four digits.
	code := strings.TrimSuffix(out, "\n")
	if _, ok := tx.NormalizeBindCode(code); !ok || strings.Contains(code, "\n") || len(strings.Fields(code)) != 4 {
		t.Fatalf("bindcode printed %q, want one line of four groups of digits", out)
	}
	if strings.Contains(errOut, code) {
		t.Errorf("the code also went to stderr: %s", errOut)
	}
	issued := decode[struct{ Unit, Code, Expires string }](t, mustRun(t, append([]string{"bindcode", "3-501", "--json"}, cl...)...))
	if _, ok := tx.NormalizeBindCode(issued.Code); issued.Unit != "3-501" || !ok || issued.Expires == "" {
		t.Errorf("bindcode --json = %+v", issued)
	}
	resident := decode[struct{ Address string }](t, mustRun(t, "keys", "derive", "--home", h, "--channel", "console", "--user", "wang"))

	out, _, err = run(t, append([]string{"tx", "member.bind", `{"unit":"3-502","relation":"owner","code":"0000 0000 0000 0000"}`, "--as", "console:wang"}, cl...)...)
	if r := decode[receiptJSON](t, out); !errors.Is(err, errReported) || r.Name != "bind_code_wrong" || r.Height == 0 || !strings.Contains(r.Message, "绑定码不对") {
		t.Errorf("wrong code: err %v receipt %+v", err, r)
	}
	r := decode[receiptJSON](t, mustRun(t, append([]string{"tx", "member.bind", `{"unit":"3-502","relation":"owner","code":"` + code + `"}`, "--as", "console:wang"}, cl...)...))
	if r.Code != 0 || r.Height == 0 || len(r.Hash) != 64 {
		t.Errorf("bind receipt = %+v", r)
	}
	m := decode[struct{ Unit, Owner string }](t, mustRun(t, append([]string{"query", "members/" + resident.Address}, cl...)...))
	if m.Unit != "3-502" || m.Owner != "O-7" {
		t.Errorf("member = %+v, want 3-502 of O-7", m)
	}
	// Times may be given as dates in China time; the receipt names the
	// poll it opened.
	now := time.Now().In(cstZone)
	poll := fmt.Sprintf(`{"title":"中秋活动","options":["周六","周日"],"vote_start":%q,"vote_end":%q}`,
		now.Add(-time.Minute).Format("2006-01-02 15:04"), now.Add(2*time.Hour).Format("2006-01-02 15:04"))
	if r := decode[receiptJSON](t, mustRun(t, append([]string{"tx", "poll.open", poll}, cl...)...)); fmt.Sprint(r.Created) != "map[poll:1]" {
		t.Errorf("poll.open receipt created = %v, want poll 1", r.Created)
	}
	mustRun(t, append([]string{"tx", "vote.cast", `{"proposal":1,"choices":[1]}`, "--as", "console:wang"}, cl...)...)
	if tu := decode[struct {
		HeadsVoted int64 `json:"heads_voted"`
	}](t, mustRun(t, append([]string{"query", "proposals/1/turnout"}, cl...)...)); tu.HeadsVoted != 1 {
		t.Errorf("poll turnout = %+v, want 1 vote", tu)
	}

	out, _, err = run(t, append([]string{"tx", "unit.register", `{"units":[{"unit":"5-1","building":"5","area":100,"owner":"X"}]}`, "--as", "console:wang"}, cl...)...)
	if r := decode[receiptJSON](t, out); !errors.Is(err, errReported) || r.Name != "unauthorized" {
		t.Errorf("resident registering a unit: err %v receipt %+v", err, r)
	}

	// Stop, lose app.db, restart: CometBFT replays every block into a new
	// app.db, and the block after the last commit carries the app hash the
	// original app had reached.
	before := decode[struct {
		Height  int64
		AppHash string `json:"app_hash"`
	}](t, mustRun(t, append([]string{"query", "chain"}, cl...)...))
	stop()
	for _, f := range []string{"app.db", "app.db-wal", "app.db-shm"} {
		os.Remove(filepath.Join(h, "data", f))
	}
	runNode(t, h, rpc)
	m = decode[struct{ Unit, Owner string }](t, mustRun(t, append([]string{"query", "members/" + resident.Address}, cl...)...))
	if m.Unit != "3-502" {
		t.Errorf("after replay member = %+v, want bound to 3-502", m)
	}
	lc, err := ledger.Dial(rpc)
	if err != nil {
		t.Fatal(err)
	}
	next := before.Height + 1
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if h, _, err := lc.Status(ctx); err == nil && h >= next {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("chain did not advance after restart")
		}
		time.Sleep(50 * time.Millisecond)
	}
	rc, err := rpchttp.New(rpc, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	blk, err := rc.Block(ctx, &next)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ToLower(blk.Block.AppHash.String()); got != before.AppHash {
		t.Errorf("app hash at %d after replay = %s, want %s", before.Height, got, before.AppHash)
	}
}
