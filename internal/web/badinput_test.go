package web

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// Small limits, so that oversized input is cheap to send.
const (
	testMaxBody     = 4096
	testMaxEvidence = 1024
)

func smallLimits(o *Options) {
	o.MaxBody = testMaxBody
	o.MaxEvidence = testMaxEvidence
}

// expand replaces {A}, {B} and {kind}/{kindB} placeholders (task, asset,
// service, finding, evidence, event) with the fixture's values.
func (f *fixture) expand(s string) string {
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	return strings.NewReplacer(
		"{A}", f.A.Ref, "{B}", f.B.Ref,
		"{task}", id(f.A.Task), "{taskB}", id(f.B.Task),
		"{asset}", id(f.A.Asset), "{assetB}", id(f.B.Asset),
		"{service}", id(f.A.Service), "{serviceB}", id(f.B.Service),
		"{finding}", id(f.A.Finding), "{findingB}", id(f.B.Finding),
		"{evidence}", id(f.A.Evidence), "{evidenceB}", id(f.B.Evidence),
		"{event}", id(f.A.Event), "{eventB}", id(f.B.Event),
		"{target}", id(f.target.ID),
	).Replace(s)
}

// TestBadInput sends malformed, mistyped, oversized and invalid requests
// and checks each is refused with the right status, a stable code and a
// message naming the problem, and that nothing at all was written.
func TestBadInput(t *testing.T) {
	const (
		events   = "/api/v1/incidents/{A}/events"
		evidence = "/api/v1/incidents/{A}/evidence"
		findings = "/api/v1/incidents/{A}/findings"
		json     = "application/json"
	)
	upload := func(name string, size int, extra ...string) func() ([]byte, string) {
		return func() ([]byte, string) {
			var desc string
			if len(extra) > 0 {
				desc = extra[0]
			}
			return multipartBody(name, bytes.Repeat([]byte("x"), size), desc)
		}
	}
	raw := func(body, ct string) func() ([]byte, string) {
		return func() ([]byte, string) { return []byte(body), ct }
	}
	big := strings.Repeat("a", testMaxBody)

	tests := []struct {
		name         string
		method, path string
		body         func() ([]byte, string)
		status       int
		code         string
		msg          string // the message must contain this
	}{
		// Malformed JSON.
		{"JSON ends early", "POST", events, raw(`{"text": "x"`, json), 400, "malformed_json", "JSON ends early"},
		{"JSON syntax error", "POST", events, raw(`{"text" "x"}`, json), 400, "malformed_json", "malformed JSON at byte 9"},
		{"not JSON", "POST", events, raw(`text=hello`, json), 400, "malformed_json", "malformed JSON at byte 2"},
		{"empty body", "POST", events, raw(``, json), 400, "malformed_json", "body is empty"},
		{"blank body", "POST", events, raw(" \n\t", json), 400, "malformed_json", "body is empty"},
		{"empty body without Content-Type", "POST", "/api/v1/incidents", raw(``, ""), 400, "malformed_json", "body is empty"},
		{"trailing JSON value", "POST", events, raw(`{"text":"x"} {"text":"y"}`, json), 400, "malformed_json", "unexpected data after the JSON value"},
		{"trailing garbage", "POST", events, raw(`{"text":"x"}garbage`, json), 400, "malformed_json", "unexpected data after the JSON value"},
		{"null body", "POST", events, raw(`null`, json), 422, "invalid", "text: is required"},

		// Wrong types.
		{"number for string", "POST", events, raw(`{"text": 5}`, json), 400, "wrong_type", "field text must be string, not a JSON number"},
		{"array for object", "POST", events, raw(`[]`, json), 400, "wrong_type", "(top level)"},
		{"string for bool", "PATCH", "/api/v1/incidents/{A}/assets/{asset}", raw(`{"internet_facing": "yes"}`, json), 400, "wrong_type", "internet_facing must be bool"},
		{"string for integer in a batch", "POST", findings, raw(`{"findings":[{"key":"k","rule":"r","title":"t","line":"ten"}]}`, json), 400, "wrong_type", "findings.line must be int64"},
		{"object for list", "POST", "/api/v1/incidents/{A}/indicators", raw(`{"indicators":{"type":"ipv4"}}`, json), 400, "wrong_type", "field indicators must be"},
		{"bad time", "POST", "/api/v1/incidents/{A}/tasks", raw(`{"title":"x","due":"tomorrow"}`, json), 400, "malformed_json", "tomorrow"},
		{"negative id in link", "POST", events, raw(`{"text":"x","links":[{"type":"asset","id":-1}]}`, json), 422, "invalid", "links[0].id"},

		// Unknown fields.
		{"unknown field", "POST", events, raw(`{"text":"x","txt":"y"}`, json), 400, "unknown_field", `unknown field "txt"`},
		{"unknown field in a batch item", "POST", findings, raw(`{"findings":[{"key":"k","rule":"r","title":"t","severty":"high"}]}`, json), 400, "unknown_field", `unknown field "severty"`},
		{"server-set field", "POST", events, raw(`{"text":"x","actor":"someone else"}`, json), 400, "unknown_field", `unknown field "actor"`},
		{"password hash is not settable", "PATCH", "/api/v1/users/{target}", raw(`{"password_hash":"$argon2id$x"}`, json), 400, "unknown_field", `unknown field "password_hash"`},
		{"PasswordHash is not settable", "PATCH", "/api/v1/users/{target}", raw(`{"PasswordHash":"$argon2id$x"}`, json), 400, "unknown_field", `unknown field "PasswordHash"`},

		// Size.
		{"oversized body", "POST", events, raw(`{"text":"`+big+`"}`, json), 413, "too_large", fmt.Sprintf("larger than %d bytes", testMaxBody)},
		{"oversized text", "PATCH", "/api/v1/incidents/{A}", raw(`{"title":"`+strings.Repeat("t", 201)+`"}`, json), 422, "invalid", "title: is 201 bytes long, the limit is 200"},

		// Invalid values.
		{"event kind", "POST", events, raw(`{"text":"x","kind":"gossip"}`, json), 422, "invalid", `kind: "gossip" is not one of`},
		{"event visibility", "POST", events, raw(`{"text":"x","visibility":"everyone"}`, json), 422, "invalid", `visibility: "everyone" is not one of`},
		{"incident severity", "POST", "/api/v1/incidents", raw(`{"title":"x","severity":"urgent"}`, json), 422, "invalid", `severity: "urgent" is not one of`},
		{"incident phase", "PATCH", "/api/v1/incidents/{A}", raw(`{"phase":"over"}`, json), 422, "invalid", `phase: "over" is not one of`},
		{"incident tlp", "PATCH", "/api/v1/incidents/{A}", raw(`{"tlp":"purple"}`, json), 422, "invalid", `tlp: "purple" is not one of`},
		{"unknown anchor", "PATCH", "/api/v1/incidents/{A}", raw(`{"anchors":{"noticed_at":{"at":"2026-01-01T00:00:00Z","reason":"x"}}}`, json), 422, "invalid", `"noticed_at" is not one of`},
		{"anchor without reason", "PATCH", "/api/v1/incidents/{A}", raw(`{"anchors":{"aware_at":{"at":"2026-01-01T00:00:00Z"}}}`, json), 422, "invalid", "anchors.aware_at.reason: is required"},
		{"task state", "POST", "/api/v1/incidents/{A}/tasks", raw(`{"title":"x","state":"later"}`, json), 422, "invalid", `state: "later" is not one of`},
		{"task state in a patch", "PATCH", "/api/v1/incidents/{A}/tasks/{task}", raw(`{"state":"later"}`, json), 422, "invalid", `state: "later" is not one of`},
		{"asset kind", "POST", "/api/v1/incidents/{A}/assets", raw(`{"name":"x","kind":"toaster"}`, json), 422, "invalid", `kind: "toaster" is not one of`},
		{"duplicate asset", "POST", "/api/v1/incidents/{A}/assets", raw(`{"name":"web-01"}`, json), 409, "conflict", `asset "web-01": already exists`},
		{"compromise change without reason", "PATCH", "/api/v1/incidents/{A}/assets/{asset}", raw(`{"compromise":"compromised"}`, json), 422, "invalid", "reason: is required"},
		{"operational state", "POST", "/api/v1/incidents/{A}/assets/{asset}/operational", raw(`{"state":"melted","reason":"x"}`, json), 422, "invalid", `state: "melted" is not one of`},
		{"operational without reason", "POST", "/api/v1/incidents/{A}/assets/{asset}/operational", raw(`{"state":"isolated"}`, json), 422, "invalid", "reason: is required"},
		{"operational no change", "POST", "/api/v1/incidents/{A}/assets/{asset}/operational", raw(`{"state":"online","reason":"x"}`, json), 422, "invalid", "is already online"},
		{"service status", "POST", "/api/v1/incidents/{A}/services", raw(`{"name":"x","status":"on_fire"}`, json), 422, "invalid", `status: "on_fire" is not one of`},
		{"dependency on another incident's asset", "POST", "/api/v1/incidents/{A}/services", raw(`{"name":"x","depends_on":[{"type":"asset","id":{assetB}}]}`, json), 422, "invalid", "depends_on[0]: there is no asset {assetB} in this incident"},
		{"indicator type", "POST", "/api/v1/incidents/{A}/indicators", raw(`{"indicators":[{"type":"ssn","value":"x"}]}`, json), 422, "invalid", `indicators[0].type: "ssn" is not one of`},
		{"indicator batch, item 2 bad", "POST", "/api/v1/incidents/{A}/indicators", raw(`{"indicators":[{"type":"ipv4","value":"192.0.2.1"},{"type":"ipv4","value":"999.1.1.1"}]}`, json), 422, "invalid", `indicators[1].value: "999.1.1.1" is not an IP address`},
		{"indicator confidence", "POST", "/api/v1/incidents/{A}/indicators", raw(`{"indicators":[{"type":"domain","value":"evil.example","confidence":101}]}`, json), 422, "invalid", "confidence: 101 is outside 0..100"},
		{"no indicators", "POST", "/api/v1/incidents/{A}/indicators", raw(`{"indicators":[]}`, json), 422, "invalid", "indicators: at least one is required"},
		{"finding batch, item 2 bad", "POST", findings, raw(`{"findings":[{"key":"k1","rule":"r","title":"t"},{"key":"k2","rule":"r","title":"t","severity":"urgent"},{"key":"k3","rule":"r","title":"t"}]}`, json), 422, "invalid", `findings[1].severity: "urgent" is not one of`},
		{"finding without rule", "POST", findings, raw(`{"findings":[{"key":"k1","title":"t"}]}`, json), 422, "invalid", "findings[0].rule: is required"},
		{"no findings", "POST", findings, raw(`{"findings":[]}`, json), 422, "invalid", "findings: at least one is required"},
		{"triage state", "POST", "/api/v1/incidents/{A}/findings/{finding}/triage", raw(`{"state":"maybe","reason":"x"}`, json), 422, "invalid", `state: "maybe" is not one of`},
		{"correcting another incident's event", "POST", events, raw(`{"text":"x","corrects":{eventB}}`, json), 422, "invalid", "corrects: event {eventB} is not on this incident's timeline"},
		{"custody without action", "POST", "/api/v1/incidents/{A}/evidence/{evidence}/custody", raw(`{"note":"x"}`, json), 422, "invalid", "action: is required"},
		{"token without name", "POST", "/api/v1/tokens", raw(`{}`, json), 422, "invalid", "name: is required"},
		{"user role", "POST", "/api/v1/users", raw(`{"name":"x","role":"root","password":"a long enough password"}`, json), 422, "invalid", `role: "root" is not one of`},
		{"short password", "POST", "/api/v1/users", raw(`{"name":"x","role":"viewer","password":"short"}`, json), 422, "invalid", "password: password is 5 characters long, at least 12"},
		{"guest without expiry", "POST", "/api/v1/users", raw(`{"name":"x","role":"guest","password":"a long enough password"}`, json), 422, "invalid", "expires_at: is required for guests"},
		{"duplicate user", "POST", "/api/v1/users", raw(`{"name":"u-viewer","role":"viewer","password":"a long enough password"}`, json), 409, "conflict", `user "u-viewer": already exists`},
		{"bad user name", "POST", "/api/v1/users", raw(`{"name":"../x","role":"viewer","password":"a long enough password"}`, json), 422, "invalid", "name: must be"},

		// Content type.
		{"text/plain body", "POST", events, raw(`{"text":"x"}`, "text/plain"), 415, "unsupported_media_type", `not "text/plain"`},
		{"form body", "POST", events, raw(`text=x`, "application/x-www-form-urlencoded"), 415, "unsupported_media_type", `not "application/x-www-form-urlencoded"`},
		{"JSON evidence", "POST", evidence, raw(`{"name":"x"}`, json), 400, "bad_upload", "multipart/form-data"},

		// Evidence uploads.
		{"evidence name traverses", "POST", evidence, upload("../../etc/passwd", 10), 422, "invalid", `name: "../../etc/passwd" contains ".."`},
		{"evidence name is a path", "POST", evidence, upload("a/b.txt", 10), 422, "invalid", `name: "a/b.txt" contains a path separator`},
		{"evidence name is a drive path", "POST", evidence, upload("c:evil.txt", 10), 422, "invalid", "contains a path separator"},
		{"evidence name is dots", "POST", evidence, upload("..", 10), 422, "invalid", `contains ".."`},
		{"evidence name hides its type", "POST", evidence, upload("invoice\u202etxt.exe", 10), 422, "invalid", "control or formatting character"},
		{"evidence without a name", "POST", evidence, upload("", 10), 422, "invalid", "name: is required"},
		{"evidence over the limit", "POST", evidence, upload("big.bin", testMaxEvidence+1), 413, "too_large", "larger than the limit"},
		{"evidence far over the limit", "POST", evidence, upload("big.bin", testMaxEvidence+128<<10), 413, "too_large", "larger than the limit"},
		{"evidence in too many parts", "POST", evidence, func() ([]byte, string) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			for range 4 {
				mw.WriteField("description", strings.Repeat("d", 60<<10))
			}
			mw.Close()
			return buf.Bytes(), mw.FormDataContentType()
		}, 413, "too_large", "upload is larger than the limit"},
		{"evidence description too long", "POST", evidence, upload("a.txt", 10, strings.Repeat("d", incident.MaxText+1)), 422, "invalid", "description: is longer than"},
		{"evidence without a file", "POST", evidence, func() ([]byte, string) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			mw.WriteField("description", "no file")
			mw.Close()
			return buf.Bytes(), mw.FormDataContentType()
		}, 400, "bad_upload", "no 'file' part"},
		{"evidence with an unknown field", "POST", evidence, func() ([]byte, string) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			mw.WriteField("comment", "x")
			mw.Close()
			return buf.Bytes(), mw.FormDataContentType()
		}, 400, "bad_upload", `unknown form field "comment"`},
		{"evidence truncated", "POST", evidence, func() ([]byte, string) {
			b, ct := multipartBody("a.txt", []byte("hello"), "")
			return b[:len(b)-10], ct
		}, 400, "bad_upload", "malformed multipart body"},

		// Items of another incident, and ids that are no ids.
		{"task of another incident", "PATCH", "/api/v1/incidents/{A}/tasks/{taskB}", raw(`{"state":"done"}`, json), 404, "not_found", "task {taskB} of {A}: not found"},
		{"asset of another incident", "PATCH", "/api/v1/incidents/{A}/assets/{assetB}", raw(`{"notes":"x"}`, json), 404, "not_found", "asset {assetB}: not found"},
		{"isolating another incident's asset", "POST", "/api/v1/incidents/{A}/assets/{assetB}/operational", raw(`{"state":"isolated","reason":"x"}`, json), 404, "not_found", "asset {assetB}: not found"},
		{"service of another incident", "PATCH", "/api/v1/incidents/{A}/services/{serviceB}", raw(`{"description":"x"}`, json), 404, "not_found", "service {serviceB}: not found"},
		{"finding of another incident", "POST", "/api/v1/incidents/{A}/findings/{findingB}/triage", raw(`{"state":"dismissed","reason":"x"}`, json), 404, "not_found", "finding {findingB}: not found"},
		{"evidence of another incident", "GET", "/api/v1/incidents/{A}/evidence/{evidenceB}/content", nil, 404, "not_found", "evidence {evidenceB}: not found"},
		{"custody of another incident's evidence", "POST", "/api/v1/incidents/{A}/evidence/{evidenceB}/custody", raw(`{"action":"x"}`, json), 404, "not_found", "evidence {evidenceB}: not found"},
		{"id is not a number", "PATCH", "/api/v1/incidents/{A}/tasks/abc", raw(`{"state":"done"}`, json), 404, "not_found", `no item "abc"`},
		{"id is zero", "GET", "/api/v1/incidents/{A}/evidence/0", nil, 404, "not_found", `no item "0"`},
		{"no such incident", "POST", "/api/v1/incidents/INC-1999-0001/events", raw(`{"text":"x"}`, json), 404, "not_found", "incident INC-1999-0001: not found"},
		{"no such user", "PATCH", "/api/v1/users/99999", raw(`{"disabled":true}`, json), 404, "not_found", "not found"},
		{"no such route", "GET", "/api/v1/nothing", nil, 404, "not_found", "no such page: /api/v1/nothing"},

		// Query parameters.
		{"limit zero", "GET", events + "?limit=0", nil, 400, "bad_parameter", `limit="0": want an integer from 1 to 1000`},
		{"limit not a number", "GET", events + "?limit=ten", nil, 400, "bad_parameter", `limit="ten"`},
		{"limit too large", "GET", "/api/v1/incidents?limit=1001", nil, 400, "bad_parameter", `limit="1001"`},
		{"limit negative", "GET", "/api/v1/audit?limit=-5", nil, 400, "bad_parameter", `limit="-5"`},
		{"after negative", "GET", findings + "?after=-1", nil, 400, "bad_parameter", `after="-1": want a non-negative integer`},
		{"after not a number", "GET", "/api/v1/incidents/{A}/tasks?after=x", nil, 400, "bad_parameter", `after="x"`},
		{"unknown phase filter", "GET", "/api/v1/incidents?phase=bogus", nil, 400, "bad_parameter", `phase="bogus": want one of`},
		{"reserved kind phase_change", "POST", events, raw(`{"kind":"phase_change","text":"x"}`, json), 422, "invalid", "kind: phase changes are recorded by PATCH"},
		{"reserved source system", "POST", events, raw(`{"source":"system","text":"x"}`, json), 422, "invalid", `source: "system" is reserved`},
		{"blast radius of a non-id", "GET", "/api/v1/incidents/{A}/blast-radius?assets=1,x", nil, 400, "bad_parameter", `assets="1,x": want comma-separated asset ids`},
	}

	f := newFixture(t, smallLimits)
	doc := fetchOpenAPI(t, f.srv)
	errSchema := asMap(asMap(asMap(doc.root["components"])["schemas"])["Error"])
	codeSchema := asMap(asMap(asMap(asMap(errSchema["properties"])["error"])["properties"])["code"])
	documentedCodes := asSlice(codeSchema["enum"])
	routes := f.srv.Routes()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer f.reportTo(t)()
			path := f.expand(tc.path)
			var body []byte
			var ct string
			if tc.body != nil {
				body, ct = tc.body()
				body = []byte(f.expand(string(body)))
			}
			before := f.snapshot()
			rec := f.serve(f.newRequest("admin", tc.method, path, body, ct))
			if rec.Code != tc.status {
				t.Errorf("%s %s = %d, want %d; body %.300q", tc.method, path, rec.Code, tc.status, rec.Body.String())
			}
			e := decodeError(t, rec)
			if e.Error.Code != tc.code {
				t.Errorf("error code = %q, want %q (message %q)", e.Error.Code, tc.code, e.Error.Message)
			}
			if want := f.expand(tc.msg); !strings.Contains(e.Error.Message, want) {
				t.Errorf("error message = %q, want it to say %q", e.Error.Message, want)
			}
			if !slices.Contains(documentedCodes, any(e.Error.Code)) {
				t.Errorf("error code %q is not in the documented Error.code enum %v", e.Error.Code, documentedCodes)
			}
			// The status is documented for the route (unrouted paths excepted).
			for _, rt := range routes {
				if rt.Method == tc.method && routeMatches(rt.Path, strings.SplitN(path, "?", 2)[0]) {
					doc.checkResponse(t, rt, rec)
				}
			}
			f.snapshot().sameAs(t, before)
		})
	}
}

