// Package templatestest is the golden test of a channel's templates, for
// the packages that own them (bot/notify, bot/wechatmp, bot/wxgroup).
package templatestest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/linli-community/linli/internal/golden"
	"github.com/linli-community/linli/templates"
)

// Golden renders every embedded template whose name starts with prefix,
// once for each of its samples, and compares the texts with
// testdata/templates.golden (golden.Check; -update rewrites it). A
// template without samples, a render that fails, a text with "<no value>"
// or longer than 2,048 bytes fails the test, and so does a text that
// check, when given, returns an error for.
func Golden(t *testing.T, prefix string, samples map[string][]any, check func(text string) error) {
	t.Helper()
	set := templates.MustLoad()
	var b strings.Builder
	for _, name := range set.Names(prefix) {
		data, ok := samples[name]
		if !ok {
			t.Errorf("template %s has no sample data here", name)
			continue
		}
		for i, d := range data {
			out, err := set.Render(name, d)
			if err != nil {
				t.Errorf("%s #%d: %v", name, i+1, err)
				continue
			}
			if strings.Contains(out, "<no value>") || len(out) > 2048 {
				t.Errorf("%s #%d renders %q", name, i+1, out)
			}
			if check != nil {
				if err := check(out); err != nil {
					t.Errorf("%s #%d renders %q: %v", name, i+1, out, err)
				}
			}
			fmt.Fprintf(&b, "== %s #%d\n%s\n", name, i+1, out)
		}
	}
	golden.Check(t, "templates.golden", b.String())
}
