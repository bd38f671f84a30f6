package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

func TestPasswordRoundTrip(t *testing.T) {
	for _, pw := range []string{"correct horse battery staple", "ünïcødé pässwörd", strings.Repeat("x", MaxPassword)} {
		h, err := HashPassword(pw, TestParams)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
			t.Errorf("HashPassword(%q) = %q, want a PHC argon2id string", pw, h)
		}
		if ok, err := VerifyPassword(h, pw); !ok || err != nil {
			t.Errorf("VerifyPassword(hash, %q) = %v, %v, want true, nil", pw, ok, err)
		}
		if ok, err := VerifyPassword(h, pw+"!"); ok || err != nil {
			t.Errorf("VerifyPassword(hash, wrong) = %v, %v, want false, nil", ok, err)
		}
		h2, _ := HashPassword(pw, TestParams)
		if h2 == h {
			t.Errorf("two hashes of %q are equal: the salt is not random", pw)
		}
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	good, _ := HashPassword("password-password", TestParams)
	parts := strings.Split(good, "$")
	for _, h := range []string{
		"",
		"plain",
		"$argon2i$v=19$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=18$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=0,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=99999999,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$!!!$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$" + parts[4] + "$",
		good + "$extra",
	} {
		if ok, err := VerifyPassword(h, "password-password"); ok || err != ErrBadHash {
			t.Errorf("VerifyPassword(%q) = %v, %v, want false, ErrBadHash", h, ok, err)
		}
	}
}

func FuzzVerifyPassword(f *testing.F) {
	good, _ := HashPassword("password-password", TestParams)
	f.Add(good, "password-password")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$AAAA$AAAA", "x")
	f.Fuzz(func(t *testing.T, encoded, pw string) {
		ok, err := VerifyPassword(encoded, pw)
		if err != nil && ok {
			t.Fatalf("VerifyPassword(%q) = true with error %v", encoded, err)
		}
	})
}

func TestCheckPassword(t *testing.T) {
	for _, c := range []struct {
		pw string
		ok bool
	}{
		{"short", false}, {"elevenchars", false}, {"twelve chars", true}, {"ééééééééééé", false}, {"éééééééééééé", true},
		{strings.Repeat("a", MaxPassword), true}, {strings.Repeat("a", MaxPassword+1), false},
	} {
		if err := CheckPassword(c.pw); (err == nil) != c.ok {
			t.Errorf("CheckPassword(%q) = %v, want ok=%v", c.pw, err, c.ok)
		}
	}
}

func TestTokens(t *testing.T) {
	tok, hash := NewToken()
	if !LooksLikeToken(tok) {
		t.Errorf("LooksLikeToken(%q) = false", tok)
	}
	if hash != HashSecret(tok) || len(hash) != 64 {
		t.Errorf("NewToken hash = %q, want HashSecret(token)", hash)
	}
	tok2, _ := NewToken()
	if tok2 == tok {
		t.Error("two tokens are equal")
	}
	for _, bad := range []string{"", "fbk_", tok[:len(tok)-1], "xyz_" + tok[4:]} {
		if LooksLikeToken(bad) {
			t.Errorf("LooksLikeToken(%q) = true", bad)
		}
	}
}

func TestLimiter(t *testing.T) {
	l := NewLimiter(3, time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("k", t0); !ok {
			t.Fatalf("Allow after %d failures = false, want true", i)
		}
		l.Fail("k", t0.Add(time.Duration(i)*time.Second))
	}
	if ok, wait := l.Allow("k", t0.Add(10*time.Second)); ok || wait != 50*time.Second {
		t.Errorf("Allow after 3 failures = %v, %v, want false, 50s", ok, wait)
	}
	if ok, _ := l.Allow("other", t0); !ok {
		t.Error("Allow(other key) = false: keys are not independent")
	}
	if ok, _ := l.Allow("k", t0.Add(61*time.Second)); !ok {
		t.Error("Allow after the window = false, want true")
	}
	l.Fail("k", t0.Add(70*time.Second))
	l.Reset("k")
	if ok, _ := l.Allow("k", t0.Add(70*time.Second)); !ok {
		t.Error("Allow after Reset = false, want true")
	}
	// Memory stays bounded.
	l.MaxKeys = 100
	for i := 0; i < 1000; i++ {
		l.Fail(strings.Repeat("x", i%50)+string(rune('a'+i%26))+time.Duration(i).String(), t0.Add(time.Duration(i)*time.Millisecond))
	}
	if n := len(l.keys); n > 100 {
		t.Errorf("limiter holds %d keys, want at most 100", n)
	}
}

// TestPermissionTable spot-checks the table by hand, so that a wrong edit is
// caught here and not only in the route tests that read the same table.
func TestPermissionTable(t *testing.T) {
	for _, c := range []struct {
		role incident.Role
		perm Permission
		want bool
	}{
		{incident.RoleAdmin, UserAdmin, true},
		{incident.RoleCommander, UserAdmin, false},
		{incident.RoleCommander, IncidentCreate, true},
		{incident.RoleResponder, IncidentCreate, false},
		{incident.RoleResponder, AssetOperate, true},
		{incident.RoleCommunications, EvidenceRead, false},
		{incident.RoleCommunications, EventWrite, true},
		{incident.RoleLegal, AuditRead, true},
		{incident.RoleLegal, AssetOperate, false},
		{incident.RoleViewer, IncidentRead, true},
		{incident.RoleViewer, EventWrite, false},
		{incident.RoleGuest, FindingWrite, true},
		{incident.RoleGuest, IncidentUpdate, false},
		{incident.RoleGuest, AuditRead, false},
		{incident.Role("root"), IncidentRead, false},
		{incident.Role("root"), Authenticated, false},
		{incident.RoleViewer, Authenticated, true},
	} {
		if got := Can(c.role, c.perm); got != c.want {
			t.Errorf("Can(%s, %s) = %v, want %v", c.role, c.perm, got, c.want)
		}
	}
	for _, r := range incident.Roles {
		if _, ok := table[r]; !ok {
			t.Errorf("role %s has no row in the permission table", r)
		}
	}
	if !Scoped(incident.RoleGuest) || Scoped(incident.RoleViewer) {
		t.Error("only guests are scoped")
	}
}
