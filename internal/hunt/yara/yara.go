//go:build cgo

package yara

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	goyara "github.com/Velocidex/go-yara"
)

// Available reports whether this build has libyara (it needs cgo).
const Available = true

// scanFlags: fast mode (a string the condition only tests for presence is
// not searched for again once found; counts and offsets stay exact) and no
// SIGSEGV/SIGBUS handlers around the scan. libyara installs and restores
// those process-wide around every scan, which races between threads and
// would replace the Go runtime's own; they only matter for memory-mapped
// files, and this package scans buffers it owns.
const scanFlags = goyara.ScanFlags(1 | 4) // SCAN_FLAGS_FAST_MODE | SCAN_FLAGS_NO_TRYCATCH

// slots bounds calls into libyara in flight: libyara allows 32 concurrent
// scans of one rule set (YR_MAX_THREADS) and the binding has 256 callback
// slots in all.
var slots = make(chan struct{}, 32)

func acquire() { slots <- struct{}{} }
func release() { <-slots }

// Rules is a compiled rule set. It is safe for concurrent use.
type Rules struct {
	rules    *goyara.Rules
	count    int
	warnings []*Error
}

// Compile compiles rule sources, keyed by file name (used in errors and as
// the namespace). Every file that does not compile is reported as an *Error
// (joined with errors.Join when there are several; see Problems), and then
// no rules are returned.
func Compile(sources map[string][]byte) (*Rules, error) {
	if len(sources) == 0 {
		return nil, errors.New("compile YARA rules: no rule files")
	}
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	slices.Sort(names)

	acquire()
	defer release()
	c, err := goyara.NewCompiler()
	if err != nil {
		return nil, fmt.Errorf("compile YARA rules: %w", err)
	}
	defer c.Destroy()
	c.DisableIncludes()
	var problems []*Error
	var warnings []*Error
	for _, name := range names {
		src := sources[name]
		if p := checkSource(name, src); p != nil {
			problems = append(problems, p)
			continue
		}
		if len(problems) > 0 {
			// The compiler is unusable after an error; check the rest alone,
			// so every bad file is reported at once.
			problems = append(problems, compileAlone(name, src)...)
			continue
		}
		errs, warns := addSource(c, name, src)
		problems = append(problems, errs...)
		warnings = append(warnings, warns...)
	}
	if len(problems) > 0 {
		return nil, joinErrors(problems)
	}
	rs, err := c.GetRules()
	if err != nil {
		return nil, fmt.Errorf("compile YARA rules: %w", err)
	}
	return &Rules{rules: rs, count: len(rs.GetRules()), warnings: warnings}, nil
}

// checkSource rejects what libyara cannot be handed: too large, or text
// with a NUL byte (it would end the C string early).
func checkSource(name string, src []byte) *Error {
	if len(src) > MaxRuleFileSize {
		return &Error{File: name, Reason: fmt.Sprintf("rule file is %d bytes; the limit is %d", len(src), MaxRuleFileSize)}
	}
	if i := bytes.IndexByte(src, 0); i >= 0 {
		return &Error{File: name, Line: 1 + bytes.Count(src[:i], []byte{'\n'}), Reason: "NUL byte in rule text"}
	}
	return checkArithmetic(name, src)
}

// addSource adds one file to c and returns its errors and warnings.
func addSource(c *goyara.Compiler, name string, src []byte) (errs, warns []*Error) {
	nErr, nWarn := len(c.Errors), len(c.Warnings)
	err := c.AddString(string(src), name)
	for _, m := range c.Warnings[nWarn:] {
		warns = append(warns, &Error{File: name, Line: m.Line, Reason: m.Text})
	}
	for _, m := range c.Errors[nErr:] {
		line := m.Line
		if line == 0 && strings.Contains(m.Text, "end of file") {
			line = lastLine(src) // libyara says line 0 for an unfinished file
		}
		errs = append(errs, &Error{File: name, Line: line, Reason: m.Text})
	}
	if err != nil && len(errs) == 0 {
		errs = append(errs, &Error{File: name, Reason: err.Error()})
	}
	return errs, warns
}

// lastLine returns the number of the last line of src.
func lastLine(src []byte) int {
	n := bytes.Count(src, []byte{'\n'})
	if len(src) > 0 && src[len(src)-1] != '\n' {
		n++
	}
	return max(n, 1)
}

func compileAlone(name string, src []byte) []*Error {
	c, err := goyara.NewCompiler()
	if err != nil {
		return []*Error{{File: name, Reason: err.Error()}}
	}
	defer c.Destroy()
	c.DisableIncludes()
	errs, _ := addSource(c, name, src)
	return errs
}

// Len returns how many rules were compiled (private rules included).
func (r *Rules) Len() int { return r.count }

// Warnings returns what the compiler warned about (e.g. strings that slow
// scanning down). They do not stop a rule from loading.
func (r *Rules) Warnings() []*Error { return slices.Clone(r.warnings) }

// ScanMem scans buf. A timeout of 0 means none; libyara counts whole
// seconds, so a shorter one is rounded up to a second. On a timeout the
// matches found so far are returned with an error that wraps ErrTimeout.
func (r *Rules) ScanMem(buf []byte, timeout time.Duration) ([]Match, error) {
	if timeout > 0 && timeout < time.Second {
		timeout = time.Second
	}
	var cb collector
	acquire()
	err := r.rules.ScanMemWithCallback(buf, scanFlags, timeout, &cb)
	release()
	if err != nil {
		if err.Error() == "scan timeout" {
			return cb.matches, ErrTimeout
		}
		return cb.matches, fmt.Errorf("YARA scan: %w", err)
	}
	return cb.matches, nil
}

// bufPool holds read buffers; ones grown past 4 MiB are not kept.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256<<10); return &b }}

// ScanFile reads the file at path (at most MaxScanFileSize bytes) and scans
// it, as ScanMem.
func (r *Rules) ScanFile(path string, timeout time.Duration) ([]Match, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if fi.Size() > MaxScanFileSize {
		return nil, fmt.Errorf("%s: %d bytes; the limit for YARA scans is %d", path, fi.Size(), MaxScanFileSize)
	}
	bp := bufPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 4<<20 {
			bufPool.Put(bp)
		}
	}()
	buf, err := readAll(f, (*bp)[:0], fi.Size())
	*bp = buf[:0]
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r.ScanMem(buf, timeout)
}

// readAll reads f into buf: the size bytes it had when opened (as a
// memory map would), or fewer if it shrank.
func readAll(f *os.File, buf []byte, size int64) ([]byte, error) {
	if int64(cap(buf)) < size {
		buf = make([]byte, 0, size)
	}
	buf = buf[:size]
	n, err := io.ReadFull(f, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	return buf[:n], err
}

// collector receives matching rules from libyara. It reads only the rule's
// name, namespace, tags and meta: not the matched strings.
type collector struct{ matches []Match }

func (c *collector) RuleMatching(r *goyara.Rule) (bool, error) {
	meta := r.Metas()
	for k, v := range meta {
		if i, ok := v.(int); ok {
			meta[k] = int64(i)
		}
	}
	if len(meta) == 0 {
		meta = nil
	}
	c.matches = append(c.matches, Match{Rule: r.Identifier(), Namespace: r.Namespace(), Tags: r.Tags(), Meta: meta})
	return false, nil
}
