package wxgroup_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/linli-community/linli/templates/templatestest"
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
	templatestest.Golden(t, "wxgroup.", templateSamples, func(text string) error {
		if strings.Contains(text, "\n") {
			return errors.New("a group line has no line breaks")
		}
		return nil
	})
}
