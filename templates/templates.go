// Package templates holds every text a person reads, in zh-CN, as
// text/template files embedded in the binary. An operator may override any
// template by putting a file of the same name in a directory named in
// config; the override's definitions replace the embedded ones.
//
// Package templates imports no other linli package.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/template"
)

//go:embed zh/*.tmpl
var embedded embed.FS

//go:embed board/*.tmpl board/labels.txt
var board embed.FS

// Board returns the notice board's html/template files (board/*.tmpl) and
// its labels (board/labels.txt), which package board parses; they are kept
// here with every other text a person reads.
func Board() fs.FS {
	sub, err := fs.Sub(board, "board")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return sub
}

// Set is a parsed set of templates.
type Set struct {
	t *template.Template
}

// Load parses the embedded templates, then the *.tmpl files of overrideDir
// (if not empty), whose definitions win.
func Load(overrideDir string) (*Set, error) {
	t := template.New("linli").Option("missingkey=error")
	if _, err := t.ParseFS(embedded, "zh/*.tmpl"); err != nil {
		return nil, fmt.Errorf("templates: embedded: %w", err)
	}
	if overrideDir != "" {
		files, err := fs.Glob(os.DirFS(overrideDir), "*.tmpl")
		if err != nil {
			return nil, fmt.Errorf("templates: %s: %w", overrideDir, err)
		}
		for _, f := range files {
			if _, err := t.ParseFiles(filepath.Join(overrideDir, f)); err != nil {
				return nil, fmt.Errorf("templates: override %s: %w", f, err)
			}
		}
	}
	return &Set{t: t}, nil
}

// MustLoad loads the embedded templates only; they are tested, so failure
// is a programming error.
func MustLoad() *Set {
	s, err := Load("")
	if err != nil {
		panic(err)
	}
	return s
}

// Render executes the named template with data.
func (s *Set) Render(name string, data any) (string, error) {
	var buf bytes.Buffer
	if err := s.t.ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("templates: %s: %w", name, err)
	}
	return buf.String(), nil
}

// Has reports whether a template is defined.
func (s *Set) Has(name string) bool { return s.t.Lookup(name) != nil }

// Names returns the names of the templates defined with prefix, sorted
// (the files' own names, "….tmpl", left out).
func (s *Set) Names(prefix string) []string {
	var names []string
	for _, t := range s.t.Templates() {
		if n := t.Name(); strings.HasPrefix(n, prefix) && !strings.HasSuffix(n, ".tmpl") && t.Tree != nil {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// CodeData is what a result-code template sees.
type CodeData struct {
	Code uint32
	Name string
}

// CodeMessage returns the resident-facing message for a result code: the
// code's own template, or a generic one that names the number.
func (s *Set) CodeMessage(code uint32, name string) string {
	tmpl := "code." + strconv.FormatUint(uint64(code), 10)
	if !s.Has(tmpl) {
		tmpl = "code.unknown"
	}
	msg, err := s.Render(tmpl, CodeData{Code: code, Name: name})
	if err != nil {
		return fmt.Sprintf("操作没有成功（错误代码 %d）。", code)
	}
	return msg
}
