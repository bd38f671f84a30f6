package status

import (
	"bytes"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestExport(t *testing.T) {
	snap := mustRender(t, telecomPage())
	dir := filepath.Join(t.TempDir(), "site")
	if err := Export(snap, dir); err != nil {
		t.Fatal(err)
	}

	// Every path the server answers is a file with the same bytes.
	for _, p := range snap.Paths() {
		name := snap.FileName(p)
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if e, _ := snap.Lookup(p); !bytes.Equal(got, e.Body) {
			t.Errorf("%s: %s differs from the served bytes", p, name)
		}
	}
	for p, want := range map[string]string{
		"/": "index.html", "/index.html": "index.html", "/history": "history.html",
		"/incidents/inc-portal": "incidents/inc-portal.html", "/api/v2/summary.json": "api/v2/summary.json",
		"/nope": "",
	} {
		if got := snap.FileName(p); got != want {
			t.Errorf("FileName(%q) = %q, want %q", p, got, want)
		}
	}

	// Every relative link and asset reference in every HTML file resolves
	// to an exported file.
	checked := 0
	err := filepath.WalkDir(dir, func(name string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".html") || filepath.Base(name) == "404.html" {
			return err
		}
		rel, _ := filepath.Rel(dir, name)
		doc, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		for _, ref := range links(t, doc) {
			u, err := url.Parse(ref)
			if err != nil {
				t.Errorf("%s: bad link %q", rel, ref)
				continue
			}
			if u.Scheme != "" || u.Host != "" || strings.HasPrefix(ref, "#") {
				continue // absolute (tel:, mailto:, data:, https:) or in-page
			}
			if strings.HasPrefix(ref, "/") {
				t.Errorf("%s: root-relative link %q breaks on file:// and in subdirectories", rel, ref)
				continue
			}
			target := path.Join(path.Dir(filepath.ToSlash(rel)), u.Path)
			if fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(target))); err != nil || fi.IsDir() {
				t.Errorf("%s: link %q → %s is not a file", rel, ref, target)
			}
			checked++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Errorf("checked only %d links", checked)
	}

	// A second export replaces the first: no file of an incident that is
	// gone remains, and no temporary directory is left behind.
	p := telecomPage()
	p.Incidents = p.Incidents[:1]
	if err := Export(mustRender(t, p), dir); err != nil {
		t.Fatalf("re-export: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "incidents", "inc-sms.html")); !os.IsNotExist(err) {
		t.Errorf("re-export left incidents/inc-sms.html (%v)", err)
	}
	ents, _ := os.ReadDir(filepath.Dir(dir))
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("parent holds %v, want only the export", names)
	}
}

// TestExportRefusesForeignDirectory: Export never replaces a directory
// that is not empty and not a previous export.
func TestExportRefusesForeignDirectory(t *testing.T) {
	dir := t.TempDir()
	precious := filepath.Join(dir, "thesis.tex")
	if err := os.WriteFile(precious, []byte("years of work"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Export(mustRender(t, telecomPage()), dir); err == nil {
		t.Fatal("Export replaced a directory holding other files")
	}
	if _, err := os.Stat(precious); err != nil {
		t.Fatalf("the foreign file is gone: %v", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Export(mustRender(t, telecomPage()), file); err == nil {
		t.Error("Export replaced a regular file")
	}
	empty := t.TempDir()
	if err := Export(mustRender(t, telecomPage()), empty); err != nil {
		t.Errorf("Export into an empty directory: %v", err)
	}
}

// links returns every href and src in an HTML document.
func links(t *testing.T, doc []byte) []string {
	t.Helper()
	var out []string
	z := html.NewTokenizer(bytes.NewReader(doc))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			_, more := z.TagName()
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				if string(k) == "href" || string(k) == "src" {
					out = append(out, string(v))
				}
			}
		}
	}
}
