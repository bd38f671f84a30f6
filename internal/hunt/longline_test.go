package hunt

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const iisHeader = "#Software: Microsoft Internet Information Services 10.0\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n"

func iisLine(stem, query string) string {
	return "2025-07-19 07:28:11 10.0.0.5 POST " + stem + " " + query + " 443 - 203.0.113.7 Mozilla/5.0 - 200 0 0 31\n"
}

// TestLongLineSkipped: a line over 1 MiB is reported with its number and
// skipped, and the lines after it are hunted with their numbers, whatever
// the chunk size.
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
	for _, gz := range []bool{false, true} {
		for _, chunk := range []int{4 << 20, 300 << 10} {
			e := testEngine(t, Options{Workers: 2, ChunkSize: chunk})
			path := plain
			if gz {
				path = zipped
			}
			var lines []int64
			st, err := e.Logs(context.Background(), []string{path}, nil, func(f Finding) { lines = append(lines, f.Line) })
			if err != nil {
				t.Fatal(err)
			}
			if st.Malformed != 1 || len(st.Problems) != 1 || st.Problems[0].Line != 4 || !strings.Contains(st.Problems[0].Reason, "longer than 1 MiB") {
				t.Errorf("gzip %v chunk %d: malformed %d, problems %v; want the line of 1.5 MiB at line 4", gz, chunk, st.Malformed, st.Problems)
			}
			if len(lines) == 0 || lines[0] != 5 {
				t.Errorf("gzip %v chunk %d: findings on lines %v, want the exploit on line 5", gz, chunk, lines)
			}
		}
	}
}
