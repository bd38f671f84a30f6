// Command gentree writes a file tree for the file-tree hunt benchmark
// (bench/tree.sh): web-server-like files (.aspx, .js, .css and .dll-like
// binaries) of 1 to 64 KiB, with copies of the synthetic web shell samples
// planted among them. The tree is the same for the same seed.
//
// Usage: gentree -dir DIR [-files 50000] [-plant SAMPLEDIR] [-copies 3] [-seed 1]
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	dir := flag.String("dir", "", "directory to create (must not exist, or be empty)")
	files := flag.Int("files", 50000, "number of generated files")
	plant := flag.String("plant", "", "directory of samples to plant copies of")
	copies := flag.Int("copies", 3, "copies of each sample to plant")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "gentree: -dir is required")
		os.Exit(2)
	}
	if err := run(*dir, *files, *plant, *copies, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gentree:", err)
		os.Exit(1)
	}
}

const perDir = 100

func run(dir string, n int, plant string, copies int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	pools := map[string][]byte{
		".aspx": textPool(rng, aspxChunks),
		".js":   textPool(rng, jsChunks),
		".css":  textPool(rng, cssChunks),
		".dll":  binPool(rng),
	}
	exts := []string{".aspx", ".aspx", ".aspx", ".js", ".js", ".js", ".css", ".css", ".dll", ".dll"}
	var dirs []string
	var total int64
	for i := 0; i < n; i++ {
		if i%perDir == 0 {
			d := filepath.Join(dir, fmt.Sprintf("site%02d", i/(perDir*50)), "_layouts", "15", fmt.Sprintf("app%03d", (i/perDir)%50))
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
			dirs = append(dirs, d)
		}
		ext := exts[rng.IntN(len(exts))]
		size := 1024 + rng.IntN(63*1024+1)
		pool := pools[ext]
		off := rng.IntN(len(pool) - size)
		var b []byte
		switch ext {
		case ".aspx":
			b = append([]byte(aspxHeader), pool[off:off+size-len(aspxHeader)]...)
		case ".dll":
			b = append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), pool[off+16:off+size]...)
		default:
			b = pool[off : off+size]
		}
		name := filepath.Join(dirs[len(dirs)-1], fmt.Sprintf("f%06d%s", i, ext))
		if err := os.WriteFile(name, b, 0o644); err != nil {
			return err
		}
		total += int64(len(b))
	}
	planted := 0
	if plant != "" {
		samples, err := os.ReadDir(plant)
		if err != nil {
			return err
		}
		manifest, err := os.Create(filepath.Join(filepath.Dir(filepath.Clean(dir)), filepath.Base(dir)+".planted"))
		if err != nil {
			return err
		}
		w := bufio.NewWriter(manifest)
		for _, s := range samples {
			if !s.Type().IsRegular() {
				continue
			}
			b, err := os.ReadFile(filepath.Join(plant, s.Name()))
			if err != nil {
				return err
			}
			for c := 0; c < copies; c++ {
				p := filepath.Join(dirs[rng.IntN(len(dirs))], s.Name())
				if _, err := os.Stat(p); err == nil {
					continue
				}
				if err := os.WriteFile(p, b, 0o644); err != nil {
					return err
				}
				fmt.Fprintln(w, p)
				planted++
				total += int64(len(b))
			}
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if err := manifest.Close(); err != nil {
			return err
		}
	}
	fmt.Printf("gentree: %d files (%d planted), %d bytes in %s\n", n+planted, planted, total, dir)
	return nil
}

const aspxHeader = `<%@ Assembly Name="Microsoft.SharePoint, Version=16.0.0.0, Culture=neutral, PublicKeyToken=71e9bce111e9429c" %>
<%@ Page Language="C#" Inherits="Microsoft.SharePoint.WebControls.LayoutsPageBase" DynamicMasterPageFile="~masterurl/default.master" %>
<%@ Import Namespace="Microsoft.SharePoint" %>
`

var aspxChunks = []string{
	`<asp:Content ID="Main" ContentPlaceHolderID="PlaceHolderMain" runat="server">`,
	`<SharePoint:FormDigest runat="server" />`,
	`<asp:Literal ID="Title%d" runat="server" />`,
	`<script runat="server">protected override void OnLoad(EventArgs e) { base.OnLoad(e); string s = Request.QueryString["Source%d"]; }</script>`,
	`<div class="ms-core-pageTitle" id="title%d">%s</div>`,
	`<SharePoint:EncodedLiteral runat="server" text="<%%$Resources:wss,settings_%d%%>" EncodeMethod="HtmlEncode"/>`,
	`<table class="ms-propertysheet"><tr><td class="ms-descriptiontext">%s</td></tr></table>`,
	`<%%= SPHttpUtility.HtmlEncode(SPContext.Current.Web.Title) %%>`,
	`</asp:Content>`,
	`<!-- %s -->`,
}

var jsChunks = []string{
	`function f%d(a, b) { return a + b * %d; }`,
	`var x%d = document.getElementById("ctl00_%s");`,
	`SP.SOD.executeFunc("sp.js", "SP.ClientContext", function () { var ctx = SP.ClientContext.get_current(); });`,
	`/* %s */`,
	`if (typeof(_spBodyOnLoadFunctionNames) != "undefined") { _spBodyOnLoadFunctionNames.push("init%d"); }`,
	`xhr.open("GET", "/_api/web/lists?$top=%d", true);`,
	`window["%s"] = { id: %d, name: "%s" };`,
}

var cssChunks = []string{
	`.ms-core-%s { margin: %dpx; padding: 0 %dpx; }`,
	`#s4-%s .ms-list-itemLink { color: #%06x; }`,
	`@media (max-width: %dpx) { .ms-%s { display: none; } }`,
	`/* %s */`,
	`.ms-%s:hover { background-color: rgba(%d, %d, %d, 0.5); }`,
}

var words = strings.Fields(`site list library document folder item view field content type workflow
permission group user settings navigation quick launch ribbon page layout master gallery web part
search result query refinement managed metadata term store column calendar task announcement`)

// textPool builds 8 MiB of text from chunks with random words and numbers.
func textPool(rng *rand.Rand, chunks []string) []byte {
	var b bytes.Buffer
	for b.Len() < 8<<20 {
		c := chunks[rng.IntN(len(chunks))]
		var args []any
		for i := 0; i < len(c); i++ {
			if c[i] != '%' {
				continue
			}
			j := i + 1
			for j < len(c) && !(c[j] >= 'a' && c[j] <= 'z' || c[j] == '%') {
				j++
			}
			switch {
			case j >= len(c) || c[j] == '%':
			case c[j] == 's':
				args = append(args, words[rng.IntN(len(words))]+" "+words[rng.IntN(len(words))])
			default:
				args = append(args, rng.IntN(100000))
			}
			i = j
		}
		fmt.Fprintf(&b, c, args...)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func binPool(rng *rand.Rand) []byte {
	b := make([]byte, 8<<20)
	for i := 0; i < len(b); i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	// Some structure, as in real binaries: runs of zeros and strings.
	for i := 0; i+4096 < len(b); i += 4096 + rng.IntN(4096) {
		clear(b[i : i+512])
		copy(b[i+512:], "System.Web.UI.Page\x00Microsoft.SharePoint.WebControls\x00GetType\x00Invoke\x00")
	}
	return b
}
