package abci_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestNoFieldOfAnAnswerIsOmittedWhenZero keeps "omitempty" out of every
// struct of package abci, named or anonymous: query answers are built from
// them, and a 0 in an answer is a figure, not an absence. (The tx bodies
// of abci/tx keep theirs: their encoding is what signatures cover.)
func TestNoFieldOfAnAnswerIsOmittedWhenZero(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			st, ok := n.(*ast.StructType)
			if !ok {
				return true
			}
			for _, field := range st.Fields.List {
				if field.Tag == nil {
					continue
				}
				tag, _ := strconv.Unquote(field.Tag.Value)
				checked++
				if opts := reflect.StructTag(tag).Get("json"); strings.Contains(opts, "omitempty") {
					t.Errorf("%s: json tag %q omits the field when it is zero", fset.Position(field.Pos()), opts)
				}
			}
			return true
		})
	}
	if checked < 100 {
		t.Fatalf("checked only %d tagged fields; is the test looking at package abci?", checked)
	}
}
