package status

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startListener serves srv on a loopback port with the fast path; fallback
// may be nil.
func startListener(t *testing.T, srv *Server, fallback http.Handler) (*Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &Listener{Server: srv, Fallback: fallback, ReadHeaderTimeout: 2 * time.Second, IdleTimeout: 2 * time.Second,
		Dynamic: func(p string) bool { return p == "/subscribe" || strings.HasPrefix(p, "/subscribe/") }}
	done := make(chan error, 1)
	go func() { done <- l.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := l.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; err != http.ErrServerClosed {
			t.Errorf("Serve = %v, want ErrServerClosed", err)
		}
	})
	return l, ln.Addr().String()
}

// roundTrip sends raw request bytes on a new connection and reads one
// response.
func roundTrip(t *testing.T, addr, raw string, method string) (*http.Response, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("read the response to %q: %v", raw, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read the body of the response to %q: %v", raw, err)
	}
	return resp, body
}

// TestListenerMatchesServeHTTP: for every path of a snapshot, a missing
// one, both encodings, HEAD, and a matching If-None-Match, the fast path
// answers exactly what ServeHTTP answers (Date aside).
func TestListenerMatchesServeHTTP(t *testing.T) {
	srv := NewServer(mustRender(t, telecomPage()))
	_, addr := startListener(t, srv, nil)
	paths := append(srv.Snapshot().Paths(), "/no/such/page", "/api/v2/summary.json?x=1", "/history%2Ehtml")
	for _, path := range paths {
		e, ok := srv.Snapshot().Lookup(strings.SplitN(path, "?", 2)[0])
		for _, c := range []struct {
			method string
			hdr    []string
		}{
			{"GET", nil},
			{"GET", []string{"Accept-Encoding", "gzip, deflate"}},
			{"HEAD", []string{"Accept-Encoding", "br;q=1, gzip;q=0"}},
			{"GET", []string{"If-None-Match", `W/"nope", ` + etagOf(e, ok)}},
		} {
			want := serve(srv, c.method, path, c.hdr...)
			raw := c.method + " " + path + " HTTP/1.1\r\nHost: status.example.com\r\n"
			for i := 0; i+1 < len(c.hdr); i += 2 {
				raw += c.hdr[i] + ": " + c.hdr[i+1] + "\r\n"
			}
			resp, body := roundTrip(t, addr, raw+"\r\n", c.method)
			if resp.StatusCode != want.Code || string(body) != want.Body.String() {
				t.Errorf("%s %s %v: fast path %d (%d bytes), ServeHTTP %d (%d bytes)", c.method, path, c.hdr, resp.StatusCode, len(body), want.Code, want.Body.Len())
			}
			wantHdr := want.Header().Clone()
			gotHdr := resp.Header.Clone()
			gotHdr.Del("Date")
			if c.method == "HEAD" {
				// HEAD announces the length GET would send.
				get := serve(srv, "GET", path, c.hdr...)
				if cl := gotHdr.Get("Content-Length"); cl != strconv.Itoa(get.Body.Len()) {
					t.Errorf("HEAD %s %v: Content-Length %s, GET sends %d bytes", path, c.hdr, cl, get.Body.Len())
				}
			}
			if c.method == "HEAD" || want.Code == http.StatusNotModified {
				// net/http's recorder leaves these to the server.
				wantHdr.Del("Content-Length")
				gotHdr.Del("Content-Length")
			}
			for k := range wantHdr {
				if !slices.Equal(wantHdr[k], gotHdr[k]) {
					t.Errorf("%s %s %v: %s = %q, ServeHTTP %q", c.method, path, c.hdr, k, gotHdr[k], wantHdr[k])
				}
			}
			for k := range gotHdr {
				if _, ok := wantHdr[k]; !ok {
					t.Errorf("%s %s %v: extra header %s = %q", c.method, path, c.hdr, k, gotHdr[k])
				}
			}
		}
	}
}

