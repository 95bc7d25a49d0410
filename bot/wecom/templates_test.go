package wecom_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/linli-community/linli/internal/golden"
	"github.com/linli-community/linli/templates"
)

func TestTemplatesGolden(t *testing.T) {
	samples := []struct {
		name string
		data any
	}{
		{"wecom.footer", "阳光花园业委会"},
		{"wecom.footer", ""},
		{"wecom.alert.failing", map[string]any{"Chat": "wr-b3", "Attempts": 5, "Err": "wecom API: add group message: busy"}},
		{"wecom.alert.undelivered", map[string]any{"Chat": "wr-b3", "Status": 3}},
		{"wecom.alert.undelivered", map[string]any{"Chat": "wr-b3", "Status": 2}},
		{"wecom.alert.unconfirmed", map[string]any{"Chat": "wr-b3", "Owner": "zhang", "Hours": 25}},
	}
	set := templates.MustLoad()
	var b strings.Builder
	for i, s := range samples {
		out, err := set.Render(s.name, s.data)
		if err != nil {
			t.Fatalf("%s #%d: %v", s.name, i+1, err)
		}
		fmt.Fprintf(&b, "== %s #%d\n%s\n", s.name, i+1, out)
	}
	golden.Check(t, "templates.golden", b.String())
}
