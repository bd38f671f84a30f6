package hunt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/firebreak-ir/firebreak/internal/hunt/logfmt"
	"github.com/firebreak-ir/firebreak/internal/hunt/sigma"
	"github.com/firebreak-ir/firebreak/internal/hunt/walk"
	"github.com/firebreak-ir/firebreak/internal/incident"
)

// maxLine is the longest line the engine reads; longer lines are reported
// as malformed and skipped.
const maxLine = 1 << 20

const errLongLine = "line longer than 1 MiB skipped"

// chunk is a piece of one log file that ends at a line end.
type chunk struct {
	file   string
	buf    []byte
	line0  int64 // number of the chunk's first line
	format logfmt.Format
	layout *logfmt.IISLayout // IIS: the layout in force at the chunk's start
	done   chan chunkResult
	// mapped is the file's memory map when buf lies in it; the map is
	// released after the file's last chunk, which may have no bytes.
	mapped *mappedFile
	off    int // of buf in the map
	last   bool
}

// release gives back the chunk's memory once it is scanned.
func (c *chunk) release() {
	switch {
	case c.mapped == nil:
		putBuf(c.buf)
	case c.last:
		c.mapped.unmap()
	default:
		c.mapped.done(c.off, len(c.buf))
	}
	c.buf = nil
}

type chunkResult struct {
	findings  []Finding
	lines     int64
	malformed int64
	problems  []Problem
}

// Progress receives a hunt's progress, for a progress bar. Plan comes
// first, with the number of files and their total size on disk; Add then
// reports bytes of those files read (compressed bytes for gzip files), and
// FileDone each file finished. Calls come from one goroutine at a time, but
// not always the same one.
type Progress interface {
	Plan(files int, bytes int64)
	Add(bytes int64)
	FileDone()
}

// Logs hunts in log files and directories of them. Findings reach emit in
// file order (as walked) and line order, from one goroutine.
func (e *Engine) Logs(ctx context.Context, paths []string, progress Progress, emit func(Finding)) (Stats, error) {
	var st Stats
	files, skipped := walk.Files(ctx, paths, walk.Options{FollowSymlinks: e.opt.FollowSymlinks})
	for _, p := range skipped {
		st.addProblem(Problem{File: p.Path, Reason: p.Reason})
	}
	if progress != nil {
		var total int64
		for _, f := range files {
			total += f.Size
		}
		progress.Plan(len(files), total)
	}
	if len(files) == 0 && len(skipped) == 0 {
		return st, errNoInput
	}
	jobs := make(chan *chunk, e.opt.Workers)
	ordered := make(chan *chunk, 2*e.opt.Workers) // bounds memory: chunks in flight
	var wg sync.WaitGroup
	for w := 0; w < e.opt.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A mapped file that shrinks under the scan makes the next
			// read of it fault: scanSafely turns that into a problem.
			debug.SetPanicOnFault(true)
			var sc scratch
			for c := range jobs {
				c.done <- e.scanSafely(c, &sc)
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(ordered)
		defer close(jobs)
		for _, f := range files {
			if ctx.Err() != nil {
				readErr <- ctx.Err()
				return
			}
			if err := e.readFile(ctx, f.Path, jobs, ordered, progress); err != nil {
				ordered <- &chunk{file: f.Path, done: resultOf(Problem{File: f.Path, Reason: err.Error()})}
			}
			if progress != nil {
				progress.FileDone()
			}
		}
		readErr <- nil
	}()
	lastFile := ""
	for c := range ordered {
		r := <-c.done
		if c.file != lastFile && c.buf != nil {
			st.Files++
			lastFile = c.file
		}
		st.Bytes += int64(len(c.buf))
		st.Lines += r.lines
		st.Malformed += r.malformed
		for _, p := range r.problems {
			st.addProblem(p)
		}
		for _, f := range r.findings {
			st.Findings++
			emit(f)
		}
		c.release()
	}
	wg.Wait()
	return st, <-readErr
}

