package logfmt

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
)

// File is an opened log file: its content (gunzipped when it is gzip) and
// how many bytes of the file itself have been read so far.
type File interface {
	io.ReadCloser
	// Consumed is the number of bytes read from the file on disk; for a
	// gzip file it lags the content's bytes, for a plain file it runs up to
	// one buffer ahead of them.
	Consumed() int64
}

// counter counts the bytes read through it.
type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Open opens a log file for reading. When its content starts with the gzip
// magic number (whatever the file's name), the returned reader gunzips it,
// concatenated gzip members included. Closing it closes the file.
func Open(path string) (File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	cnt := &counter{r: f}
	br := bufio.NewReaderSize(cnt, 64<<10)
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		f.Close()
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("gunzip %s: %w", path, err)
		}
		return &gzipFile{Reader: zr, f: f, cnt: cnt}, nil
	}
	return &plainFile{Reader: br, f: f, cnt: cnt}, nil
}

type plainFile struct {
	*bufio.Reader
	f   *os.File
	cnt *counter
}

func (p *plainFile) Close() error    { return p.f.Close() }
func (p *plainFile) Consumed() int64 { return p.cnt.n }

type gzipFile struct {
	*gzip.Reader
	f   *os.File
	cnt *counter
}

func (g *gzipFile) Consumed() int64 { return g.cnt.n }

