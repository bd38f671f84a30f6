package status

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Listener serves a Server's snapshot over HTTP/1.1 on a net.Listener,
// without net/http on the hot path: it reads GET and HEAD requests with a
// strict, bounded parser and writes each answer — the same status, headers
// and bytes as Server.ServeHTTP — with one writev of a header block built
// from strings prepared at render time and the pre-rendered body.
//
// Any other request (another method, a path Dynamic claims, a request with
// a body) is handed, with its connection, to a net/http.Server running
// Fallback: the subscription pages live there. Without Fallback such
// requests get 405 (other methods), or are served from the snapshot.
//
// Why not net/http for everything: on the two-core machine this runs on,
// net/http spent 25-43 µs of CPU per request against nginx's 12-15 µs
// (bench/RESULTS.md), most of it in per-request allocation, header maps and
// split writes; the public page must keep up with a crowd of customers
// reloading it during an outage.
type Listener struct {
	Server *Server
	// Fallback serves what the fast path does not (nil: nothing).
	Fallback http.Handler
	// Dynamic reports whether a GET or HEAD path belongs to Fallback.
	Dynamic func(path string) bool
	// Timeouts: for a request's header once its first byte arrived, for
	// an idle keep-alive connection, and for writing a response.
	ReadHeaderTimeout, IdleTimeout, WriteTimeout time.Duration
	// MaxHeaderBytes bounds a request's line and header together.
	MaxHeaderBytes int
	Logger         *slog.Logger

	mu       sync.Mutex
	ln       net.Listener
	conns    map[net.Conn]*connState
	fallback *http.Server
	handoff  *handoffListener
	closing  atomic.Bool
	wg       sync.WaitGroup
}

type connState struct{ busy bool }

// Limits of the fast path's request parser.
const (
	defaultMaxHeaderBytes = 16 << 10
	maxHeaderLines        = 100
)

var errHandoff = errors.New("handed to net/http")

// Serve accepts connections on ln until Shutdown or an accept error.
func (l *Listener) Serve(ln net.Listener) error {
	if l.ReadHeaderTimeout <= 0 {
		l.ReadHeaderTimeout = 5 * time.Second
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = time.Minute
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = 30 * time.Second
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = defaultMaxHeaderBytes
	}
	if l.Logger == nil {
		l.Logger = slog.Default()
	}
	l.mu.Lock()
	if l.closing.Load() {
		l.mu.Unlock()
		ln.Close()
		return http.ErrServerClosed
	}
	l.ln = ln
	l.conns = map[net.Conn]*connState{}
	if l.Fallback != nil {
		l.handoff = newHandoffListener(ln.Addr())
		l.fallback = &http.Server{Handler: l.Fallback, ReadHeaderTimeout: l.ReadHeaderTimeout, ReadTimeout: 10 * time.Second,
			WriteTimeout: l.WriteTimeout, IdleTimeout: l.IdleTimeout, MaxHeaderBytes: l.MaxHeaderBytes}
		go func() { _ = l.fallback.Serve(l.handoff) }()
	}
	l.mu.Unlock()
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if l.closing.Load() {
				return http.ErrServerClosed
			}
			if errors.Is(err, net.ErrClosed) {
				l.stopFallback()
				return err
			}
			// Out of descriptors and the like pass: keep the page up, as
			// net/http does, backing off up to a second.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			l.Logger.Warn("status page: accept failed; retrying", "err", err, "in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		st := &connState{}
		l.mu.Lock()
		if l.closing.Load() {
			l.mu.Unlock()
			c.Close()
			return http.ErrServerClosed
		}
		l.conns[c] = st
		l.wg.Add(1)
		l.mu.Unlock()
		go l.serveConn(c, st)
	}
}

