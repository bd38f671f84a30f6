package hunt

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/firebreak-ir/firebreak/internal/hunt/logfmt"
	"github.com/firebreak-ir/firebreak/internal/incident"
)

// BenchmarkScanChunk measures one worker on a 4 MiB chunk of IIS log with
// 100k IP and 10k string indicators and the built-in rules, the shape of
// bench/hunt.sh without its I/O.
func BenchmarkScanChunk(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 42))
	var inds []incident.Indicator
	for i := 0; i < 100000; i++ {
		inds = append(inds, incident.Indicator{Type: incident.IndIPv4, Value: fmt.Sprintf("%d.%d.%d.%d", 100+r.IntN(100), r.IntN(256), r.IntN(256), 1+r.IntN(254))})
	}
	tlds := []string{".com", ".net", ".org", ".ru", ".info", ".xyz", ".top", ".io"}
	for i := 0; i < 10000; i++ {
		label := make([]byte, 6+r.IntN(12))
		for j := range label {
			label[j] = "abcdefghijklmnopqrstuvwxyz0123456789"[r.IntN(36)]
		}
		inds = append(inds, incident.Indicator{Type: incident.IndDomain, Value: string(label) + tlds[r.IntN(len(tlds))]})
	}
	e := testEngine(b, Options{Indicators: [][]incident.Indicator{inds}})
	var buf []byte
	paths := []string{"/_layouts/15/start.aspx", "/sites/hr/Pages/Home.aspx", "/_layouts/15/images/spcommon.png", "/_vti_bin/client.svc/ProcessQuery",
		"/sites/sales/Shared%20Documents/Forms/AllItems.aspx", "/_layouts/15/blank.js"}
	for len(buf) < 4<<20 {
		q := "-"
		if r.IntN(4) == 0 {
			q = fmt.Sprintf("List=%%7B%08x-1234-5678-9abc-%012x%%7D&View=%d", r.Uint32(), r.Uint64()&0xffffffffffff, r.IntN(100))
		}
		buf = fmt.Appendf(buf, "2025-07-19 10:11:12 10.10.1.21 GET %s %s 443 NORDWAVE\\user%d 10.%d.%d.%d Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/126.0.0.0+Safari/537.36 https://intranet.nordwave.example/sites/hr/ 200 0 0 %d\r\n",
			paths[r.IntN(len(paths))], q, r.IntN(5000), 20+r.IntN(10), r.IntN(256), r.IntN(256), r.IntN(2000))
	}
	layout, _ := logfmt.ParseFieldsDirective([]byte("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken"))
	c := &chunk{file: "bench.log", buf: buf, line0: 1, format: logfmt.IIS, layout: layout}
	var sc scratch
	b.SetBytes(int64(len(buf)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res := e.scanChunk(c, &sc)
		if res.malformed != 0 {
			b.Fatalf("malformed %d: %v", res.malformed, res.problems)
		}
	}
}
