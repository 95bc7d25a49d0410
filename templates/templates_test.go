package templates_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/linli-community/linli/internal/golden"

	"github.com/linli-community/linli/abci"
	"github.com/linli-community/linli/templates"
)

// TestEveryCodeHasAMessage keeps the code table and the templates in step:
// a new code without a resident-facing message fails here.
func TestEveryCodeHasAMessage(t *testing.T) {
	s := templates.MustLoad()
	var b strings.Builder
	for _, c := range abci.Codes() {
		name := fmt.Sprintf("code.%d", c)
		if !s.Has(name) {
			t.Errorf("result code %d (%s) has no template %q", c, c, name)
			continue
		}
		msg := s.CodeMessage(uint32(c), c.String())
		if msg == "" || strings.ContainsAny(msg, "{}") {
			t.Errorf("code %d renders %q", c, msg)
		}
		fmt.Fprintf(&b, "%d %s: %s\n", c, c, msg)
	}
	golden.Check(t, "codes.golden", b.String())
}

func TestUnknownCodeNamesTheNumber(t *testing.T) {
	got := templates.MustLoad().CodeMessage(999, "code_999")
	if !strings.Contains(got, "999") {
		t.Errorf("CodeMessage(999) = %q, want the number in it", got)
	}
}

func TestOverrideReplacesOneTemplate(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mine.tmpl"), []byte(`{{define "code.25"}}码错了{{end}}`), 0o644)
	s, err := templates.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CodeMessage(25, ""); got != "码错了" {
		t.Errorf("overridden code.25 = %q", got)
	}
	if got := s.CodeMessage(20, ""); !strings.Contains(got, "房号") {
		t.Errorf("code.20 lost by an unrelated override: %q", got)
	}
	os.WriteFile(filepath.Join(dir, "bad.tmpl"), []byte(`{{define "x"}}{{.Oops`), 0o644)
	if _, err := templates.Load(dir); err == nil {
		t.Errorf("a broken override loaded without error")
	}
}

// TestNamesListsDefinedTemplates wants the templates of a prefix, sorted,
// without the files' own names.
func TestNamesListsDefinedTemplates(t *testing.T) {
	set := templates.MustLoad()
	names := set.Names("wxgroup.")
	if len(names) == 0 || !slices.IsSorted(names) {
		t.Fatalf("Names(wxgroup.) = %v", names)
	}
	for _, n := range names {
		if !strings.HasPrefix(n, "wxgroup.") || strings.HasSuffix(n, ".tmpl") || !set.Has(n) {
			t.Errorf("Names(wxgroup.) lists %q", n)
		}
	}
	if got := set.Names("no-such-prefix."); len(got) != 0 {
		t.Errorf("Names of an unknown prefix = %v", got)
	}
}
