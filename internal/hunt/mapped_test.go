package hunt

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/firebreak-ir/firebreak/internal/hunt/logfmt"
)

const iisHeader = "#Software: Microsoft Internet Information Services 10.0\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n"

func iisLine(stem, query string) string {
	return "2025-07-19 07:28:11 10.0.0.5 POST " + stem + " " + query + " 443 - 203.0.113.7 Mozilla/5.0 - 200 0 0 31\n"
}

// TestLongLineSkipped: a line over 1 MiB is reported with its number and
// skipped, and the lines after it are hunted with their numbers, whatever
// the chunk size, whether the file is mapped, read or gunzipped.
func TestLongLineSkipped(t *testing.T) {
	dir := t.TempDir()
	plain, zipped := filepath.Join(dir, "u_ex250719.log"), filepath.Join(dir, "u_ex250720.log.gz")
	body := iisHeader + iisLine("/_layouts/15/start.aspx", "-") +
		iisLine("/_layouts/15/start.aspx", "q="+strings.Repeat("a", maxLine+maxLine/2)) +
		iisLine("/_layouts/15/ToolPane.aspx", "DisplayMode=Edit&a=/ToolPane.aspx") +
		iisLine("/_layouts/15/start.aspx", "-")
	if err := os.WriteFile(plain, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write([]byte(body))
	zw.Close()
	if err := os.WriteFile(zipped, zb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, how := range []string{"mapped", "read", "gzip"} {
		for _, chunk := range []int{4 << 20, 300 << 10} {
			e := testEngine(t, Options{Workers: 2, ChunkSize: chunk})
			e.noMap = how == "read"
			path := plain
			if how == "gzip" {
				path = zipped
			}
			var lines []int64
			st, err := e.Logs(context.Background(), []string{path}, nil, func(f Finding) { lines = append(lines, f.Line) })
			if err != nil {
				t.Fatal(err)
			}
			if st.Malformed != 1 || len(st.Problems) != 1 || st.Problems[0].Line != 4 || !strings.Contains(st.Problems[0].Reason, "longer than 1 MiB") {
				t.Errorf("%s chunk %d: malformed %d, problems %v; want the line of 1.5 MiB at line 4", how, chunk, st.Malformed, st.Problems)
			}
			if len(lines) == 0 || lines[0] != 5 {
				t.Errorf("%s chunk %d: findings on lines %v, want the exploit on line 5", how, chunk, lines)
			}
		}
	}
}

// TestMappedFileShrinks: a mapped file cut short under the scan gives a
// problem, not a crash (the pages past its new end fault).
func TestMappedFileShrinks(t *testing.T) {
	if !canMap {
		t.Skip("log files are read, not mapped, on this system")
	}
	path := filepath.Join(t.TempDir(), "u_ex250719.log")
	var b strings.Builder
	b.WriteString(iisHeader)
	for b.Len() < 256<<10 {
		b.WriteString(iisLine("/_layouts/15/start.aspx", "-"))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := mapWhole(f, int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	m := &mappedFile{data: data}
	defer m.unmap()
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	e := testEngine(t, Options{Workers: 1})
	c := &chunk{file: path, buf: data, line0: 1, format: logfmt.IIS, mapped: m}
	done := make(chan chunkResult)
	go func() {
		debug.SetPanicOnFault(true)
		var sc scratch
		done <- e.scanSafely(c, &sc)
	}()
	res := <-done
	if len(res.problems) != 1 || !strings.Contains(res.problems[0].Reason, "shrank") {
		t.Errorf("scan of a truncated mapped file: problems %v, want one saying it shrank", res.problems)
	}
}

// TestMappedPagesDropped: once a chunk is scanned, the pages wholly inside
// it leave the process's memory (what keeps it bounded on large logs); a
// page it shares with a neighbour stays.
func TestMappedPagesDropped(t *testing.T) {
	if !canMap {
		t.Skip("log files are read, not mapped, on this system")
	}
	page := os.Getpagesize()
	path := filepath.Join(t.TempDir(), "u_ex250719.log")
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), 8*page), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := mapWhole(f, int64(8*page))
	if err != nil {
		t.Fatal(err)
	}
	m := &mappedFile{data: data}
	defer m.unmap()
	sum := 0
	for i := 0; i < len(data); i += page {
		sum += int(data[i]) // fault every page in
	}
	before := mappedRSS(t, data)
	m.done(100, 3*page) // pages 1 and 2 lie wholly inside; 0 and 3 do not
	after := mappedRSS(t, data)
	if before != 8*page/1024 || after != 6*page/1024 {
		t.Errorf("map in memory: %d KiB, then %d KiB after done(100, 3 pages); want %d and %d (sum %d)", before, after, 8*page/1024, 6*page/1024, sum)
	}
}
