package wxgroup_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/template"

	"github.com/linli-community/linli/internal/golden"
	"github.com/linli-community/linli/templates"
)

// templateSamples gives each wxgroup template the data the package renders
// it with.
var templateSamples = map[string][]any{
	"wxgroup.private": {struct{ Account string }{"阳光花园业委会"}, struct{ Account string }{""}},
	"wxgroup.bound":   {struct{ Community, Building string }{"阳光花园", "3"}, struct{ Community, Building string }{"", ""}},
	"wxgroup.badcode": {nil},
	"wxgroup.alert": {
		struct{ Why, Detail string }{"logout", "微信返回码 1101"},
		struct{ Why, Detail string }{"refused", "微信返回码 1203"},
		struct{ Why, Detail string }{"lost", "网络或协议错误"},
	},
}

func TestTemplatesGolden(t *testing.T) {
	tm, err := template.ParseGlob(filepath.Join("..", "..", "templates", "zh", "wxgroup.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range tm.Templates() {
		if strings.HasPrefix(x.Name(), "wxgroup.") && !strings.HasSuffix(x.Name(), ".tmpl") {
			names = append(names, x.Name())
		}
	}
	slices.Sort(names)
	set := templates.MustLoad()
	var b strings.Builder
	for _, name := range names {
		samples, ok := templateSamples[name]
		if !ok {
			t.Errorf("template %s has no sample data here", name)
			continue
		}
		for i, data := range samples {
			out, err := set.Render(name, data)
			if err != nil {
				t.Errorf("%s #%d: %v", name, i+1, err)
				continue
			}
			if strings.Contains(out, "<no value>") || len(out) > 2048 || strings.Contains(out, "\n") {
				t.Errorf("%s #%d renders %q", name, i+1, out)
			}
			fmt.Fprintf(&b, "== %s #%d\n%s\n", name, i+1, out)
		}
	}
	golden.Check(t, "templates.golden", b.String())
}