func etagOf(e *Entry, ok bool) string {
	if !ok {
		return `"x"`
	}
	return e.ETag
}

// TestListenerKeepAliveAndPipelining: several requests on one connection,
// sent at once, are answered in order; Connection: close ends it.
func TestListenerKeepAliveAndPipelining(t *testing.T) {
	srv := NewServer(mustRender(t, telecomPage()))
	_, addr := startListener(t, srv, nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD /api/v2/status.json HTTP/1.1\r\nHost: a\r\n\r\nGET /api/v2/status.json HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
	br := bufio.NewReader(c)
	for i, m := range []string{"GET", "HEAD", "GET"} {
		resp, err := http.ReadResponse(br, &http.Request{Method: m})
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || (m == "HEAD") != (len(b) == 0) {
			t.Errorf("response %d: %d with %d bytes", i, resp.StatusCode, len(b))
		}
		if i == 2 && !resp.Close {
			t.Error("the last response does not say Connection: close")
		}
	}
	if n, err := br.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Errorf("the connection stays open after Connection: close (%d, %v)", n, err)
	}
}

// TestListenerRejects: malformed or unsupported requests get a clear 4xx
// or 5xx and the connection closes; nothing panics.
func TestListenerRejects(t *testing.T) {
	srv := NewServer(mustRender(t, telecomPage()))
	_, addr := startListener(t, srv, nil)
	big := strings.Repeat("a", 20<<10)
	tests := []struct {
		name, raw string
		want      int
	}{
		{"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
		{"no version", "GET /\r\n\r\n", 400},
		{"space in target", "GET /a b HTTP/1.1\r\n\r\n", 400},
		{"relative target", "GET index.html HTTP/1.1\r\n\r\n", 400},
		{"bad escape", "GET /%zz HTTP/1.1\r\n\r\n", 400},
		{"header without colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", 400},
		{"folded header", "GET / HTTP/1.1\r\nX-A: 1\r\n 2\r\n\r\n", 400},
		{"control character", "GET / HTTP/1.1\r\nX-A: 1\x002\r\n\r\n", 400},
		{"header too large", "GET / HTTP/1.1\r\nX-A: " + big + "\r\n\r\n", 431},
		{"two lengths", "GET / HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n", 400},
		{"body without fallback", "GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 400},
		{"chunked", "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"other method", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 405},
		{"no Host in HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400},
		{"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
		{"control character in the query", "GET /?a\rb HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"NUL in the query", "GET /?\x00 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"empty line first (ignored)", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 200},
		{"HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", 200},
		{"method with a slash", "G/ET / HTTP/1.1\r\n\r\n", 400},
	}
	for _, tt := range tests {
		resp, body := roundTrip(t, addr, tt.raw, "GET")
		if resp.StatusCode != tt.want {
			t.Errorf("%s: %d %q, want %d", tt.name, resp.StatusCode, body, tt.want)
		}
		if resp.StatusCode == 405 && resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: Allow = %q", tt.name, resp.Header.Get("Allow"))
		}
	}
}

// TestListenerHandsOff: other methods, bodies and the dynamic paths reach
// the fallback net/http handler with the request intact, on the same
// connection that first spoke to the fast path.
func TestListenerHandsOff(t *testing.T) {
	srv := NewServer(mustRender(t, telecomPage()))
	var got []string
	fallback := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, r.Method+" "+r.URL.RequestURI()+" "+string(b))
		_, _ = io.WriteString(w, "fallback")
	})
	_, addr := startListener(t, srv, fallback)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	// The fast path first, then a sign-up on the same connection.
	_, _ = io.WriteString(c, "GET /api/v2/status.json HTTP/1.1\r\nHost: a\r\n\r\n")
	resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("fast path: %v %v", resp, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_, _ = io.WriteString(c, "POST /subscribe HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 21\r\n\r\nemail=a%40example.com")
	resp, err = http.ReadResponse(br, &http.Request{Method: "POST"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "fallback" {
		t.Fatalf("POST /subscribe answered %d %q", resp.StatusCode, b)
	}
	// A GET of a dynamic path on a new connection.
	resp2, body := roundTrip(t, addr, "GET /subscribe/confirm?token=abc HTTP/1.1\r\nHost: a\r\n\r\n", "GET")
	if resp2.StatusCode != 200 || string(body) != "fallback" {
		t.Errorf("GET /subscribe/confirm answered %d %q", resp2.StatusCode, body)
	}
	want := []string{"POST /subscribe email=a%40example.com", "GET /subscribe/confirm?token=abc "}
	if !slices.Equal(got, want) {
		t.Errorf("fallback saw %q, want %q", got, want)
	}
}

// TestListenerNoSnapshot answers 503 before the first render.
func TestListenerNoSnapshot(t *testing.T) {
	_, addr := startListener(t, NewServer(nil), nil)
	resp, _ := roundTrip(t, addr, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET")
	if resp.StatusCode != 503 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("before the first render: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
}

// FuzzRequestRead: the fast path's parser never panics, and what it
// accepts has a path starting with "/" and a token method.
func FuzzRequestRead(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\nIf-None-Match: \"x\"\r\n\r\n",
		"HEAD http://a/b?c HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
		"POST /subscribe HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
		"GET /%41 HTTP/1.1\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r request
		br := bufio.NewReaderSize(strings.NewReader(string(b)), 4<<10)
		if err := r.read(br, 1<<10); err != nil {
			return // answered with an error and closed: nothing is replayed
		}
		// What a handoff replays — the bytes read, then the rest — is the
		// input, byte for byte.
		rest, _ := io.ReadAll(br)
		if string(r.raw)+string(rest) != string(b) {
			t.Fatalf("read %q then %q from %q: bytes lost or duplicated", r.raw, rest, b)
		}
		if !strings.HasPrefix(r.path, "/") || !isToken([]byte(r.method)) || len(r.raw) > 1<<10 {
			t.Fatalf("accepted %q: method %q path %q (%d bytes of head)", b, r.method, r.path, len(r.raw))
		}
	})
}

// TestListenerShutdown: idle connections close at once, a connection handed
// to the fallback is closed when the deadline passes, and a slow header is
// cut off after ReadHeaderTimeout.
func TestListenerShutdown(t *testing.T) {
	srv := NewServer(mustRender(t, telecomPage()))
	block := make(chan struct{})
	fallback := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block })
	defer close(block)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &Listener{Server: srv, Fallback: fallback, ReadHeaderTimeout: 300 * time.Millisecond, IdleTimeout: time.Minute}
	done := make(chan error, 1)
	go func() { done <- l.Serve(ln) }()
	addr := ln.Addr().String()

	// A header that never ends is cut off after about ReadHeaderTimeout.
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	start := time.Now()
	_, _ = io.WriteString(slow, "GET / HTTP/1.1\r\nHost: a\r\n")
	_ = slow.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.ReadAll(slow)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a slow header was allowed %s", d)
	}

	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	_, _ = io.WriteString(idle, "GET /api/v2/status.json HTTP/1.1\r\nHost: a\r\n\r\n")
	if _, err := http.ReadResponse(bufio.NewReader(idle), nil); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, _ = io.WriteString(busy, "POST /subscribe HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
	time.Sleep(100 * time.Millisecond) // the fallback handler is now blocked

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := l.Shutdown(ctx); err == nil {
		t.Error("Shutdown with a handler still running = nil, want the context's error")
	}
	if err := <-done; err != http.ErrServerClosed {
		t.Errorf("Serve = %v", err)
	}
	for name, c := range map[string]net.Conn{"idle": idle, "handed-off": busy} {
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := io.ReadAll(c); err != nil {
			t.Errorf("%s connection still open after Shutdown: %v", name, err)
		}
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("the port still accepts after Shutdown")
	}
}