// TestEvidenceRefusedAfterTheFile refuses an upload whose description,
// sent after the file, is too long: the record is unchanged. (The file's
// content is already stored under its hash by then and stays, unreferenced:
// deleting it could race with another upload of the same content.)
func TestEvidenceRefusedAfterTheFile(t *testing.T) {
	f := newFixture(t, smallLimits)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreateFormFile("file", "notes.txt")
	w.Write([]byte("some notes"))
	mw.WriteField("description", strings.Repeat("d", incident.MaxText+1))
	mw.Close()
	before := f.snapshot()
	rec := f.serve(f.newRequest("responder", "POST", "/api/v1/incidents/"+f.A.Ref+"/evidence", buf.Bytes(), mw.FormDataContentType()))
	if e := decodeError(t, rec); rec.Code != 422 || !strings.Contains(e.Error.Message, "description: is longer than") {
		t.Errorf("upload with a long description after the file = %d %+v, want 422 naming the description", rec.Code, e)
	}
	after := f.snapshot()
	delete(before, "blob files")
	delete(after, "blob files")
	after.sameAs(t, before)
}

// routeMatches reports whether a concrete path matches a route pattern.
func routeMatches(pattern, path string) bool {
	ps, xs := strings.Split(docPath(pattern), "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if !strings.HasPrefix(ps[i], "{") && ps[i] != xs[i] {
			return false
		}
	}
	return true
}

