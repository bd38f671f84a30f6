package main

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/firebreak-ir/firebreak/"

// allowedImports is DESIGN.md §3's table: which internal packages each
// package may import (non-test files). cli may import everything.
var allowedImports = map[string][]string{
	"internal/config":      {"internal/clientip"},
	"internal/clientip":    {},
	"internal/incident":    {},
	"internal/store":       {"internal/incident"},
	"internal/auth":        {"internal/incident"},
	"internal/web":         {"internal/incident", "internal/store", "internal/auth", "internal/intel", "internal/clientip"},
	"internal/demo":        {"internal/incident", "internal/store"},
	"internal/status":      {"internal/incident"},
	"internal/publish":     {"internal/incident", "internal/store", "internal/status"},
	"internal/notify":      {"internal/incident"},
	"internal/regime":      {"internal/incident"},
	"internal/intel":       {"internal/incident"},
	"internal/probe":       {"internal/incident"},
	"internal/hunt":        {"internal/intel", "internal/incident", "internal/hunt/logfmt", "internal/hunt/match", "internal/hunt/sigma", "internal/hunt/walk", "internal/hunt/yara"},
	"internal/hunt/sigma":  {},
	"internal/hunt/yara":   {},
	"internal/hunt/logfmt": {},
	"internal/hunt/match":  {"internal/hunt/logfmt"},
	"internal/hunt/walk":   {},
}

// TestImportRules keeps the package table of docs/architecture.md true: a
// package may import only what the table allows, and every package under
// internal/ must be in the table.
func TestImportRules(t *testing.T) {
	root, _ := filepath.Abs("../..")
	err := filepath.WalkDir(filepath.Join(root, "internal"), func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() || d.Name() == "testdata" {
			return err
		}
		files, _ := filepath.Glob(filepath.Join(path, "*.go"))
		var src []string
		for _, f := range files {
			if !strings.HasSuffix(f, "_test.go") {
				src = append(src, f)
			}
		}
		if len(src) == 0 {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if strings.HasSuffix(rel, "/storetest") {
			return nil // test support: imports what it tests
		}
		allowed, known := allowedImports[rel]
		if rel == "internal/cli" {
			return nil
		}
		if !known {
			t.Errorf("package %s is not in the import table: add it to allowedImports and docs/architecture.md", rel)
			return nil
		}
		for _, f := range src {
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatalf("parse %s: %v", f, err)
			}
			for _, imp := range af.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if !strings.HasPrefix(p, module) {
					continue
				}
				dep := strings.TrimPrefix(p, module)
				if !slices.Contains(allowed, dep) {
					t.Errorf("%s imports %s, which the table does not allow", filepath.Base(f), dep)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