// Shutdown stops accepting, closes idle connections, lets requests under
// way finish (until ctx ends, when the rest are closed), and shuts the
// fallback server down.
func (l *Listener) Shutdown(ctx context.Context) error {
	l.closing.Store(true)
	l.mu.Lock()
	if l.ln != nil {
		l.ln.Close()
	}
	for c, st := range l.conns {
		if !st.busy {
			c.Close()
		}
	}
	fb := l.fallback
	l.mu.Unlock()
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		l.mu.Lock()
		for c := range l.conns {
			c.Close()
		}
		l.mu.Unlock()
		<-done
		err = ctx.Err()
	}
	if fb != nil {
		// Handed-off connections are the fallback's: when ctx has ended,
		// close them rather than leave handlers running.
		if ferr := fb.Shutdown(ctx); ferr != nil {
			fb.Close()
			if err == nil {
				err = ferr
			}
		}
		l.handoff.Close()
	}
	return err
}

func (l *Listener) stopFallback() {
	l.mu.Lock()
	fb := l.fallback
	l.mu.Unlock()
	if fb != nil {
		fb.Close()
		l.handoff.Close()
	}
}

func (l *Listener) setBusy(c net.Conn, st *connState, busy bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	st.busy = busy
	return !l.closing.Load()
}

func (l *Listener) serveConn(c net.Conn, st *connState) {
	handedOff := false
	defer func() {
		l.mu.Lock()
		delete(l.conns, c)
		l.mu.Unlock()
		if !handedOff {
			c.Close()
		}
		l.wg.Done()
	}()
	br := bufio.NewReaderSize(c, 4<<10)
	var req request
	out := make([]byte, 0, 1024)
	for first := true; ; first = false {
		wait := l.IdleTimeout
		if first {
			wait = l.ReadHeaderTimeout
		}
		_ = c.SetReadDeadline(time.Now().Add(wait))
		if _, err := br.Peek(1); err != nil {
			return // closed, idle too long, or shutting down
		}
		if !l.setBusy(c, st, true) {
			return
		}
		if !first {
			// The header's time starts with its first byte.
			_ = c.SetReadDeadline(time.Now().Add(l.ReadHeaderTimeout))
		}
		err := req.read(br, l.MaxHeaderBytes)
		if err == nil && l.Fallback != nil && (!req.getOrHead() || req.hasBody || (l.Dynamic != nil && l.Dynamic(req.path))) {
			err = errHandoff
		}
		if err == nil && req.hasBody {
			// Nothing here takes a body; reading past it is not worth it.
			err = &parseError{http.StatusBadRequest, "request bodies are not accepted here"}
		}
		if errors.Is(err, errHandoff) {
			// net/http reads the request again: the bytes taken so far
			// first, then whatever is buffered and still to come.
			_ = c.SetReadDeadline(time.Time{})
			l.handoff.give(&replayConn{Conn: c, r: io.MultiReader(bytes.NewReader(req.raw), br)})
			handedOff = true
			return
		}
		if err != nil {
			var pe *parseError
			if errors.As(err, &pe) {
				_ = c.SetWriteDeadline(time.Now().Add(l.WriteTimeout))
				if _, err := c.Write(badRequest(pe)); err == nil {
					lingerClose(c)
				}
			}
			return
		}
		keep := req.keepAlive && !l.closing.Load()
		out = l.Server.respond(out[:0], &req, keep)
		_ = c.SetWriteDeadline(time.Now().Add(l.WriteTimeout))
		bufs := net.Buffers{out}
		if body := req.body; len(body) > 0 {
			bufs = append(bufs, body)
		}
		if _, err := bufs.WriteTo(c); err != nil {
			return
		}
		if !keep {
			lingerClose(c)
			return
		}
		if !l.setBusy(c, st, false) {
			return
		}
	}
}

// lingerClose half-closes c and reads what the client still sends for a
// moment, so that unread input (a body, pipelined requests) does not make
// the kernel reset the connection before the client has read the answer.
func lingerClose(c net.Conn) {
	if tc, ok := c.(interface{ CloseWrite() error }); ok {
		_ = tc.CloseWrite()
	}
	_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	_, _ = io.CopyN(io.Discard, c, 256<<10)
}