// TestFindingsIdempotent posts the same batch twice: the second time
// nothing is created and nothing written, and each finding has exactly one
// timeline event.
func TestFindingsIdempotent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	path := "/api/v1/incidents/" + f.A.Ref + "/findings"
	batch := map[string]any{"findings": []map[string]any{
		{"key": "host1:/var/log/access.log:120", "rule": "webshell-post", "title": "POST to shell.php", "host": "host1", "line": 120,
			"log_time": "2026-03-01T10:00:00Z", "fields": map[string]string{"c-ip": "203.0.113.5"}},
		{"key": "host1:/var/log/access.log:121", "rule": "webshell-post", "title": "POST to shell.php", "host": "host1", "line": 121, "severity": "high"},
	}}
	type result struct {
		Created, Existing int
		Items             []struct {
			Item    incident.Finding
			Created bool
		}
	}
	countFindingEvents := func() int {
		evs, err := f.st.ListEvents(ctx, f.A.Ref, store.Page{Limit: 1000})
		f.must(err, "list events")
		n := 0
		for _, e := range evs {
			if e.Kind == incident.KindFinding && e.Source == incident.SourceHunt {
				n++
			}
		}
		return n
	}
	events0 := countFindingEvents()

	rec := f.do("responder", "POST", path, batch)
	var first result
	decodeBody(t, rec, &first)
	if rec.Code != 200 || first.Created != 2 || first.Existing != 0 || len(first.Items) != 2 || !first.Items[0].Created || !first.Items[1].Created {
		t.Fatalf("first POST = %d %+v, want 200 with created=2", rec.Code, first)
	}
	if got := countFindingEvents() - events0; got != 2 {
		t.Errorf("first POST added %d finding events, want 2", got)
	}

	before := f.snapshot()
	rec = f.do("responder", "POST", path, batch)
	var second result
	decodeBody(t, rec, &second)
	if rec.Code != 200 || second.Created != 0 || second.Existing != 2 || len(second.Items) != 2 {
		t.Fatalf("second POST = %d %+v, want 200 with created=0 existing=2", rec.Code, second)
	}
	for i, it := range second.Items {
		if it.Created || it.Item.ID != first.Items[i].Item.ID || it.Item.EventID != first.Items[i].Item.EventID {
			t.Errorf("second POST item %d = %+v, want the stored finding %d, not created", i, it, first.Items[i].Item.ID)
		}
	}
	f.snapshot().sameAs(t, before) // nothing written, not even an audit entry

	// Each finding points at its own event, which names it.
	evs, err := f.st.ListEvents(ctx, f.A.Ref, store.Page{Limit: 1000})
	f.must(err, "list events")
	for _, it := range first.Items {
		i := slices.IndexFunc(evs, func(e incident.Event) bool { return e.ID == it.Item.EventID })
		if i < 0 || evs[i].Kind != incident.KindFinding || !strings.Contains(evs[i].Text, it.Item.Title) {
			t.Errorf("finding %d: event %d missing or not a finding event", it.Item.ID, it.Item.EventID)
		}
	}

	// A key repeated within one batch is stored once, with one event.
	rec = f.do("responder", "POST", path, map[string]any{"findings": []map[string]any{
		{"key": "dup", "rule": "r", "title": "twice"}, {"key": "dup", "rule": "r", "title": "twice"}}})
	var dup result
	decodeBody(t, rec, &dup)
	if rec.Code != 200 || dup.Created != 1 || len(dup.Items) != 2 || dup.Items[0].Item.ID != dup.Items[1].Item.ID {
		t.Errorf("batch repeating a key = %d %+v, want the finding stored once", rec.Code, dup)
	}
	events0++ // its event

	// A batch mixing a known key and a new one creates only the new one.
	mixed := map[string]any{"findings": []map[string]any{
		{"key": "host1:/var/log/access.log:121", "rule": "webshell-post", "title": "POST to shell.php"},
		{"key": "host2:/var/log/access.log:7", "rule": "webshell-post", "title": "POST to shell.php", "host": "host2"},
	}}
	rec = f.do("responder", "POST", path, mixed)
	var third result
	decodeBody(t, rec, &third)
	if third.Created != 1 || third.Existing != 1 || third.Items[0].Created || !third.Items[1].Created {
		t.Errorf("mixed POST = %+v, want created=1 existing=1", third)
	}
	if got := countFindingEvents() - events0; got != 3 {
		t.Errorf("after three POSTs there are %d new finding events, want 3 (one per finding)", got)
	}
}

