package testnode

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// LimitedDir returns a directory on a file system of size bytes: a tmpfs
// mounted for the test and unmounted when it ends. Mounting needs root;
// elsewhere the test runs itself again as root of a user namespace
// (unshare), where it may mount a tmpfs, and returns "": the caller
// returns at once, its result is the inner run's.
func LimitedDir(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size="+size+",mode=0700")
	if errors.Is(err, syscall.EPERM) && os.Getenv("LINLI_TEST_USERNS") == "" {
		// Not root: run this test in a user namespace instead.
		cmd := exec.Command("unshare", "--user", "--map-root-user", "--mount", os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v")
		cmd.Env = append(os.Environ(), "LINLI_TEST_USERNS=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("cannot mount a tmpfs (%v), and running the test under unshare failed: %v\n%s", syscall.EPERM, err, out)
		}
		t.Logf("ran in a user namespace:\n%s", out)
		return ""
	}
	if err != nil {
		t.Fatalf("mount a %s tmpfs on %s: %v", size, dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// Fill writes to path until the file system is full.
func Fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte{0xa5}, 1<<20)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill: %v", err)
			}
			break
		}
	}
	// Smaller writes take what the last chunk could not.
	for _, err := f.Write(chunk[:4096]); err == nil; _, err = f.Write(chunk[:4096]) {
	}
}