func resultOf(ps ...Problem) chan chunkResult {
	ch := make(chan chunkResult, 1)
	ch <- chunkResult{problems: ps}
	return ch
}

func (st *Stats) addProblem(p Problem) {
	if p.Line == 0 {
		st.Unreadable++
	}
	st.note(p)
}

// note records a problem without counting it as unreadable.
func (st *Stats) note(p Problem) {
	if len(st.Problems) < maxProblems {
		st.Problems = append(st.Problems, p)
	}
}

var bufPool sync.Pool

func getBuf(n int) []byte {
	if b, ok := bufPool.Get().(*[]byte); ok && cap(*b) >= n {
		return (*b)[:n]
	}
	return make([]byte, n)
}

func putBuf(b []byte) {
	if b != nil {
		bufPool.Put(&b)
	}
}

// fileChunker cuts one file into chunks and hands them out, keeping what a
// chunk needs from the chunks before it: its first line's number and the
// IIS layout in force.
type fileChunker struct {
	path     string
	format   logfmt.Format
	layout   *logfmt.IISLayout
	line     int64
	detected bool
	jobs     chan<- *chunk
	ordered  chan<- *chunk
}

// detect settles the file's format from its first bytes.
func (fc *fileChunker) detect(buf []byte) error {
	if fc.detected {
		return nil
	}
	fc.detected = true
	if fc.format == logfmt.Unknown {
		fc.format = logfmt.Detect(buf[:min(len(buf), 64<<10)])
		if fc.format == logfmt.Unknown {
			return errors.New("not a log format Firebreak reads (IIS W3C, NCSA common/combined, JSON lines); use --format-in")
		}
	}
	return nil
}

// send hands out buf, which ends at a line end or at the end of the file.
// buf is pooled, or when mapped is not nil lies at off in that map; last
// says it is the file's last chunk.
func (fc *fileChunker) send(ctx context.Context, buf []byte, mapped *mappedFile, off int, last bool) error {
	c := &chunk{file: fc.path, buf: buf, line0: fc.line, format: fc.format, layout: fc.layout, done: make(chan chunkResult, 1),
		mapped: mapped, off: off, last: last}
	fc.line += int64(bytes.Count(buf, []byte{'\n'}))
	if fc.format == logfmt.IIS {
		fc.layout = lastLayout(buf, fc.layout)
	}
	select {
	case fc.ordered <- c:
	case <-ctx.Done():
		c.last = false // the caller still releases the map
		c.release()
		return ctx.Err()
	}
	fc.jobs <- c
	return nil
}

// skipped reports a line longer than maxLine, skipped.
func (fc *fileChunker) skipped() {
	done := make(chan chunkResult, 1)
	done <- chunkResult{malformed: 1, problems: []Problem{{File: fc.path, Line: fc.line, Reason: errLongLine}}}
	fc.ordered <- &chunk{file: fc.path, done: done}
	fc.line++
}

// readFile cuts one file into chunks at line ends and hands them out. A
// plain file is mapped into memory where the system allows (mapFile);
// compressed files and the rest are read.
func (e *Engine) readFile(ctx context.Context, path string, jobs, ordered chan<- *chunk, progress Progress) error {
	fc := &fileChunker{path: path, format: e.opt.Format, line: 1, jobs: jobs, ordered: ordered}
	if mapped, err := e.mapFile(ctx, fc, progress); mapped {
		return err
	}
	rc, err := logfmt.Open(path)
	if err != nil {
		return err
	}
	defer rc.Close()
	var consumed int64 // bytes of the file (not of its gunzipped content) reported
	var carry []byte
	size := e.opt.ChunkSize
	for {
		// The carry (a line's start, or what followed a skipped line) may
		// be longer than a chunk: the buffer always holds it and more.
		buf := getBuf(max(size, 2*len(carry)))
		n := copy(buf, carry)
		m, err := io.ReadFull(rc, buf[n:])
		n += m
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !eof {
			putBuf(buf)
			return fmt.Errorf("read: %w", err)
		}
		buf = buf[:n]
		if progress != nil {
			c := rc.Consumed()
			progress.Add(c - consumed)
			consumed = c
		}
		if n == 0 {
			putBuf(buf)
			return nil
		}
		if err := fc.detect(buf); err != nil {
			putBuf(buf)
			return err
		}
		cut := len(buf)
		carry = carry[:0]
		if !eof {
			i := bytes.LastIndexByte(buf, '\n')
			if i < 0 {
				if len(buf) >= maxLine {
					putBuf(buf)
					// One enormous line: skip to its end, report it.
					fc.skipped()
					rest, err := skipLine(rc)
					carry = append(carry[:0], rest...)
					if err != nil && len(carry) == 0 {
						return nil
					}
					continue
				}
				size = 2 * len(buf) // a line longer than the chunk: read more
				carry = append(carry[:0], buf...)
				putBuf(buf)
				continue
			}
			cut = i + 1
			carry = append(carry, buf[cut:]...)
			size = e.opt.ChunkSize
		}
		if err := fc.send(ctx, buf[:cut], nil, 0, false); err != nil {
			return err
		}
		if eof {
			return nil
		}
	}
}