// TestPagination walks lists with a small limit and checks every item
// comes exactly once, in order, and that the last page says so.
func TestPagination(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := range 8 {
		_, err := f.st.AppendEvent(ctx, "fixture", f.A.Ref, incident.Event{Text: fmt.Sprintf("note %d", i)})
		f.must(err, "append event")
	}
	all, err := f.st.ListEvents(ctx, f.A.Ref, store.Page{Limit: 1000})
	f.must(err, "list events")
	if len(all)%2 == 0 {
		t.Fatalf("want an odd number of events to end on a short page, have %d", len(all))
	}

	type page struct {
		Items     []incident.Event `json:"items"`
		NextAfter *int64           `json:"next_after"`
	}
	walk := func(limit int) (ids []int64, pages int) {
		after := int64(-1)
		for {
			q := fmt.Sprintf("?limit=%d", limit)
			if after >= 0 {
				q += fmt.Sprintf("&after=%d", after)
			}
			rec := f.do("viewer", "GET", "/api/v1/incidents/"+f.A.Ref+"/events"+q, nil)
			if rec.Code != 200 {
				t.Fatalf("GET events%s = %d %s", q, rec.Code, rec.Body.String())
			}
			if !strings.Contains(rec.Body.String(), `"items":[`) {
				t.Errorf("GET events%s: items is not an array: %s", q, rec.Body.String())
			}
			var p page
			decodeBody(t, rec, &p)
			pages++
			if len(p.Items) > limit {
				t.Fatalf("page of %d items with limit=%d", len(p.Items), limit)
			}
			for _, e := range p.Items {
				ids = append(ids, e.ID)
			}
			if p.NextAfter == nil {
				return ids, pages
			}
			if len(p.Items) == 0 || *p.NextAfter != p.Items[len(p.Items)-1].ID {
				t.Fatalf("next_after = %d, want the last item's id", *p.NextAfter)
			}
			after = *p.NextAfter
			if pages > len(all)+2 {
				t.Fatalf("pagination does not end")
			}
		}
	}
	var want []int64
	for _, e := range all {
		want = append(want, e.ID)
	}
	ids, pages := walk(2)
	if !slices.Equal(ids, want) {
		t.Errorf("walking with limit=2 gave ids %v, want each of %v once, in order", ids, want)
	}
	if wantPages := (len(all) + 1) / 2; pages != wantPages {
		t.Errorf("walking %d events with limit=2 took %d pages, want %d", len(all), pages, wantPages)
	}
	// A limit that divides the list ends with an empty page without next_after.
	ids, pages = walk(len(all))
	if !slices.Equal(ids, want) || pages != 2 {
		t.Errorf("walking with limit=%d gave %v in %d pages, want every id in 2 pages", len(all), ids, pages)
	}
}

