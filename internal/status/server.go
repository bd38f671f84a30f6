package status

import (
	"net/http"
	"strings"
	"sync/atomic"
)

// CSP is the Content-Security-Policy of every response: the pages load only
// their own stylesheet and script, nothing inline, cannot be framed, and
// post forms (the subscription form) only to their own origin.
const CSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// Header values shared by every response. They are assigned into the
// response's header map as prepared slices, so serving allocates nothing
// for them; nothing may modify them.
var (
	hdrCSP       = []string{CSP}
	hdrNosniff   = []string{"nosniff"}
	hdrReferrer  = []string{"no-referrer"}
	hdrFrame     = []string{"DENY"}
	hdrCOOP      = []string{"same-origin"}
	hdrVary      = []string{"Accept-Encoding"}
	hdrGzip      = []string{"gzip"}
	hdrAllow     = []string{"GET, HEAD"}
	hdrTextPlain = []string{"text/plain; charset=utf-8"}
	hdrNoStore   = []string{"no-store"}
)

var (
	msgMethod      = []byte("method not allowed\n")
	msgUnavailable = []byte("the status page has not been published yet\n")
)

// Server serves the current Snapshot. It only looks bytes up: no template
// runs and no database is read per request, so it keeps serving whatever
// happens to the console. Publish a new rendering with Swap.
type Server struct {
	cur atomic.Pointer[Snapshot]
}

// NewServer returns a Server serving s (which may be nil until the first
// Swap: it then answers 503).
func NewServer(s *Snapshot) *Server {
	srv := &Server{}
	srv.cur.Store(s)
	return srv
}

// Swap makes s the snapshot served from now on and returns the previous
// one. Requests under way finish with the snapshot they started with.
func (srv *Server) Swap(s *Snapshot) *Snapshot { return srv.cur.Swap(s) }

// Snapshot returns the snapshot being served.
func (srv *Server) Snapshot() *Snapshot { return srv.cur.Load() }

// ServeHTTP answers GET and HEAD with exact-path lookups in the snapshot:
// 304 when If-None-Match matches, gzip bytes when the client accepts them,
// the not-found page (404) for any other path, 405 for other methods.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Content-Security-Policy"] = hdrCSP
	h["X-Content-Type-Options"] = hdrNosniff
	h["Referrer-Policy"] = hdrReferrer
	h["X-Frame-Options"] = hdrFrame
	h["Cross-Origin-Opener-Policy"] = hdrCOOP

	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h["Allow"] = hdrAllow
		h["Content-Type"] = hdrTextPlain
		w.WriteHeader(http.StatusMethodNotAllowed)
		_, _ = w.Write(msgMethod)
		return
	}
	snap := srv.cur.Load()
	if snap == nil {
		h["Content-Type"] = hdrTextPlain
		h["Cache-Control"] = hdrNoStore
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write(msgUnavailable)
		return
	}
	e, ok := snap.byPath[r.URL.Path]
	if !ok {
		e = snap.notFound
	}

	body, etag, length := e.Body, e.hdr.etag, e.hdr.length
	if e.Gzip != nil {
		h["Vary"] = hdrVary
		if acceptsGzip(r.Header["Accept-Encoding"]) {
			body, etag, length = e.Gzip, e.hdr.gzipETag, e.hdr.gzipLength
			h["Content-Encoding"] = hdrGzip
		}
	}
	h["Etag"] = etag
	h["Cache-Control"] = e.hdr.cacheControl
	if e.hdr.cors != nil {
		h["Access-Control-Allow-Origin"] = e.hdr.cors
	}
	if e.Status == http.StatusOK && noneMatch(r.Header["If-None-Match"], e) {
		delete(h, "Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = e.hdr.contentType
	h["Content-Length"] = length
	w.WriteHeader(e.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// noneMatch reports whether an If-None-Match header matches e (either
// representation's ETag, weak comparison as RFC 9110 §13.1.2 asks, or *).
func noneMatch(values []string, e *Entry) bool {
	for _, v := range values {
		for v != "" {
			var tag string
			tag, v, _ = strings.Cut(v, ",")
			tag = strings.TrimSpace(tag)
			if tag == "*" {
				return true
			}
			tag = strings.TrimPrefix(tag, "W/")
			if tag != "" && (tag == e.ETag || (e.GzipETag != "" && tag == e.GzipETag)) {
				return true
			}
		}
	}
	return false
}

// acceptsGzip reports whether Accept-Encoding allows gzip (listed, or
// covered by *, and not with q=0).
func acceptsGzip(values []string) bool {
	star := false
	for _, v := range values {
		for v != "" {
			var part string
			part, v, _ = strings.Cut(v, ",")
			coding, params, _ := strings.Cut(part, ";")
			coding = strings.TrimSpace(coding)
			isGzip := strings.EqualFold(coding, "gzip") || strings.EqualFold(coding, "x-gzip")
			if !isGzip && coding != "*" {
				continue
			}
			if qZero(params) {
				if isGzip {
					return false
				}
				continue
			}
			if isGzip {
				return true
			}
			star = true
		}
	}
	return star
}

// qZero reports whether parameters carry q=0 (q=0, q=0.0, q=0.000).
func qZero(params string) bool {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		val = strings.TrimSpace(val)
		if val == "" || val[0] != '0' {
			return false
		}
		return strings.Trim(val[1:], ".0") == ""
	}
	return false
}