// skipLine reads past the end of the current line and returns what it
// read after it.
func skipLine(r io.Reader) ([]byte, error) {
	b := make([]byte, 64<<10)
	for {
		n, err := r.Read(b)
		if i := bytes.IndexByte(b[:n], '\n'); i >= 0 {
			return b[i+1 : n], nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// lastLayout returns the layout of the last #Fields directive in buf, or cur.
// Directives are rare: a forward search for the rare '#' is fastest.
func lastLayout(buf []byte, cur *logfmt.IISLayout) *logfmt.IISLayout {
	directive := []byte("#Fields:")
	last := -1
	for off := 0; ; {
		i := bytes.Index(buf[off:], directive)
		if i < 0 {
			break
		}
		i += off
		if i == 0 || buf[i-1] == '\n' {
			last = i
		}
		off = i + len(directive)
	}
	if last < 0 {
		return cur
	}
	end := bytes.IndexByte(buf[last:], '\n')
	if end < 0 {
		end = len(buf) - last
	}
	if l, err := logfmt.ParseFieldsDirective(buf[last : last+end]); err == nil {
		return l
	}
	return cur
}

// scratch is per-worker memory reused across chunks.
type scratch struct {
	hits [][2]int
	rec  logfmt.Record
	seen map[[2]int32]bool
}

// scanChunk finds everything in one chunk.
func (e *Engine) scanChunk(c *chunk, sc *scratch) chunkResult {
	var res chunkResult
	buf := c.buf
	idx, err := e.literals(escapingOf(c.format), buf)
	if err != nil {
		res.problem(c.file, 0, err.Error())
		return res
	}
	layout := c.layout
	if c.format == logfmt.IIS && layout == nil {
		// No #Fields yet: guess IIS 8.5 or 7 from the first line, as the reader does.
		first := buf
		if i := bytes.IndexByte(first, '\n'); i >= 0 {
			first = first[:i]
		}
		if layout = logfmt.DefaultIISLayoutFor(trimCR(first)); layout == nil {
			layout = logfmt.DefaultIISLayout()
		}
	}
	cip, nf := -1, 0
	if layout != nil {
		cip, nf = layout.Index("c-ip"), len(layout.Fields())
	}
	lineNo := c.line0
	hits, h, blockEnd := sc.hits[:0], 0, 0
	for pos := 0; pos < len(buf); lineNo++ {
		if pos >= blockEnd {
			// The literal scan runs a block ahead of the lines, so that
			// the lines are read again while the block is in cache.
			blockEnd = blockAfter(buf, pos)
			hits, h = idx.lits.Sorted(buf[pos:blockEnd], hits[:0]), 0
			for i := range hits {
				hits[i][0] += pos
			}
			sc.hits = hits
		}
		end := bytes.IndexByte(buf[pos:], '\n')
		if end < 0 {
			end = len(buf)
		} else {
			end += pos
		}
		line := trimCR(buf[pos:end])
		start := pos
		pos = end + 1
		res.lines++
		// Literal hits on this line.
		h0 := h
		for h < len(hits) && hits[h][0] < end {
			h++
		}
		lineHits := hits[h0:h]
		if len(line) == 0 {
			continue
		}
		if len(line) > maxLine {
			res.malformed++
			res.problem(c.file, lineNo, errLongLine)
			continue
		}
		if c.format == logfmt.IIS && line[0] == '#' {
			if bytes.HasPrefix(line, []byte("#Fields:")) {
				if l, err := logfmt.ParseFieldsDirective(line); err == nil {
					layout, cip, nf = l, l.Index("c-ip"), len(l.Fields())
				} else {
					res.malformed++
					res.problem(c.file, lineNo, "bad #Fields directive: "+err.Error())
				}
			}
			continue
		}
		if reason := quickCheck(c.format, nf, line); reason != "" {
			res.malformed++
			res.problem(c.file, lineNo, reason)
			continue
		}
		var ipHit string
		if e.ips.Len() > 0 {
			var addr []byte
			switch c.format {
			case logfmt.IIS:
				if cip >= 0 {
					addr, _ = layout.Column(line, cip)
				}
			case logfmt.NCSACommon, logfmt.NCSACombined:
				if i := bytes.IndexByte(line, ' '); i > 0 {
					addr = line[:i]
				}
			}
			if addr != nil {
				ipHit, _ = e.ips.Lookup(addr)
			}
		}
		jsonNeedsParse := c.format == logfmt.JSONLines && e.ips.Len() > 0
		if ipHit == "" && len(lineHits) == 0 && len(idx.slow) == 0 && !jsonNeedsParse {
			continue
		}
		rec := &sc.rec
		rec.Reset()
		if err := parseLine(c.format, layout, e.opt.JSONMapping, line, rec); err != nil {
			res.malformed++
			res.problem(c.file, lineNo, err.Error())
			continue
		}
		if jsonNeedsParse && ipHit == "" {
			if v, ok := rec.Get("c-ip"); ok {
				ipHit, _ = e.ips.Lookup(v)
			}
		}
		e.evaluate(idx, c.file, lineNo, line, start, lineHits, ipHit, rec, sc, &res)
	}
	sc.rec.Reset() // nothing keeps pointing into the chunk once it is released
	return res
}

// escapingOf returns how a log format escapes field values in its lines.
func escapingOf(f logfmt.Format) sigma.Escaping {
	if f == logfmt.JSONLines {
		return sigma.EscapeAny
	}
	return sigma.EscapeLine
}

// scanBlock is how much of a chunk the literal scan covers at once: small
// enough that the lines, read next, are still in the core's cache.
const scanBlock = 128 << 10

// blockAfter returns the end of the block that starts at pos: at a line end
// about scanBlock bytes on, or the end of buf.
func blockAfter(buf []byte, pos int) int {
	end := pos + scanBlock
	if end >= len(buf) {
		return len(buf)
	}
	if i := bytes.LastIndexByte(buf[pos:end], '\n'); i >= 0 {
		return pos + i + 1
	}
	if i := bytes.IndexByte(buf[end:], '\n'); i >= 0 {
		return end + i + 1
	}
	return len(buf)
}

func (r *chunkResult) problem(file string, line int64, reason string) {
	if len(r.problems) < maxProblems {
		r.problems = append(r.problems, Problem{File: file, Line: line, Reason: reason})
	}
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

// quickCheck rejects lines of the wrong shape without parsing them.
func quickCheck(f logfmt.Format, fields int, line []byte) string {
	switch f {
	case logfmt.IIS:
		if want := fields - 1; bytes.Count(line, []byte{' '}) != want {
			return fmt.Sprintf("has %d fields, the #Fields directive says %d", bytes.Count(line, []byte{' '})+1, want+1)
		}
	case logfmt.JSONLines:
		if line[0] != '{' {
			return "not a JSON object"
		}
	}
	return ""
}

func parseLine(f logfmt.Format, layout *logfmt.IISLayout, m logfmt.JSONMapping, line []byte, rec *logfmt.Record) error {
	switch f {
	case logfmt.IIS:
		return layout.Parse(line, rec)
	case logfmt.NCSACommon, logfmt.NCSACombined:
		return logfmt.ParseNCSA(line, rec)
	case logfmt.JSONLines:
		return logfmt.ParseJSON(line, m, rec)
	}
	return fmt.Errorf("unknown format %v", f)
}

// event adapts a parsed record to what Sigma rules read.
type event struct{ rec *logfmt.Record }

func (ev event) Field(name string) ([]byte, bool) { return ev.rec.Get(name) }
func (ev event) Raw() []byte                      { return ev.rec.Line() }

// evaluate turns the hits on one line into findings.
func (e *Engine) evaluate(idx *literalIndex, file string, lineNo int64, line []byte, lineStart int, hits [][2]int, ipHit string,
	rec *logfmt.Record, sc *scratch, res *chunkResult) {
	var out []Finding
	add := func(rule, title, sev, indicator string) {
		f := Finding{File: file, Line: lineNo, Rule: rule, Title: title, Severity: sev, Indicator: indicator, Raw: string(line)}
		if t, ok := rec.Time(); ok {
			f.Time = &t
		}
		f.Fields = map[string]string{}
		rec.Each(func(name string, v []byte) { f.Fields[name] = string(v) })
		out = append(out, f)
	}
	if ipHit != "" {
		add("ioc", "Request from a known-bad address", string(incident.SeverityHigh), ipHit)
	}
	if sc.seen == nil {
		sc.seen = map[[2]int32]bool{}
	}
	clear(sc.seen)
	rulesDone := map[int32]bool{}
	for _, hit := range hits {
		start := hit[0] - lineStart
		for _, o := range idx.owners[hit[1]] {
			if o.indicator >= 0 {
				ind := e.strInds[o.indicator]
				if sc.seen[[2]int32{o.indicator, -1}] || !bounded(line, start, start+len(idx.lits.Pattern(hit[1])), ind.Type) {
					continue
				}
				sc.seen[[2]int32{o.indicator, -1}] = true
				add("ioc", "Indicator seen: "+string(ind.Type), severityOf(ind), ind.Value)
				continue
			}
			if rulesDone[o.rule] {
				continue
			}
			rulesDone[o.rule] = true
			if r := e.rules[o.rule]; r.Match(event{rec}) {
				add(r.ID, r.Title, r.Severity.String(), "")
			}
		}
	}
	for _, ri := range idx.slow {
		if r := e.rules[ri]; r.Match(event{rec}) {
			add(r.ID, r.Title, r.Severity.String(), "")
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		if a.Rule != b.Rule {
			if a.Rule < b.Rule {
				return -1
			}
			return 1
		}
		if a.Indicator < b.Indicator {
			return -1
		}
		if a.Indicator > b.Indicator {
			return 1
		}
		return 0
	})
	res.findings = append(res.findings, out...)
}

func severityOf(ind incident.Indicator) string {
	switch {
	case ind.Confidence >= 80:
		return string(incident.SeverityHigh)
	case ind.Confidence > 0 && ind.Confidence < 30:
		return string(incident.SeverityLow)
	}
	return string(incident.SeverityMedium)
}

// bounded reports whether line[start:end] is a whole token rather than part
// of a longer name: "evil.com" must not match in "notevil.com".
func bounded(line []byte, start, end int, t incident.IndicatorType) bool {
	word := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
	}
	switch t {
	case incident.IndURLPath, incident.IndURL, incident.IndUserAgent:
		return true // paths and URLs are specific enough; a user agent is a whole field anyway
	}
	if start > 0 {
		p := line[start-1]
		if word(p) || (t == incident.IndDomain || t == incident.IndEmail) && p == '.' {
			return false
		}
	}
	if end < len(line) && word(line[end]) {
		return false
	}
	if t == incident.IndDomain && end+1 < len(line) && line[end] == '.' && word(line[end+1]) {
		return false // evil.com in evil.com.au
	}
	return true
}