// TestSecurityHeaders checks the headers on API, console, error and static responses.
func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	static := f.staticURL()
	tests := []struct {
		name, who, path string
		status          int
		cache           string
	}{
		{"API", "viewer", "/api/v1/incidents", 200, "no-store"},
		{"API error", anonymous, "/api/v1/incidents", 401, "no-store"},
		{"console", "viewer", "/", 200, "no-store"},
		{"console incident", "viewer", "/incidents/" + f.A.Ref, 200, "no-store"},
		{"login page", anonymous, "/login", 200, "no-store"},
		{"unknown page", "viewer", "/nothing", 404, "no-store"},
		{"static", anonymous, static, 200, "public, max-age=31536000, immutable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer f.reportTo(t)()
			rec := f.do(tc.who, "GET", tc.path, nil)
			if rec.Code != tc.status {
				t.Fatalf("GET %s = %d, want %d", tc.path, rec.Code, tc.status)
			}
			h := rec.Header()
			csp := h.Get("Content-Security-Policy")
			for _, d := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
				if !strings.Contains(csp, d) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, d)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("Content-Security-Policy %q allows unsafe sources", csp)
			}
			for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
				"Referrer-Policy": "no-referrer", "Cache-Control": tc.cache} {
				if got := h.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if h.Get("Strict-Transport-Security") != "" {
				t.Errorf("Strict-Transport-Security sent over plain HTTP")
			}
		})
	}
	// Behind TLS, HSTS is on.
	req := f.newRequest("viewer", "GET", "https://firebreak.example/api/v1/me", nil, "")
	if rec := f.serve(req); rec.Header().Get("Strict-Transport-Security") == "" {
		t.Errorf("no Strict-Transport-Security over TLS")
	}
}

