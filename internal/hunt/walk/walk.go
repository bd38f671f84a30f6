// Package walk lists the regular files under a set of roots for the hunt
// engine: directories recursively, symlinks not followed unless asked,
// files over a size limit reported rather than read, unreadable paths
// reported and skipped. It never stops for one bad path.
package walk

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// File is a regular file to hunt in.
type File struct {
	Path string // as reached from the root given
	Size int64
}

// Problem is a path that could not be hunted in, and why.
type Problem struct {
	Path   string
	Reason string
}

// Options filter what Files returns.
type Options struct {
	// MaxSize skips (and reports) files larger than this; 0 means no limit.
	MaxSize int64
	// FollowSymlinks hunts in the targets of symbolic links.
	FollowSymlinks bool
	// Include, when not empty, keeps only files whose base name matches one
	// of these filepath.Match patterns.
	Include []string
	// Exclude drops files and directories whose base name matches.
	Exclude []string
}

// Files returns the regular files under roots in a stable order (each root
// walked in lexical order), and the paths it had to skip.
func Files(ctx context.Context, roots []string, opt Options) ([]File, []Problem) {
	w := &walker{ctx: ctx, opt: opt, seen: map[string]bool{}}
	for _, root := range roots {
		info, err := os.Stat(root) // a root named on the command line is followed
		if err != nil {
			w.problem(root, err.Error())
			continue
		}
		switch {
		case info.IsDir():
			w.dir(root)
		case info.Mode().IsRegular():
			w.add(root, info)
		default:
			w.problem(root, "not a regular file")
		}
	}
	sort.SliceStable(w.problems, func(i, j int) bool { return w.problems[i].Path < w.problems[j].Path })
	return w.files, w.problems
}

type walker struct {
	ctx      context.Context
	opt      Options
	seen     map[string]bool // real paths of directories walked, against symlink loops
	files    []File
	problems []Problem
}

func (w *walker) problem(path, reason string) { w.problems = append(w.problems, Problem{path, reason}) }

// TooLarge is the reason given for files skipped by Options.MaxSize.
const TooLarge = "larger than the size limit"

func (w *walker) add(path string, info fs.FileInfo) {
	if w.opt.MaxSize > 0 && info.Size() > w.opt.MaxSize {
		w.problem(path, TooLarge)
		return
	}
	if !matchAny(w.opt.Include, filepath.Base(path), true) {
		return
	}
	w.files = append(w.files, File{Path: path, Size: info.Size()})
}

func (w *walker) dir(root string) {
	if real, err := filepath.EvalSymlinks(root); err == nil {
		if w.seen[real] {
			return
		}
		w.seen[real] = true
	}
	start := root
	if !strings.HasSuffix(start, string(filepath.Separator)) {
		start += string(filepath.Separator) // so that a symlinked root is entered
	}
	_ = filepath.WalkDir(start, func(path string, d fs.DirEntry, err error) error {
		if w.ctx.Err() != nil {
			return w.ctx.Err()
		}
		if path == start {
			if err != nil {
				w.problem(root, err.Error())
			}
			return err
		}
		if err != nil {
			w.problem(path, err.Error())
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if matchAny(w.opt.Exclude, d.Name(), false) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if !w.opt.FollowSymlinks {
				return nil
			}
			info, err := os.Stat(path)
			switch {
			case err != nil:
				w.problem(path, err.Error())
			case info.IsDir():
				w.dir(path)
			case info.Mode().IsRegular():
				w.add(path, info)
			}
			return nil
		}
		if d.IsDir() {
			if real, err := filepath.EvalSymlinks(path); err == nil {
				w.seen[real] = true
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			w.problem(path, err.Error())
			return nil
		}
		w.add(path, info)
		return nil
	})
}

func matchAny(patterns []string, name string, emptyMeans bool) bool {
	if len(patterns) == 0 {
		return emptyMeans
	}
	for _, p := range patterns {
		if ok, _ := filepath.Match(p, name); ok {
			return true
		}
	}
	return false
}
