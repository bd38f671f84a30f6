package logfmt

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

var (
	benchPaths = []string{
		"/", "/_layouts/15/start.aspx", "/_vti_bin/client.svc/ProcessQuery", "/_api/web/lists",
		"/sites/hr/Shared%20Documents/Forms/AllItems.aspx", "/_layouts/15/images/spcommon.png",
		"/_layouts/15/ToolPane.aspx", "/_layouts/15/spinstall0.aspx", "/favicon.ico",
	}
	benchQueries = []string{"-", "-", "-", "DisplayMode=Edit&a=/ToolPane.aspx", "ID=42&Source=%2Fsites%2Fhr", "q=quarterly+report"}
	benchAgents  = []string{
		"Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/126.0.0.0+Safari/537.36+Edg/126.0.0.0",
		"Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64;+rv:120.0)+Gecko/20100101+Firefox/120.0",
		"Microsoft+Office+Word+2014+(16.0.17726)+Windows+NT+10.0", "python-requests/2.32.3", "-",
	}
	benchUsers = []string{"-", "-", "CORP\\alice", "CORP\\bob", "0#.w|corp\\carol"}
)

// genIIS writes about size bytes of an IIS 8.5 log (header and lines).
func genIIS(size int) []byte {
	rng := rand.New(rand.NewPCG(7, 7))
	var b bytes.Buffer
	b.WriteString(iisHeader)
	for b.Len() < size {
		client := fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
		if rng.IntN(10) == 0 {
			client = fmt.Sprintf("2001:db8:%x::%x", rng.IntN(65536), rng.IntN(65536))
		}
		fmt.Fprintf(&b, "2025-07-%02d %02d:%02d:%02d 10.20.0.15 %s %s %s 443 %s %s %s %s %d 0 0 %d\r\n",
			1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60),
			[]string{"GET", "GET", "GET", "POST", "HEAD"}[rng.IntN(5)],
			benchPaths[rng.IntN(len(benchPaths))], benchQueries[rng.IntN(len(benchQueries))],
			benchUsers[rng.IntN(len(benchUsers))], client, benchAgents[rng.IntN(len(benchAgents))],
			[]string{"-", "https://sharepoint.corp.example/", "/_layouts/SignOut.aspx"}[rng.IntN(3)],
			[]int{200, 200, 200, 302, 304, 401, 404, 500}[rng.IntN(8)], rng.IntN(5000))
	}
	return b.Bytes()
}

// genCombined writes n NCSA combined lines.
func genCombined(n int) []byte {
	rng := rand.New(rand.NewPCG(8, 8))
	var b bytes.Buffer
	for range n {
		client := fmt.Sprintf("192.0.%d.%d", rng.IntN(256), 1+rng.IntN(254))
		if rng.IntN(10) == 0 {
			client = fmt.Sprintf("2001:db8:%x::%x", rng.IntN(65536), rng.IntN(65536))
		}
		q := benchQueries[rng.IntN(len(benchQueries))]
		uri := benchPaths[rng.IntN(len(benchPaths))]
		if q != "-" {
			uri += "?" + q
		}
		ua := bytes.ReplaceAll([]byte(benchAgents[rng.IntN(len(benchAgents))]), []byte("+"), []byte(" "))
		fmt.Fprintf(&b, "%s - - [18/Jul/2025:%02d:%02d:%02d +0200] \"%s %s HTTP/1.1\" %d %d \"%s\" \"%s\"\n",
			client, rng.IntN(24), rng.IntN(60), rng.IntN(60), []string{"GET", "GET", "POST"}[rng.IntN(3)], uri,
			[]int{200, 200, 302, 404}[rng.IntN(4)], rng.IntN(100000),
			[]string{"-", "https://portal.example.com/"}[rng.IntN(2)], ua)
	}
	return b.Bytes()
}

// dataLines splits a log into its non-directive lines.
func dataLines(log []byte) (lines [][]byte, total int) {
	for _, l := range bytes.SplitAfter(log, []byte("\n")) {
		if len(l) > 0 && l[0] != '#' {
			lines = append(lines, l)
			total += len(l)
		}
	}
	return lines, total
}

func benchParse(b *testing.B, lines [][]byte, total int, parse func([]byte, *Record) error, getFields bool) {
	var rec Record
	b.SetBytes(int64(total / len(lines)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := parse(lines[i%len(lines)], &rec); err != nil {
			b.Fatal(err)
		}
		if getFields {
			rec.Field(FieldClientIP)
			rec.Field(FieldURIStem)
			rec.Field(FieldUserAgent)
		}
	}
}

func BenchmarkIISParse(b *testing.B) {
	lines, total := dataLines(genIIS(1 << 20))
	parse := DefaultIISLayout().Parse
	b.Run("parse", func(b *testing.B) { benchParse(b, lines, total, parse, false) })
	b.Run("parse+get", func(b *testing.B) { benchParse(b, lines, total, parse, true) })
	b.Run("column", func(b *testing.B) {
		l := DefaultIISLayout()
		col := l.Index("c-ip")
		b.SetBytes(int64(total / len(lines)))
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, ok := l.Column(lines[i%len(lines)], col); !ok {
				b.Fatal("no c-ip")
			}
		}
	})
}

func BenchmarkNCSAParse(b *testing.B) {
	lines, total := dataLines(genCombined(5000))
	b.Run("parse", func(b *testing.B) { benchParse(b, lines, total, ParseNCSA, false) })
	b.Run("parse+get", func(b *testing.B) { benchParse(b, lines, total, ParseNCSA, true) })
}

func BenchmarkJSONParse(b *testing.B) {
	var log bytes.Buffer
	for range 200 {
		log.WriteString(jsonTests[0].line + "\n" + jsonTests[2].line + "\n")
	}
	lines, total := dataLines(log.Bytes())
	parse := func(line []byte, rec *Record) error { return ParseJSON(line, nil, rec) }
	benchParse(b, lines, total, parse, true)
}

func BenchmarkReader(b *testing.B) {
	log := genIIS(16 << 20)
	b.SetBytes(int64(len(log)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(bytes.NewReader(log), Unknown, Options{})
		n := 0
		for {
			_, _, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if c, _ := r.Malformed(); c != 0 || n == 0 {
			b.Fatalf("%d records, %d malformed", n, c)
		}
	}
}

// TestParseAllocs pins the line layer's promise: no allocation per line
// once the Record has grown, decoding included.
func TestParseAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	iisLines, _ := dataLines(genIIS(64 << 10))
	ncsaLines, _ := dataLines(genCombined(200))
	jsonLines := [][]byte{[]byte(jsonTests[0].line), []byte(jsonTests[2].line), []byte(jsonTests[4].line)}
	tests := []struct {
		name  string
		lines [][]byte
		parse func([]byte, *Record) error
	}{
		{"iis", iisLines, DefaultIISLayout().Parse},
		{"ncsa", ncsaLines, ParseNCSA},
		{"json", jsonLines, func(l []byte, r *Record) error { return ParseJSON(l, nil, r) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec Record
			each := func(string, []byte) {}
			run := func() {
				for _, l := range tt.lines {
					if err := tt.parse(l, &rec); err != nil {
						t.Fatalf("Parse(%q) = %v", l, err)
					}
					rec.Each(each)
					rec.Get("cs-user-agent")
					rec.Time()
				}
			}
			run() // grow the record
			if n := testing.AllocsPerRun(20, run); n != 0 {
				t.Errorf("parsing %d lines allocates %.1f times, want 0", len(tt.lines), n)
			}
		})
	}
}
