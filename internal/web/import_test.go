package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// TestImportIndicatorFile: a STIX bundle uploaded from the console adds its
// indicators; entries that cannot be read are counted on the page, and a
// file with nothing readable is refused next to the file field.
func TestImportIndicatorFile(t *testing.T) {
	f := newFixture(t)
	path := "/incidents/" + f.A.Ref + "/indicators/import"
	stix := `{"type":"bundle","id":"bundle--1","objects":[
	 {"type":"indicator","spec_version":"2.1","id":"indicator--a","created":"2025-07-20T00:00:00Z","modified":"2025-07-20T00:00:00Z",
	  "pattern":"[ipv4-addr:value = '104.238.159.149'] OR [domain-name:value = 'msupdate.updatemicfosoft.com']","pattern_type":"stix","valid_from":"2025-07-19T00:00:00Z"},
	 {"type":"indicator","spec_version":"2.1","id":"indicator--b","created":"2025-07-20T00:00:00Z","modified":"2025-07-20T00:00:00Z",
	  "pattern":"[process:name = 'w3wp.exe']","pattern_type":"stix","valid_from":"2025-07-19T00:00:00Z"}]}`
	before, _ := f.st.ListIndicators(context.Background(), f.A.Ref, store.Page{Limit: 1000})
	body, ct := multipartBody("toolshell.json", []byte(stix), "")
	rec := f.serve(f.newRequest("responder", "POST", path, body, ct))
	if rec.Code != 303 || !strings.Contains(rec.Header().Get("Location"), "added=2+of+2") || !strings.Contains(rec.Header().Get("Location"), "rejected=1") {
		t.Fatalf("import STIX = %d, Location %q; want 303 to added=2 of 2, rejected=1", rec.Code, rec.Header().Get("Location"))
	}
	after, _ := f.st.ListIndicators(context.Background(), f.A.Ref, store.Page{Limit: 1000})
	if len(after) != len(before)+2 {
		t.Errorf("indicators after import = %d, want %d", len(after), len(before)+2)
	}
	body, ct = multipartBody("junk.txt", []byte("not an indicator\nneither is this\n"), "")
	rec = f.serve(f.newRequest("responder", "POST", path, body, ct))
	page := rec.Body.String()
	if rec.Code != 422 || !strings.Contains(page, "no indicator Firebreak can read") {
		t.Errorf("import junk = %d, want 422 with the reason on the page", rec.Code)
	}
	if i, j := strings.Index(page, `id="import"`), strings.Index(page, "field-error"); i < 0 || j < i {
		t.Errorf("the import error is not shown after the file field")
	}
}

// freshToken creates a token for the fixture's target user and returns its id.
func (f *fixture) freshToken() int64 {
	f.t.Helper()
	_, hash := auth.NewToken()
	tok, err := f.st.CreateToken(context.Background(), "fixture", f.target.ID, f.unique("token"), hash, nil)
	f.must(err, "create token")
	return tok.ID
}

// TestRevokeOwnToken: the account page lists the caller's tokens, revoking
// one makes it stop working, and another user's token cannot be revoked.
func TestRevokeOwnToken(t *testing.T) {
	f := newFixture(t)
	u := f.users["responder"]
	list, err := f.st.ListTokens(context.Background(), u.user.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListTokens = %v, %v; want the fixture's one token", list, err)
	}
	page := f.do("responder", "GET", "/account", nil).Body.String()
	if !strings.Contains(page, `id="tokens"`) || !strings.Contains(page, list[0].Name) {
		t.Errorf("the account page does not list the token %q", list[0].Name)
	}
	if rec := f.do("responder", "POST", fmt.Sprintf("/account/tokens/%d/revoke", f.freshToken()), nil); rec.Code != 404 {
		t.Errorf("revoking another user's token = %d, want 404", rec.Code)
	}
	if rec := f.do("responder", "POST", fmt.Sprintf("/account/tokens/%d/revoke", list[0].ID), nil); rec.Code != 303 {
		t.Fatalf("revoking one's own token = %d, want 303", rec.Code)
	}
	if rec := f.do("responder", "GET", "/api/v1/me", nil); rec.Code != 401 {
		t.Errorf("the revoked token still works: GET /api/v1/me = %d", rec.Code)
	}
}

// TestAdminEditsGuest: an admin moves a guest to another incident and
// extends the access from the users page; the guest then sees the new
// incident and not the old one.
func TestAdminEditsGuest(t *testing.T) {
	f := newFixture(t)
	g := f.users["guest"]
	until := time.Now().Add(48 * time.Hour).UTC().Format("2006-01-02T15:04")
	req := f.newRequest("admin", "POST", fmt.Sprintf("/admin/users/%d", g.user.ID),
		[]byte(url.Values{"role": {"guest"}, "disabled": {"false"}, "incidents": {f.B.Ref}, "expires_at": {until}}.Encode()), "application/x-www-form-urlencoded")
	if rec := f.serve(req); rec.Code != 303 {
		t.Fatalf("update guest = %d: %s", rec.Code, rec.Body)
	}
	if rec := f.do("guest", "GET", "/api/v1/incidents/"+f.B.Ref, nil); rec.Code != 200 {
		t.Errorf("guest on the new incident = %d, want 200", rec.Code)
	}
	if rec := f.do("guest", "GET", "/api/v1/incidents/"+f.A.Ref, nil); rec.Code != 404 {
		t.Errorf("guest on the old incident = %d, want 404", rec.Code)
	}
	page := f.do("admin", "GET", "/admin/users", nil).Body.String()
	if !strings.Contains(page, until) {
		t.Errorf("the users page does not show the new expiry %s", until)
	}
}
