package logfmt

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// goldenFiles are the realistic logs under testdata/ and the format
// Detect must find for each.
var goldenFiles = []struct {
	name   string
	format Format
}{
	{"iis.log", IIS},
	{"common.log", NCSACommon},
	{"combined.log", NCSACombined},
	{"jsonl.log", JSONLines},
}

// goldenRecord is one line of a golden file.
type goldenRecord struct {
	Format         string            `json:"format,omitempty"`
	Line           int64             `json:"line,omitempty"`
	Time           string            `json:"time,omitempty"`
	Fields         map[string]string `json:"fields,omitempty"`
	MalformedCount *int64            `json:"malformed_count,omitempty"`
	Malformed      *LineError        `json:"malformed,omitempty"`
}

// render reads a whole log with a detecting Reader and renders what it
// found as JSON lines: the format, each record (line, time, fields), the
// malformed count and the malformed lines.
func render(t *testing.T, r io.Reader) []byte {
	t.Helper()
	rd := NewReader(r, Unknown, Options{})
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	write := func(g goldenRecord) {
		if err := enc.Encode(g); err != nil {
			t.Fatal(err)
		}
	}
	first := true
	for {
		rec, n, err := rd.Next()
		if first {
			write(goldenRecord{Format: rd.Format().String()})
			first = false
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next() = %v", err)
		}
		g := goldenRecord{Line: n, Fields: fieldMap(rec)}
		if ts, ok := rec.Time(); ok {
			g.Time = ts.Format(time.RFC3339Nano)
		}
		write(g)
	}
	count, bad := rd.Malformed()
	write(goldenRecord{MalformedCount: &count})
	for i := range bad {
		write(goldenRecord{Malformed: &bad[i]})
	}
	return out.Bytes()
}

func TestGolden(t *testing.T) {
	for _, gf := range goldenFiles {
		t.Run(gf.name, func(t *testing.T) {
			path := filepath.Join("testdata", gf.name)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := Detect(data); got != gf.format {
				t.Errorf("Detect(%s) = %v, want %v", gf.name, got, gf.format)
			}
			got := render(t, bytes.NewReader(data))
			golden := filepath.Join("testdata", gf.name[:len(gf.name)-len(filepath.Ext(gf.name))]+".golden.jsonl")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("parsing %s differs from %s (go test -update rewrites it):\n%s", path, golden, firstDiff(got, want))
			}

			// The same log gzipped, through Open, gives the same result.
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			zw.Write(data)
			zw.Close()
			gzPath := filepath.Join(t.TempDir(), gf.name) // no .gz: detection is by content
			if err := os.WriteFile(gzPath, gz.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := Open(gzPath)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if gotGz := render(t, f); !bytes.Equal(gotGz, want) {
				t.Errorf("parsing gzipped %s differs from %s:\n%s", path, golden, firstDiff(gotGz, want))
			}
		})
	}
}

// firstDiff describes the first differing line of two outputs.
func firstDiff(got, want []byte) string {
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl []byte
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if !bytes.Equal(gl, wl) {
			return "line " + itoa(i+1) + ":\n got: " + string(gl) + "\nwant: " + string(wl)
		}
	}
	return "(no difference)"
}

func itoa(i int) string { return string(bytes.TrimSpace([]byte(jsonInt(i)))) }

func jsonInt(i int) string { b, _ := json.Marshal(i); return string(b) }
