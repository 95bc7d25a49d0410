package bot

import (
	"context"
	"testing"

	"github.com/linli-community/linli/abci/tx"
	"github.com/linli-community/linli/ledger"
)

// The engine pauses (through the context's hook) exactly while it waits
// for a commit, and resumes before it renders the receipt.
func TestCommitWaitIsAPause(t *testing.T) {
	f := newFixture(t)
	f.bind("wang")
	paused, resumed := false, 0
	pausedInSubmit := false
	f.l.submit = func(tx.Body) (ledger.Receipt, error) {
		pausedInSubmit = paused
		return ledger.Receipt{Height: 30, Hash: "ab"}, nil
	}
	f.run("wang", "菜单", "1", "1", "1")
	if resumed != 0 || paused {
		t.Fatal("paused before any commit")
	}
	ctx := WithPause(context.Background(), func() func() {
		paused = true
		return func() { paused, resumed = false, resumed+1 }
	})
	r, err := f.e.Handle(ctx, &Request{Channel: "console", User: "wang", Text: "1"})
	if err != nil {
		t.Fatal(err)
	}
	contains(t, "receipt", r.Text(), "已记录")
	if !pausedInSubmit || paused || resumed != 1 {
		t.Errorf("paused in Submit %v, paused after %v, resumed %d times; want true, false, 1", pausedInSubmit, paused, resumed)
	}
	// A read never pauses.
	if _, err := f.e.Handle(ctx, &Request{Channel: "console", User: "wang", Text: "菜单"}); err != nil || resumed != 1 {
		t.Errorf("a read paused: %d resumes, %v", resumed, err)
	}
}