// request is a parsed request head. It is reused for every request of a
// connection; nothing in it survives the next read.
type request struct {
	raw            []byte // the request line and header as read
	method         string
	path           string
	keepAlive      bool
	hasBody        bool
	gzip           bool
	ifNoneMatch    []string
	acceptEncoding []string
	body           []byte // set by respond: what to write after the header
}

func (r *request) getOrHead() bool { return r.method == http.MethodGet || r.method == http.MethodHead }

type parseError struct {
	status int
	reason string
}

func (e *parseError) Error() string { return e.reason }

func badRequest(pe *parseError) []byte {
	msg := pe.reason + "\n"
	return []byte("HTTP/1.1 " + strconv.Itoa(pe.status) + " " + http.StatusText(pe.status) +
		"\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: " + strconv.Itoa(len(msg)) + "\r\n\r\n" + msg)
}

// read parses one request head from br: the request line, then header
// lines up to an empty one, max bytes in all. Methods are tokens, the
// target an origin-form path (absolute-form is accepted for its path),
// the version HTTP/1.0 or HTTP/1.1; header names are tokens, values
// without control characters; line folding, and Transfer-Encoding other
// than on a request handed off, are refused.
func (r *request) read(br *bufio.Reader, max int) error {
	r.raw = r.raw[:0]
	r.ifNoneMatch, r.acceptEncoding = r.ifNoneMatch[:0], r.acceptEncoding[:0]
	r.hasBody, r.gzip = false, false
	line, err := r.line(br, max)
	for skipped := 0; err == nil && len(line) == 0 && skipped < 4; skipped++ {
		// RFC 9112 §2.2: ignore empty lines before a request line.
		line, err = r.line(br, max)
	}
	if err != nil {
		return err
	}
	sp1 := bytes.IndexByte(line, ' ')
	sp2 := bytes.LastIndexByte(line, ' ')
	if sp1 <= 0 || sp2 <= sp1 {
		return &parseError{http.StatusBadRequest, "malformed request line"}
	}
	method, target, proto := line[:sp1], line[sp1+1:sp2], line[sp2+1:]
	if !isToken(method) {
		return &parseError{http.StatusBadRequest, "malformed method"}
	}
	var http11 bool
	switch string(proto) {
	case "HTTP/1.1":
		http11 = true
	case "HTTP/1.0":
	default:
		return &parseError{http.StatusHTTPVersionNotSupported, "HTTP/1.0 and HTTP/1.1 only"}
	}
	r.method = internMethod(method)
	if err := r.setPath(target); err != nil {
		return err
	}
	r.keepAlive = http11
	var contentLength, chunked bool
	hosts := 0
	for n := 0; ; n++ {
		if n > maxHeaderLines {
			return &parseError{http.StatusRequestHeaderFieldsTooLarge, "too many header lines"}
		}
		line, err := r.line(br, max)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return &parseError{http.StatusBadRequest, "folded header lines are not accepted"}
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !isToken(line[:colon]) {
			return &parseError{http.StatusBadRequest, "malformed header line"}
		}
		name, value := line[:colon], bytes.TrimSpace(line[colon+1:])
		for _, c := range value {
			if c < ' ' && c != '\t' || c == 0x7f {
				return &parseError{http.StatusBadRequest, "control character in a header value"}
			}
		}
		switch {
		case equalFold(name, "host"):
			hosts++
		case equalFold(name, "accept-encoding"):
			r.acceptEncoding = append(r.acceptEncoding, string(value))
		case equalFold(name, "if-none-match"):
			r.ifNoneMatch = append(r.ifNoneMatch, string(value))
		case equalFold(name, "connection"):
			for _, tok := range bytes.Split(value, []byte{','}) {
				tok = bytes.TrimSpace(tok)
				switch {
				case equalFold(tok, "close"):
					r.keepAlive = false
				case equalFold(tok, "keep-alive") && !http11:
					// HTTP/1.0 keep-alive is not offered: closing is always correct.
				}
			}
		case equalFold(name, "content-length"):
			if contentLength {
				return &parseError{http.StatusBadRequest, "more than one Content-Length"}
			}
			contentLength = true
			n, err := strconv.ParseUint(string(value), 10, 63)
			if err != nil {
				return &parseError{http.StatusBadRequest, "malformed Content-Length"}
			}
			if n > 0 {
				r.hasBody = true
			}
		case equalFold(name, "transfer-encoding"):
			chunked = true
			r.hasBody = true
		}
	}
	if contentLength && chunked {
		return &parseError{http.StatusBadRequest, "both Content-Length and Transfer-Encoding"}
	}
	if hosts > 1 || (http11 && hosts == 0) {
		// RFC 9112 §3.2: exactly one Host in HTTP/1.1, never two.
		return &parseError{http.StatusBadRequest, "an HTTP/1.1 request needs exactly one Host header"}
	}
	r.gzip = acceptsGzip(r.acceptEncoding)
	return nil
}

