// Command genlog writes a realistic IIS W3C log of a given size, with a few
// ToolShell attacks among ordinary SharePoint traffic, plus indicator files
// for the hunt benchmark: IP indicators (IPv4, IPv6, CIDR) and string
// indicators (domains, URL paths, file names). Deterministic for a seed.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

func main() {
	size := flag.Int64("size", 1<<30, "log size in bytes")
	dir := flag.String("dir", ".", "output directory")
	ips := flag.Int("ips", 100000, "IP indicators")
	strs := flag.Int("strings", 10000, "string indicators")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	r := rand.New(rand.NewPCG(*seed, 42))
	must(os.MkdirAll(*dir, 0o755))

	// Indicators: mostly IPv4, some IPv6 and CIDR; none of the log's own
	// client pool except the planted attacker.
	iocs := bufio.NewWriter(create(filepath.Join(*dir, "ips.txt")))
	fmt.Fprintln(iocs, "104.238.159.149")
	for i := 1; i < *ips; i++ {
		switch {
		case i%20 == 0:
			fmt.Fprintf(iocs, "2001:db8:%x:%x::%x\n", r.IntN(65536), r.IntN(65536), r.IntN(65536))
		case i%50 == 1:
			fmt.Fprintf(iocs, "%d.%d.%d.0/24\n", 100+r.IntN(100), r.IntN(256), r.IntN(256))
		default:
			fmt.Fprintf(iocs, "%d.%d.%d.%d\n", 100+r.IntN(100), r.IntN(256), r.IntN(256), 1+r.IntN(254))
		}
	}
	must(iocs.Flush())
	tlds := []string{".com", ".net", ".org", ".ru", ".info", ".xyz", ".top", ".io"}
	sw := bufio.NewWriter(create(filepath.Join(*dir, "strings.txt")))
	fmt.Fprintln(sw, "update.updatemicfosoft.com")
	for i := 1; i < *strs; i++ {
		label := make([]byte, 6+r.IntN(12))
		for j := range label {
			label[j] = "abcdefghijklmnopqrstuvwxyz0123456789"[r.IntN(36)]
		}
		switch i % 10 {
		case 0:
			fmt.Fprintf(sw, "/%s/%s.aspx\n", label[:3], label) // URL path
		case 1:
			fmt.Fprintf(sw, "%s.aspx\n", label) // file name
		default:
			fmt.Fprintf(sw, "%s%s\n", label, tlds[r.IntN(len(tlds))])
		}
	}
	must(sw.Flush())

	w := bufio.NewWriterSize(create(filepath.Join(*dir, "u_ex_bench.log")), 1<<20)
	fmt.Fprint(w, "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2025-07-19 00:00:00\r\n")
	fmt.Fprint(w, "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n")
	paths := []string{"/_layouts/15/start.aspx", "/sites/hr/Pages/Home.aspx", "/_layouts/15/images/spcommon.png", "/_vti_bin/client.svc/ProcessQuery",
		"/sites/sales/Shared%20Documents/Forms/AllItems.aspx", "/_layouts/15/blank.js", "/sites/it/Lists/Tickets/AllItems.aspx", "/_api/web/lists"}
	uas := []string{"Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/126.0.0.0+Safari/537.36+Edg/126.0.0.0",
		"Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64;+rv:128.0)+Gecko/20100101+Firefox/128.0", "Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.17726)"}
	var written int64
	sec := 0
	for n := 0; written < *size; n++ {
		sec++
		ts := fmt.Sprintf("2025-07-19 %02d:%02d:%02d", sec/3600%24, sec/60%60, sec%60)
		var line string
		switch {
		case n%500000 == 250000:
			line = fmt.Sprintf("%s 10.10.1.21 POST /_layouts/15/ToolPane.aspx DisplayMode=Edit&a=/ToolPane.aspx 443 - 104.238.159.149 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64;+rv:120.0)+Gecko/20100101+Firefox/120.0 /_layouts/SignOut.aspx 200 0 0 412", ts)
		case n%500000 == 250001:
			line = fmt.Sprintf("%s 10.10.1.21 GET /_layouts/15/spinstall0.aspx - 443 - 203.0.113.%d curl/8.0 - 200 0 0 15", ts, r.IntN(250))
		default:
			q := "-"
			if r.IntN(4) == 0 {
				q = fmt.Sprintf("List=%%7B%08x-1234-5678-9abc-%012x%%7D&View=%d", r.Uint32(), r.Uint64()&0xffffffffffff, r.IntN(100))
			}
			line = fmt.Sprintf("%s 10.10.1.%d GET %s %s 443 NORDWAVE\\user%d 10.%d.%d.%d %s https://intranet.nordwave.example/sites/hr/ 200 0 0 %d",
				ts, 20+r.IntN(4), paths[r.IntN(len(paths))], q, r.IntN(5000), 20+r.IntN(10), r.IntN(256), r.IntN(256), uas[r.IntN(len(uas))], r.IntN(2000))
		}
		k, _ := w.WriteString(line)
		w.WriteString("\r\n")
		written += int64(k + 2)
	}
	must(w.Flush())
}

func create(p string) *os.File {
	f, err := os.Create(p)
	must(err)
	return f
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "genlog:", err)
		os.Exit(1)
	}
}
