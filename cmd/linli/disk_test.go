package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linli-community/linli/internal/testnode"
)

// TestStartExitsOnAFullDisk runs `linli start` with its home on a small
// tmpfs and fills it: the idle chain's next empty blocks cannot be stored,
// and start must return an error saying so (the process then exits with
// status 1) instead of running on with consensus stopped and /health
// still answering. After space is freed the home starts again.
func TestStartExitsOnAFullDisk(t *testing.T) {
	disk := testnode.LimitedDir(t, "64m")
	if disk == "" {
		return // ran in a user namespace, see LimitedDir
	}
	h, url := testHomeIn(t, disk, "--empty-blocks", "100ms")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	var logs syncBuffer
	go func() { done <- Run(ctx, []string{"start", "--home", h}, &Env{Stdout: &logs, Stderr: &logs}) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, _, err := run(t, "query", "chain", "--home", h, "--node", url); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node did not answer within 20s\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	filler := filepath.Join(disk, "filler")
	testnode.Fill(t, filler)
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "storage failure") || !strings.Contains(err.Error(), "no space left on device") {
			t.Errorf("linli start returned %v, want a storage failure naming the full disk", err)
		}
		if !strings.Contains(logs.String(), "free space on "+h) {
			t.Errorf("linli start's output does not tell the operator what to do:\n%s", logs.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("linli start still running 60 s after the disk filled up\n%s", logs.String())
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	runNode(t, h, url)
}
