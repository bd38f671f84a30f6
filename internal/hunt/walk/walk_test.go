package walk

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(rel string, size int) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a/u_ex250719.log", 10)
	write("a/b/u_ex250720.log.gz", 10)
	write("a/big.log", 1000)
	write("skip/x.log", 10)
	write("c.txt", 5)
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "u_ex250721.log"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Symlink(outside, filepath.Join(dir, "link"))
	os.Symlink(filepath.Join(dir, "a"), filepath.Join(dir, "loop")) // already walked: not twice
	rel := func(fs []File) []string {
		var out []string
		for _, f := range fs {
			r, _ := filepath.Rel(dir, f.Path)
			out = append(out, r)
		}
		return out
	}
	for _, c := range []struct {
		name     string
		opt      Options
		want     []string
		problems int
	}{
		{"all, no symlinks", Options{}, []string{"a/b/u_ex250720.log.gz", "a/big.log", "a/u_ex250719.log", "c.txt", "skip/x.log"}, 0},
		{"size limit", Options{MaxSize: 100}, []string{"a/b/u_ex250720.log.gz", "a/u_ex250719.log", "c.txt", "skip/x.log"}, 1},
		{"include", Options{Include: []string{"u_ex*"}}, []string{"a/b/u_ex250720.log.gz", "a/u_ex250719.log"}, 0},
		{"exclude dir", Options{Exclude: []string{"skip", "*.txt"}}, []string{"a/b/u_ex250720.log.gz", "a/big.log", "a/u_ex250719.log"}, 0},
		{"follow symlinks", Options{FollowSymlinks: true, Include: []string{"u_ex*"}}, []string{"a/b/u_ex250720.log.gz", "a/u_ex250719.log", "link/u_ex250721.log"}, 0},
	} {
		files, problems := Files(context.Background(), []string{dir}, c.opt)
		if got := rel(files); !slices.Equal(got, c.want) || len(problems) != c.problems {
			t.Errorf("%s: Files = %v (%d problems: %v), want %v (%d)", c.name, got, len(problems), problems, c.want, c.problems)
		}
	}
	files, problems := Files(context.Background(), []string{filepath.Join(dir, "missing"), filepath.Join(dir, "c.txt")}, Options{})
	if len(files) != 1 || len(problems) != 1 {
		t.Errorf("Files(missing, c.txt) = %v, %v; want c.txt and one problem", files, problems)
	}
}
