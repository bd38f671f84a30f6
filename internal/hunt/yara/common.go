package yara

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// MaxRuleFileSize bounds one rule source.
const MaxRuleFileSize = 4 << 20

// MaxScanFileSize bounds the files ScanFile reads.
const MaxScanFileSize = 256 << 20

// ErrTimeout is returned when a scan runs out of time.
var ErrTimeout = errors.New("YARA scan timed out")

// ErrUnavailable is returned by Compile in a build without cgo.
var ErrUnavailable = errors.New("YARA rules need a build with cgo (CGO_ENABLED=1 and gcc)")

// Error is a rule file that was rejected: the file, the line (0 when the
// problem is not at a line) and the reason.
type Error struct {
	File   string
	Line   int
	Reason string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Reason
	}
	return e.File + ": " + e.Reason
}

// Problems returns the *Error values in an error from Compile, ReadSources
// or LoadPath (one, or several joined).
func Problems(err error) []*Error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*Error
		for _, x := range j.Unwrap() {
			out = append(out, Problems(x)...)
		}
		return out
	}
	var e *Error
	if errors.As(err, &e) {
		return []*Error{e}
	}
	return nil
}

func joinErrors(errs []*Error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e
	}
	return errors.Join(all...)
}

// Match is a rule that matched.
type Match struct {
	Rule      string         `json:"rule"`
	Namespace string         `json:"namespace"` // the rule's source file name
	Tags      []string       `json:"tags,omitempty"`
	Meta      map[string]any `json:"meta,omitempty"` // string, int64 or bool values
}

// MetaString returns the string meta value key, or "".
func (m Match) MetaString(key string) string {
	s, _ := m.Meta[key].(string)
	return s
}

// Title is what a finding for the match is called: the rule's description
// meta, or its name.
func (m Match) Title() string {
	if d := strings.TrimSpace(m.MetaString("description")); d != "" {
		return d
	}
	return m.Rule
}

// Severity is the rule's severity meta when it is one of low, medium, high
// or critical (any case), else "high": a YARA match on a server's files
// deserves a look.
func (m Match) Severity() string {
	switch s := strings.ToLower(strings.TrimSpace(m.MetaString("severity"))); s {
	case "low", "medium", "high", "critical":
		return s
	}
	return "high"
}

// IsRuleFile reports whether a file name has a YARA rule extension (.yar or
// .yara, any case).
func IsRuleFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yar" || ext == ".yara"
}

// ReadSources reads the rule file at path (when it is named .yar or .yara),
// or every .yar and .yara file under the directory path (recursively,
// skipping directories whose names start with '.'), keyed by path. Any
// other file, or a directory with no rule files, gives an empty map, so
// callers can hand it every --rules path, Sigma ones included.
// Files too large or unreadable are reported as *Error values (joined; see
// Problems); err is then non-nil and the sources that were read are still
// returned.
func ReadSources(path string) (map[string][]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read YARA rules: %w", err)
	}
	out := map[string][]byte{}
	var problems []*Error
	read := func(p string) {
		b, err := readRuleFile(p)
		if err != nil {
			problems = append(problems, &Error{File: p, Reason: err.Error()})
			return
		}
		out[p] = b
	}
	if !fi.IsDir() {
		if IsRuleFile(path) {
			read(path)
		}
		return out, joinErrors(problems)
	}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, werr error) error {
		if werr != nil {
			if p == path {
				return werr
			}
			problems = append(problems, &Error{File: p, Reason: werr.Error()})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != path && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if IsRuleFile(p) && d.Type().IsRegular() {
			read(p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read YARA rules from %s: %w", path, err)
	}
	return out, joinErrors(problems)
}

func readRuleFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxRuleFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxRuleFileSize {
		return nil, fmt.Errorf("rule file is larger than the limit of %d bytes", MaxRuleFileSize)
	}
	return b, nil
}

// LoadPath compiles the rule file at path, or every rule file under the
// directory path (see ReadSources).
func LoadPath(path string) (*Rules, error) {
	src, err := ReadSources(path)
	if err != nil {
		return nil, err
	}
	if len(src) == 0 {
		return nil, &Error{File: path, Reason: "no .yar or .yara files"}
	}
	return Compile(src)
}
