package web

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzAPIBodies sends arbitrary bytes as the body of every kind of JSON
// write and arbitrary multipart bodies as evidence uploads. Whatever arrives,
// the answer is a 2xx or a 4xx with the JSON error shape: never a 5xx, never
// a panic.
func FuzzAPIBodies(f *testing.F) {
	seeds := []string{
		`{"text":"x"}`, `{"kind":"note","text":"hello","links":[{"type":"asset","id":1}]}`,
		`{"title":"t","severity":"high","anchors":{"aware_at":{"at":"2025-07-19T07:20:00Z","reason":"r"}}}`,
		`{"indicators":[{"type":"ipv4","value":"107.191.58.76"}]}`,
		`{"findings":[{"key":"k","rule":"r","title":"t","fields":{"c-ip":"1.2.3.4"}}]}`,
		`{"name":"a","depends_on":[{"type":"asset","id":1,"group":"g"}]}`,
		`{"state":"isolated","reason":"r"}`, `[]`, `null`, `{"text":`, "\xff\xfe", `{"text":"x"} {"text":"y"}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	// One fixture for all inputs: building one per input would be slow, and
	// every write is a transaction of its own anyway.
	fx := newFixture(f)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		defer fx.reportTo(t)()
		paths := []struct{ method, path string }{
			{"POST", "/api/v1/incidents"},
			{"PATCH", "/api/v1/incidents/" + fx.A.Ref},
			{"POST", "/api/v1/incidents/" + fx.A.Ref + "/events"},
			{"POST", "/api/v1/incidents/" + fx.A.Ref + "/tasks"},
			{"POST", "/api/v1/incidents/" + fx.A.Ref + "/assets"},
			{"POST", "/api/v1/incidents/" + fx.A.Ref + "/services"},
			{"POST", "/api/v1/incidents/" + fx.A.Ref + "/indicators"},
			{"POST", "/api/v1/incidents/" + fx.A.Ref + "/findings"},
			{"POST", "/api/v1/incidents/" + fx.A.Ref + "/evidence"},
			{"POST", "/api/v1/users"},
			{"POST", "/api/v1/tokens"},
		}
		p := paths[int(route)%len(paths)]
		ct := "application/json"
		if strings.HasSuffix(p.path, "/evidence") {
			ct = "multipart/form-data; boundary=xyz"
		}
		rec := fx.serve(fx.newRequest("admin", p.method, p.path, body, ct))
		if rec.Code >= 500 {
			t.Fatalf("%s %s with %q = %d: %s", p.method, p.path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			var e struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("%s %s = %d with body %q: not the JSON error shape", p.method, p.path, rec.Code, rec.Body)
			}
		}
	})
}
