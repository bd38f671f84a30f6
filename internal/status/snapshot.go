package status

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Content types of the entries.
const (
	typeHTML = "text/html; charset=utf-8"
	typeJSON = "application/json; charset=utf-8"
	typeAtom = "application/atom+xml; charset=utf-8"
	typeRSS  = "application/rss+xml; charset=utf-8"
	typeCSS  = "text/css; charset=utf-8"
	typeJS   = "text/javascript; charset=utf-8"
)

// Cache-Control values. Pages, JSON and feeds are fresh for 30 s and may be
// served stale by a cache or CDN while it revalidates, or for a day when
// the origin is down (the page must outlive the company's infrastructure).
// Content-hashed assets never change.
const (
	CacheShort     = "public, max-age=30, stale-while-revalidate=30, stale-if-error=86400"
	CacheImmutable = "public, max-age=31536000, immutable"
)

// Entry is one rendered resource, ready to be served as is. Entries are
// shared by every request and every holder of the Snapshot: never modify
// one.
type Entry struct {
	// Path is the canonical URL path; File is where Export writes it.
	Path, File   string
	Body         []byte
	Gzip         []byte // nil when compressing does not pay
	ETag         string // strong, quoted; GzipETag for the gzip bytes
	GzipETag     string
	ContentType  string
	CacheControl string
	// Status is 200, or 404 for the not-found page.
	Status int

	// Header values prepared once, so serving allocates nothing.
	hdr respHeaders
}

type respHeaders struct {
	contentType, cacheControl, etag, gzipETag, length, gzipLength, cors []string
}

// Snapshot is an immutable rendering of a Page: every path the public plane
// serves, as bytes. It is safe for concurrent use.
type Snapshot struct {
	// Overall is the top-level status the snapshot shows.
	Overall Overall
	// RenderedAt is Render's now.
	RenderedAt time.Time

	byPath   map[string]*Entry // canonical paths and their aliases
	entries  []*Entry          // canonical entries, sorted by path
	notFound *Entry
}

// Lookup returns the entry served at path (exact match, aliases included).
func (s *Snapshot) Lookup(path string) (*Entry, bool) {
	e, ok := s.byPath[path]
	return e, ok
}