// TestCrossOriginRefused checks CSRF protection: a browser's cross-site
// POST riding on a session cookie is refused and writes nothing.
func TestCrossOriginRefused(t *testing.T) {
	f := newFixture(t)
	viewer, responder := f.users["viewer"], f.users["responder"]
	events := "/api/v1/incidents/" + f.A.Ref + "/events"
	post := func(u *testUser, path string, hdr map[string]string) *http.Request {
		req := f.newRequest(anonymous, "POST", path, []byte(`{"text":"from elsewhere"}`), "application/json")
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: u.session})
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		return req
	}
	refused := []struct {
		name string
		path string
		hdr  map[string]string
	}{
		{"Sec-Fetch-Site cross-site", events, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"Sec-Fetch-Site same-site", events, map[string]string{"Sec-Fetch-Site": "same-site"}},
		{"foreign Origin", events, map[string]string{"Origin": "https://evil.example"}},
		{"logout from elsewhere", "/logout", map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"new token from elsewhere", "/api/v1/tokens", map[string]string{"Sec-Fetch-Site": "cross-site"}},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			defer f.reportTo(t)()
			before := f.snapshot()
			rec := f.serve(post(responder, tc.path, tc.hdr))
			if rec.Code != http.StatusForbidden {
				t.Fatalf("cross-origin POST %s = %d, want 403; body %q", tc.path, rec.Code, rec.Body.String())
			}
			if e := decodeError(t, rec); e.Error.Code != "forbidden" || !strings.Contains(e.Error.Message, "cross-origin") {
				t.Errorf("error = %+v, want forbidden, naming the cross-origin request", e)
			}
			f.snapshot().sameAs(t, before)
		})
	}
	// The session survived the refused logout.
	req := f.newRequest(anonymous, "GET", "/api/v1/me", nil, "")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: responder.session})
	if rec := f.serve(req); rec.Code != 200 {
		t.Errorf("session after a refused cross-site logout: GET /api/v1/me = %d, want 200", rec.Code)
	}
	// The same request from the console's own pages goes through.
	for _, hdr := range []map[string]string{{"Sec-Fetch-Site": "same-origin"}, {"Origin": "http://example.com"}, {}} {
		if rec := f.serve(post(responder, events, hdr)); rec.Code != http.StatusCreated {
			t.Errorf("same-origin POST with %v = %d, want 201; body %q", hdr, rec.Code, rec.Body.String())
		}
	}
	// Safe methods are not affected.
	req = f.newRequest(anonymous, "GET", "/api/v1/incidents/"+f.A.Ref, nil, "")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: viewer.session})
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if rec := f.serve(req); rec.Code != 200 {
		t.Errorf("cross-site GET = %d, want 200", rec.Code)
	}
}
