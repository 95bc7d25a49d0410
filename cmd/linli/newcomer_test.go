package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli-community/linli/roster"
)

// signalWriter collects what is written and closes seen once it contains
// want.
type signalWriter struct {
	syncBuffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	n, err := w.syncBuffer.Write(p)
	if strings.Contains(w.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return n, err
}

// TestStartOnAnEmptyCommunitySaysWhatToDoNext: a fresh node with no units
// points at the sample roster shipped in the repository.
func TestStartOnAnEmptyCommunitySaysWhatToDoNext(t *testing.T) {
	h, _ := testHome(t)
	logs := &signalWriter{want: "node running", seen: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, []string{"start", "--home", h}, &Env{Stdout: logs, Stderr: logs}) }()
	select {
	case <-logs.seen:
	case err := <-done:
		t.Fatalf("start ended: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("start did not come up:\n%s", logs.String())
	}
	// The next step is printed before start waits for the end.
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("start: %v\n%s", err, logs.String())
	}
	for _, want := range []string{"no units yet", "linli roster template units.xlsx", "examples/units.csv", "linli roster import units.xlsx --home " + h} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("start's output lacks %q:\n%s", want, logs.String())
		}
	}
}

// TestSampleRosterParses: the sample roster the next step points at is
// one `roster import` accepts.
func TestSampleRosterParses(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "examples", "units.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := roster.Parse(f)
	if err != nil {
		t.Fatalf("examples/units.csv: %v", err)
	}
	if len(rows) != 8 {
		t.Errorf("%d rows, want 8", len(rows))
	}
}

// TestStartRefusesADirectoryThatIsNotAHome: start initialises an empty or
// missing directory, never one with other files in it (such as the
// temporary directory around a kept demo's home), and names the home
// inside it.
func TestStartRefusesADirectoryThatIsNotAHome(t *testing.T) {
	h, _ := testHome(t)
	outer := filepath.Dir(h)
	_, _, err := run(t, "start", "--home", outer)
	if err == nil || !strings.Contains(err.Error(), "is not a linli home") || !strings.Contains(err.Error(), "did you mean --home "+h) {
		t.Fatalf("start on %s: %v", outer, err)
	}
	if _, err := os.Stat(filepath.Join(outer, "config")); err == nil {
		t.Errorf("start initialised a home in %s", outer)
	}
}

// TestDemoKeepPrintsTheHomeAndScriptsAreNotThrottled: --keep names the
// real home (start finds the demo chain there), and a script longer than
// the flood limit gets every line answered.
func TestDemoKeepPrintsTheHomeAndScriptsAreNotThrottled(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	const lines = 25
	out, errOut, err := runIn(t, strings.Repeat("菜单\n", lines), "demo", "--keep")
	if err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, out, errOut)
	}
	if n := strings.Count(out, "请回复数字"); n != lines {
		t.Errorf("%d of %d scripted lines answered:\n%s", n, lines, out)
	}
	if strings.Contains(out, "发得太快") {
		t.Errorf("a script was rate-limited:\n%s", out)
	}
	_, kept, ok := strings.Cut(errOut, "home kept in ")
	if !ok {
		t.Fatalf("demo --keep printed no home:\n%s", errOut)
	}
	kept, _, _ = strings.Cut(kept, " ")
	if !home(kept).exists() {
		t.Errorf("demo --keep printed %q, which is not a linli home", kept)
	}
}