// line reads one CRLF- (or LF-) terminated line into r.raw and returns it
// without its terminator.
func (r *request) line(br *bufio.Reader, max int) ([]byte, error) {
	start := len(r.raw)
	for {
		chunk, err := br.ReadSlice('\n')
		if len(r.raw)+len(chunk) > max {
			return nil, &parseError{http.StatusRequestHeaderFieldsTooLarge, "request header too large"}
		}
		r.raw = append(r.raw, chunk...)
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(r.raw) > 0 && errors.Is(err, io.EOF) {
			return nil, &parseError{http.StatusBadRequest, "request cut short"}
		}
		return nil, err
	}
	line := r.raw[start : len(r.raw)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

func (r *request) setPath(target []byte) error {
	if len(target) > 0 && target[0] != '/' {
		// absolute-form (http://host/path), as sent to proxies
		if !bytes.HasPrefix(target, []byte("http://")) && !bytes.HasPrefix(target, []byte("https://")) {
			return &parseError{http.StatusBadRequest, "malformed request target"}
		}
		rest := target[bytes.Index(target, []byte("://"))+3:]
		i := bytes.IndexByte(rest, '/')
		if i < 0 {
			target = []byte("/")
		} else {
			target = rest[i:]
		}
	}
	if len(target) == 0 {
		return &parseError{http.StatusBadRequest, "empty request target"}
	}
	for _, c := range target { // the query too: it is not ours to forward, but it must be clean
		if c <= ' ' || c == 0x7f {
			return &parseError{http.StatusBadRequest, "malformed request target"}
		}
	}
	if i := bytes.IndexAny(target, "?#"); i >= 0 {
		target = target[:i]
	}
	if bytes.IndexByte(target, '%') < 0 {
		r.path = internPath(target)
		return nil
	}
	p, err := url.PathUnescape(string(target))
	if err != nil {
		return &parseError{http.StatusBadRequest, "malformed escape in the request target"}
	}
	r.path = p
	return nil
}

// internPath avoids a string allocation for the paths of the current
// snapshot (the map lookup with a []byte conversion does not allocate).
func internPath(b []byte) string {
	switch string(b) {
	case "/":
		return "/"
	case "/api/v2/summary.json":
		return "/api/v2/summary.json"
	case "/api/v2/status.json":
		return "/api/v2/status.json"
	}
	return string(b)
}

func internMethod(b []byte) string {
	switch string(b) {
	case "GET":
		return http.MethodGet
	case "HEAD":
		return http.MethodHead
	case "POST":
		return http.MethodPost
	}
	return string(b)
}

func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// The Date header line, made at most once a second.
type dateEntry struct {
	sec  int64
	line []byte
}

var dateCache atomic.Pointer[dateEntry]

func dateLine(now time.Time) []byte {
	s := now.Unix()
	if d := dateCache.Load(); d != nil && d.sec == s {
		return d.line
	}
	d := &dateEntry{sec: s, line: append(append([]byte("Date: "), now.UTC().Format(http.TimeFormat)...), "\r\n"...)}
	dateCache.Store(d)
	return d.line
}

// Fixed header lines of every answer (as in ServeHTTP).
const securityHeaders = "Content-Security-Policy: " + CSP + "\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n" +
	"X-Frame-Options: DENY\r\nCross-Origin-Opener-Policy: same-origin\r\n"

// respond appends the answer's status line and header to out and sets
// req.body to what follows it, with the semantics of ServeHTTP.
func (srv *Server) respond(out []byte, req *request, keep bool) []byte {
	req.body = nil
	status := func(code int) {
		out = append(out, "HTTP/1.1 "...)
		out = strconv.AppendInt(out, int64(code), 10)
		out = append(out, ' ')
		out = append(out, http.StatusText(code)...)
		out = append(out, "\r\n"...)
		out = append(out, securityHeaders...)
		out = append(out, dateLine(time.Now())...)
		if !keep {
			out = append(out, "Connection: close\r\n"...)
		}
	}
	line := func(name, value string) {
		out = append(out, name...)
		out = append(out, ": "...)
		out = append(out, value...)
		out = append(out, "\r\n"...)
	}
	plain := func(code int, msg []byte, extra ...string) []byte {
		status(code)
		for i := 0; i+1 < len(extra); i += 2 {
			line(extra[i], extra[i+1])
		}
		line("Content-Type", "text/plain; charset=utf-8")
		line("Content-Length", strconv.Itoa(len(msg)))
		out = append(out, "\r\n"...)
		if req.method != http.MethodHead {
			req.body = msg
		}
		return out
	}
	if !req.getOrHead() {
		return plain(http.StatusMethodNotAllowed, msgMethod, "Allow", "GET, HEAD")
	}
	snap := srv.cur.Load()
	if snap == nil {
		return plain(http.StatusServiceUnavailable, msgUnavailable, "Cache-Control", "no-store")
	}
	e, ok := snap.byPath[req.path]
	if !ok {
		e = snap.notFound
	}
	body, etag, length, gz := e.Body, e.hdr.etag[0], e.hdr.length[0], false
	if e.Gzip != nil && req.gzip {
		body, etag, length, gz = e.Gzip, e.hdr.gzipETag[0], e.hdr.gzipLength[0], true
	}
	notModified := e.Status == http.StatusOK && noneMatch(req.ifNoneMatch, e)
	if notModified {
		status(http.StatusNotModified)
	} else {
		status(e.Status)
	}
	if e.Gzip != nil {
		line("Vary", "Accept-Encoding")
	}
	if gz && !notModified {
		line("Content-Encoding", "gzip")
	}
	line("Etag", etag)
	line("Cache-Control", e.hdr.cacheControl[0])
	if e.hdr.cors != nil {
		line("Access-Control-Allow-Origin", e.hdr.cors[0])
	}
	if !notModified {
		line("Content-Type", e.hdr.contentType[0])
		line("Content-Length", length)
		if req.method != http.MethodHead {
			req.body = body
		}
	}
	out = append(out, "\r\n"...)
	return out
}

// handoffListener is a net.Listener fed with connections the fast path
// passes on, for the fallback net/http.Server.
type handoffListener struct {
	addr   net.Addr
	ch     chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, ch: make(chan net.Conn), closed: make(chan struct{})}
}

func (h *handoffListener) give(c net.Conn) {
	select {
	case h.ch <- c:
	case <-h.closed:
		c.Close()
	}
}

func (h *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-h.ch:
		return c, nil
	case <-h.closed:
		return nil, net.ErrClosed
	}
}

func (h *handoffListener) Close() error {
	h.once.Do(func() { close(h.closed) })
	return nil
}

func (h *handoffListener) Addr() net.Addr { return h.addr }

// replayConn is a connection whose first bytes come from r (what the fast
// path already read).
type replayConn struct {
	net.Conn
	r io.Reader
}

func (c *replayConn) Read(p []byte) (int, error) { return c.r.Read(p) }