func (g *gzipFile) Close() error {
	err := g.Reader.Close()
	if cerr := g.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Options configures a Reader.
type Options struct {
	// JSONMapping names the fields of JSON lines; nil means
	// DefaultJSONMapping.
	JSONMapping JSONMapping
	// IISLayout is the layout of IIS data lines that come before any
	// #Fields directive. When nil, such lines are parsed with the IIS 8.5+
	// or IIS 7 default layout, chosen by their column count.
	IISLayout *IISLayout
	// MaxLineBytes is the longest line accepted (without its line
	// terminator); longer lines are reported as malformed and skipped.
	// Zero means DefaultMaxLineBytes; values above 1 GiB mean 1 GiB.
	MaxLineBytes int
}

const (
	// DefaultMaxLineBytes is the default Options.MaxLineBytes: 1 MiB.
	DefaultMaxLineBytes = 1 << 20
	// MaxMalformedKept is how many malformed-line errors a Reader keeps.
	MaxMalformedKept = 100
	// detectBytes is how much a Reader reads to detect the format.
	detectBytes = 64 << 10
	// maxMaxLineBytes bounds Options.MaxLineBytes.
	maxMaxLineBytes = 1 << 30
)

// Reader reads the records of a log stream line by line. It is for simple
// use and tests; the hunt engine parses candidate lines with the line
// parsers directly.
type Reader struct {
	src    io.Reader
	opts   Options
	format Format

	buf      []byte
	r, w     int // unread data is buf[r:w]
	scanned  int // buf[r:scanned] has no '\n'
	maxBuf   int
	readErr  error // sticky: io.EOF or the source's error
	started  bool
	skipping bool // discarding the rest of an over-long line

	line      int64
	rec       Record
	layout    *IISLayout
	malformed int64
	first     []LineError
}

// NewReader returns a Reader for logs of the given format read from r.
// With Unknown it detects the format from the first 64 KiB.
func NewReader(r io.Reader, format Format, opts Options) *Reader {
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	opts.MaxLineBytes = min(opts.MaxLineBytes, maxMaxLineBytes)
	return &Reader{
		src:    r,
		opts:   opts,
		format: format,
		maxBuf: max(detectBytes, opts.MaxLineBytes+2),
		layout: opts.IISLayout,
	}
}

// Format returns the format being read: the one given to NewReader, or,
// once Next has been called, the one detected (possibly Unknown, in which
// case every non-empty line is malformed).
func (r *Reader) Format() Format { return r.format }

// Lines returns how many physical lines have been read so far.
func (r *Reader) Lines() int64 { return r.line }

// Malformed returns how many lines were malformed so far and the errors of
// the first MaxMalformedKept of them, in line order.
func (r *Reader) Malformed() (count int64, first []LineError) {
	return r.malformed, r.first
}

// Next returns the next record and its 1-based physical line number. The
// record is owned by the Reader and valid until the next call. Empty lines
// are skipped; IIS directive lines are consumed (a #Fields directive sets
// the layout of the lines after it); malformed lines, including lines
// longer than Options.MaxLineBytes, are counted (see Malformed) and
// skipped. At the end of the input Next returns io.EOF; if reading the
// source failed (an I/O error, a corrupt gzip stream), it returns that
// error, after the lines read before it. It returns no other error.
func (r *Reader) Next() (*Record, int64, error) {
	if !r.started {
		r.start()
	}
	for {
		line, tooLong, ok := r.readLine()
		if !ok {
			if r.readErr == io.EOF {
				return nil, 0, io.EOF
			}
			return nil, 0, fmt.Errorf("read log after line %d: %w", r.line, r.readErr)
		}
		r.line++
		if tooLong {
			r.addMalformed("line longer than " + strconv.Itoa(r.opts.MaxLineBytes) + " bytes")
			continue
		}
		if r.line == 1 {
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		line = trimEOL(line)
		if len(skipSpace(line)) == 0 {
			continue
		}
		var err error
		switch r.format {
		case IIS:
			if line[0] == '#' {
				r.directive(line)
				continue
			}
			layout := r.layout
			if layout == nil {
				if layout = DefaultIISLayoutFor(line); layout == nil {
					err = lineErr("no #Fields directive, and " + strconv.Itoa(bytes.Count(line, []byte{' '})+1) +
						" fields match no default IIS layout")
					break
				}
			}
			err = layout.Parse(line, &r.rec)
		case NCSACommon, NCSACombined:
			err = ParseNCSA(line, &r.rec)
		case JSONLines:
			err = ParseJSON(line, r.opts.JSONMapping, &r.rec)
		default:
			err = lineErr("log format not recognised")
		}
		if err != nil {
			var le *LineError
			if errors.As(err, &le) {
				r.addMalformed(le.Reason)
			} else {
				r.addMalformed(err.Error())
			}
			continue
		}
		return &r.rec, r.line, nil
	}
}

// directive handles an IIS "#..." line.
func (r *Reader) directive(line []byte) {
	if !hasPrefixFold(line, "#Fields:") {
		return // #Software, #Version, #Date, #Remark, comments
	}
	if r.layout != nil && sameDirective(r.layout, line) {
		return // IIS repeats the header at every restart
	}
	l, err := ParseFieldsDirective(line)
	if err != nil {
		r.addMalformed(err.Error())
		return
	}
	r.layout = l
}

// sameDirective reports whether line declares exactly layout's columns.
func sameDirective(l *IISLayout, line []byte) bool {
	rest := line[len("#Fields:"):]
	for _, name := range l.written {
		rest = skipSpace(rest)
		if !bytes.HasPrefix(rest, []byte(name)) {
			return false
		}
		rest = rest[len(name):]
		if len(rest) > 0 && rest[0] != ' ' && rest[0] != '\t' {
			return false
		}
	}
	return len(skipSpace(rest)) == 0
}

func (r *Reader) addMalformed(reason string) {
	r.malformed++
	if len(r.first) < MaxMalformedKept {
		r.first = append(r.first, LineError{Line: r.line, Reason: reason})
	}
}

// start allocates the buffer and, for Unknown, detects the format.
func (r *Reader) start() {
	r.started = true
	r.buf = make([]byte, 4<<10) // grown as needed, up to maxBuf
	if r.format != Unknown {
		return
	}
	for r.w < detectBytes && r.readErr == nil {
		r.fill()
	}
	r.format = Detect(r.buf[:min(r.w, detectBytes)])
}

// readLine returns the next line including its '\n' (the last line may
// lack one). tooLong reports a line longer than MaxLineBytes, whose bytes
// are discarded; ok is false at the end of the input.
func (r *Reader) readLine() (line []byte, tooLong, ok bool) {
	for {
		if i := bytes.IndexByte(r.buf[r.scanned:r.w], '\n'); i >= 0 {
			end := r.scanned + i + 1
			line = r.buf[r.r:end]
			r.r, r.scanned = end, end
			if r.skipping {
				r.skipping = false
				return nil, true, true
			}
			if contentLen(line) > r.opts.MaxLineBytes {
				return nil, true, true
			}
			return line, false, true
		}
		r.scanned = r.w
		if r.readErr != nil {
			if r.skipping {
				r.skipping = false
				r.r, r.scanned = r.w, r.w
				return nil, true, true
			}
			if r.r < r.w {
				line = r.buf[r.r:r.w]
				r.r = r.w
				if contentLen(line) > r.opts.MaxLineBytes {
					return nil, true, true
				}
				return line, false, true
			}
			return nil, false, false
		}
		if r.skipping || r.w-r.r > r.opts.MaxLineBytes+1 {
			// Too long already: drop what we have and skip to the next '\n'.
			r.skipping = true
			r.r, r.w, r.scanned = 0, 0, 0
		}
		r.fill()
	}
}

// contentLen is the length of line without its terminator, "\n" or
// "\r\n" — the measure of MaxLineBytes. (One CR only: a line is judged
// too long before its end is read once it holds MaxLineBytes+2 bytes, so
// more CRs cannot count as terminator without making that depend on how
// the input arrives.)
func contentLen(line []byte) int {
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
	}
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	return n
}

// fill reads more input into the buffer, compacting or growing it first
// when it is full.
func (r *Reader) fill() {
	if r.w == len(r.buf) {
		if r.r > 0 {
			n := copy(r.buf, r.buf[r.r:r.w])
			r.scanned -= r.r
			r.w, r.r = n, 0
		} else if len(r.buf) < r.maxBuf {
			nb := make([]byte, min(2*len(r.buf), r.maxBuf))
			copy(nb, r.buf[:r.w])
			r.buf = nb
		}
	}
	for tries := 0; tries < 100; tries++ {
		n, err := r.src.Read(r.buf[r.w:])
		if n < 0 || n > len(r.buf)-r.w {
			r.readErr = errors.New("source reader returned an invalid count")
			return
		}
		r.w += n
		if err != nil {
			r.readErr = err
			return
		}
		if n > 0 {
			return
		}
	}
	r.readErr = io.ErrNoProgress
}