// Paths lists every path served, aliases included, sorted.
func (s *Snapshot) Paths() []string {
	ps := make([]string, 0, len(s.byPath))
	for p := range s.byPath {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return ps
}

// Entries lists the canonical entries (one per file), sorted by path; the
// not-found page is among them at /404.html.
func (s *Snapshot) Entries() []*Entry { return slices.Clone(s.entries) }

// NotFound is the page served for unknown paths.
func (s *Snapshot) NotFound() *Entry { return s.notFound }

// Render validates p and renders everything the public plane serves, once:
//
//	/                      (also /index.html) the status page
//	/history               (also /history.html) past incidents
//	/incidents/{id}        (also /incidents/{id}.html) one page per incident and maintenance
//	/history.atom, /history.rss
//	/api/v2/summary.json, status.json, components.json, incidents.json,
//	  incidents/unresolved.json, scheduled-maintenances.json,
//	  scheduled-maintenances/upcoming.json, scheduled-maintenances/active.json
//	/assets/status.<hash>.css, /assets/status.<hash>.js
//	/404.html              served for every unknown path
//
// now is the render time: it ends the uptime window and fills unset
// timestamps. Render does not modify p.
func Render(p Page, now time.Time) (*Snapshot, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("render status page: %w", err)
	}
	s := newSite(p, now)
	snap := &Snapshot{Overall: s.overall, RenderedAt: s.now, byPath: map[string]*Entry{}}

	css, err := assetFS.ReadFile("assets/status.css")
	if err != nil {
		return nil, fmt.Errorf("read stylesheet: %w", err)
	}
	js, err := assetFS.ReadFile("assets/status.js")
	if err != nil {
		return nil, fmt.Errorf("read script: %w", err)
	}
	cssPath := "assets/status." + shortHash(css) + ".css"
	jsPath := "assets/status." + shortHash(js) + ".js"
	snap.add("/"+cssPath, css, typeCSS, CacheImmutable)
	snap.add("/"+jsPath, js, typeJS, CacheImmutable)

	index, err := s.indexHTML(cssPath, jsPath)
	if err != nil {
		return nil, err
	}
	snap.add("/", index, typeHTML, CacheShort, "/index.html")

	history, err := s.historyHTML(cssPath, jsPath)
	if err != nil {
		return nil, err
	}
	snap.add("/history.html", history, typeHTML, CacheShort, "/history")

	var events []eventView
	for _, in := range s.incidents {
		events = append(events, s.incidentView(in, "../"))
	}
	for _, m := range s.maintenances {
		events = append(events, s.maintenanceView(m, "../"))
	}
	for _, ev := range events {
		b, err := s.eventHTML(ev, cssPath, jsPath)
		if err != nil {
			return nil, err
		}
		snap.add("/incidents/"+ev.ID+".html", b, typeHTML, CacheShort, "/incidents/"+ev.ID)
	}

	atom, err := s.atom()
	if err != nil {
		return nil, err
	}
	snap.add("/history.atom", atom, typeAtom, CacheShort)
	rss, err := s.rss()
	if err != nil {
		return nil, err
	}
	snap.add("/history.rss", rss, typeRSS, CacheShort)

	docs, err := s.apiDocuments()
	if err != nil {
		return nil, err
	}
	for p, b := range docs {
		snap.add(p, b, typeJSON, CacheShort)
	}

	nf, err := s.notFoundHTML()
	if err != nil {
		return nil, err
	}
	snap.notFound = snap.add("/404.html", nf, typeHTML, CacheShort)
	snap.notFound.Status = 404

	slices.SortFunc(snap.entries, func(a, b *Entry) int { return strings.Compare(a.Path, b.Path) })
	return snap, nil
}

// add stores body at path (and its aliases) with precomputed gzip, ETags
// and header values.
func (s *Snapshot) add(p string, body []byte, contentType, cacheControl string, aliases ...string) *Entry {
	e := &Entry{Path: p, File: fileName(p), Body: body, ContentType: contentType, CacheControl: cacheControl, Status: 200}
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:16])
	e.ETag = `"` + tag + `"`
	if gz := gzipBytes(body); len(gz) < len(body) {
		e.Gzip = gz
		e.GzipETag = `"` + tag + `-gzip"`
	}
	e.hdr = respHeaders{
		contentType:  []string{contentType},
		cacheControl: []string{cacheControl},
		etag:         []string{e.ETag},
		length:       []string{strconv.Itoa(len(e.Body))},
	}
	if e.Gzip != nil {
		e.hdr.gzipETag = []string{e.GzipETag}
		e.hdr.gzipLength = []string{strconv.Itoa(len(e.Gzip))}
	}
	if contentType == typeJSON || contentType == typeAtom || contentType == typeRSS {
		// Statuspage's API is readable cross-origin (widgets, dashboards).
		e.hdr.cors = []string{"*"}
	}
	s.entries = append(s.entries, e)
	s.byPath[p] = e
	for _, a := range aliases {
		s.byPath[a] = e
	}
	return e
}

// fileName is where an entry lives in an export: "/" is index.html, every
// other path its own file name.
func fileName(p string) string {
	if p == "/" {
		return "index.html"
	}
	return path.Clean(strings.TrimPrefix(p, "/"))
}

// FileName is the export file (slash-separated, relative) serving path p,
// aliases included, or "" when p is not in the snapshot.
func (s *Snapshot) FileName(p string) string {
	if e, ok := s.byPath[p]; ok {
		return e.File
	}
	return ""
}

func shortHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:5])
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}
