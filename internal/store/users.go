package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// reservedNames are actors the server writes as that a user name could
// spell (others, like "demo:…" and "probe:…", no user name can).
var reservedNames = []string{"system", ScheduleActor}

var userName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._@-]{0,63}$`)

// CreateUser adds a user with an already-hashed password, named on the
// incidents u.Incidents: for a guest the only incidents they see, for
// everyone else the TLP:RED incidents they see.
func (s *Store) CreateUser(ctx context.Context, actor string, u incident.User, passwordHash string) (incident.User, error) {
	if !userName.MatchString(u.Name) {
		return u, &incident.ValidationError{Field: "name", Reason: "must be 1-64 letters, digits or . _ @ -, starting with a letter or digit"}
	}
	if slices.Contains(reservedNames, strings.ToLower(u.Name)) {
		// Actors the server itself writes as: a user of that name would
		// pass for it (as the opener of an incident, say).
		return u, &incident.ValidationError{Field: "name", Reason: fmt.Sprintf("%q is reserved for the server's own actions", u.Name)}
	}
	if err := checkEnumErr("role", u.Role, incident.Roles); err != nil {
		return u, err
	}
	u.CreatedAt = s.now().UTC()
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO users (name, role, password_hash, disabled, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			u.Name, u.Role, passwordHash, b2i(u.Disabled), fmtTimePtr(u.ExpiresAt), fmtTime(u.CreatedAt)).Scan(&u.ID); err != nil {
			if isUnique(err) {
				return fmt.Errorf("user %q: %w", u.Name, ErrConflict)
			}
			return fmt.Errorf("create user: %w", err)
		}
		if err := s.writeScope(ctx, tx, u); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "user.create", "", "user/"+u.Name, u)
	})
	return u, err
}

func (s *Store) writeScope(ctx context.Context, tx *sql.Tx, u incident.User) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM guest_scopes WHERE user_id = $1`, u.ID); err != nil {
		return fmt.Errorf("scope user %s: %w", u.Name, err)
	}
	for _, ref := range u.Incidents {
		id, err := s.incidentID(ctx, tx, ref)
		if err != nil {
			return &incident.ValidationError{Field: "incidents", Reason: fmt.Sprintf("no incident %s", ref)}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO guest_scopes (user_id, incident_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, u.ID, id); err != nil {
			return fmt.Errorf("scope user %s: %w", u.Name, err)
		}
	}
	return nil
}

const userCols = `id, name, role, disabled, expires_at, created_at`

func (s *Store) scanUser(ctx context.Context, row *sql.Row) (incident.User, error) {
	var u incident.User
	var disabled int
	if err := row.Scan(&u.ID, &u.Name, &u.Role, &disabled, nullTimeCol{&u.ExpiresAt}, timeCol{&u.CreatedAt}); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return u, fmt.Errorf("user: %w", ErrNotFound)
		}
		return u, fmt.Errorf("load user: %w", err)
	}
	u.Disabled = disabled != 0
	return u, s.loadScope(ctx, &u)
}

// loadScope loads the incidents u is named on (never nil for a guest; nil
// for others named on none).
func (s *Store) loadScope(ctx context.Context, u *incident.User) error {
	rows, err := s.r.QueryContext(ctx, `SELECT i.ref FROM guest_scopes g JOIN incidents i ON i.id = g.incident_id WHERE g.user_id = $1 ORDER BY i.id`, u.ID)
	if err != nil {
		return fmt.Errorf("load scope of %s: %w", u.Name, err)
	}
	defer rows.Close()
	u.Incidents = []string{}
	for rows.Next() {
		var ref string
		if err := rows.Scan(&ref); err != nil {
			return fmt.Errorf("load scope of %s: %w", u.Name, err)
		}
		u.Incidents = append(u.Incidents, ref)
	}
	if len(u.Incidents) == 0 && u.Role != incident.RoleGuest {
		u.Incidents = nil
	}
	return rows.Err()
}

// UserByName returns a user and their password hash.
func (s *Store) UserByName(ctx context.Context, name string) (incident.User, string, error) {
	var hash string
	if err := s.r.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE name = $1`, name).Scan(&hash); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return incident.User{}, "", fmt.Errorf("user %q: %w", name, ErrNotFound)
		}
		return incident.User{}, "", fmt.Errorf("load user %q: %w", name, err)
	}
	u, err := s.scanUser(ctx, s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE name = $1`, name))
	return u, hash, err
}

// GetUser returns a user by ID.
func (s *Store) GetUser(ctx context.Context, id int64) (incident.User, error) {
	return s.scanUser(ctx, s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
}

// CountUsers returns how many users exist.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// ListUsers returns every user.
func (s *Store) ListUsers(ctx context.Context) ([]incident.User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list users: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := []incident.User{}
	for _, id := range ids {
		u, err := s.GetUser(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// UserPatch changes some fields of a user; nil fields stay as they are.
type UserPatch struct {
	Role      *incident.Role `json:"role"`
	Disabled  *bool          `json:"disabled"`
	ExpiresAt *time.Time     `json:"expires_at"`
	Incidents *[]string      `json:"incidents"`
	// PasswordHash, when set, replaces the password and ends the user's sessions.
	PasswordHash string `json:"-"`
}

// UpdateUser applies a patch to a user.
func (s *Store) UpdateUser(ctx context.Context, actor string, id int64, p UserPatch) (incident.User, error) {
	u, err := s.GetUser(ctx, id)
	if err != nil {
		return u, err
	}
	set(&u.Role, p.Role)
	set(&u.Disabled, p.Disabled)
	if p.ExpiresAt != nil {
		u.ExpiresAt = p.ExpiresAt
	}
	set(&u.Incidents, p.Incidents)
	if err := checkEnumErr("role", u.Role, incident.Roles); err != nil {
		return u, err
	}
	err = s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET role = $1, disabled = $2, expires_at = $3 WHERE id = $4`,
			u.Role, b2i(u.Disabled), fmtTimePtr(u.ExpiresAt), u.ID); err != nil {
			return fmt.Errorf("update user %s: %w", u.Name, err)
		}
		if p.PasswordHash != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, p.PasswordHash, u.ID); err != nil {
				return fmt.Errorf("set password of %s: %w", u.Name, err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, u.ID); err != nil {
				return fmt.Errorf("end sessions of %s: %w", u.Name, err)
			}
		}
		if err := s.writeScope(ctx, tx, u); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "user.update", "", "user/"+u.Name, map[string]any{"patch": p, "password_changed": p.PasswordHash != ""})
	})
	return u, err
}

// CreateToken stores the hash of a new API token for a user.
func (s *Store) CreateToken(ctx context.Context, actor string, userID int64, name, hash string, expires *time.Time) (incident.Token, error) {
	t := incident.Token{UserID: userID, Name: name, CreatedAt: s.now().UTC(), ExpiresAt: expires}
	if err := requiredText("name", name); err != nil {
		return t, err
	}
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO tokens (user_id, name, hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			userID, name, hash, fmtTime(t.CreatedAt), fmtTimePtr(expires)).Scan(&t.ID); err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		return s.audit(ctx, tx, actor, "token.create", "", fmt.Sprintf("token/%d", t.ID), map[string]any{"user_id": userID, "name": name})
	})
	return t, err
}

// UserForToken returns the user an unexpired API token belongs to.
func (s *Store) UserForToken(ctx context.Context, hash string) (incident.User, error) {
	var uid int64
	var exp *time.Time
	err := s.r.QueryRowContext(ctx, `SELECT user_id, expires_at FROM tokens WHERE hash = $1`, hash).Scan(&uid, nullTimeCol{&exp})
	if errors.Is(err, sql.ErrNoRows) || err == nil && exp != nil && !s.now().Before(*exp) {
		return incident.User{}, fmt.Errorf("token: %w", ErrNotFound)
	}
	if err != nil {
		return incident.User{}, fmt.Errorf("look up token: %w", err)
	}
	return s.GetUser(ctx, uid)
}

// CreateSession stores the hash of a new browser session.
func (s *Store) CreateSession(ctx context.Context, u incident.User, hash string, ttl time.Duration) error {
	now := s.now().UTC()
	return s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < $1`, fmtTime(now)); err != nil {
			return fmt.Errorf("expire sessions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
			hash, u.ID, fmtTime(now), fmtTime(now.Add(ttl))); err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		return s.audit(ctx, tx, u.Name, "session.login", "", "user/"+u.Name, nil)
	})
}

// UserForSession returns the user of an unexpired session.
func (s *Store) UserForSession(ctx context.Context, hash string) (incident.User, error) {
	var uid int64
	err := s.r.QueryRowContext(ctx, `SELECT user_id FROM sessions WHERE hash = $1 AND expires_at > $2`, hash, fmtTime(s.now())).Scan(&uid)
	if errors.Is(err, sql.ErrNoRows) {
		return incident.User{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return incident.User{}, fmt.Errorf("look up session: %w", err)
	}
	return s.GetUser(ctx, uid)
}

// DeleteSession ends a session (logout).
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE hash = $1`, hash); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// ListTokens returns a user's API tokens (never their secrets).
func (s *Store) ListTokens(ctx context.Context, userID int64) ([]incident.Token, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, user_id, name, created_at, expires_at FROM tokens WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out := []incident.Token{}
	for rows.Next() {
		var t incident.Token
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, timeCol{&t.CreatedAt}, nullTimeCol{&t.ExpiresAt}); err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken deletes one of a user's API tokens.
func (s *Store) RevokeToken(ctx context.Context, actor string, userID, tokenID int64) error {
	return s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE id = $1 AND user_id = $2`, tokenID, userID)
		if err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("token %d: %w", tokenID, ErrNotFound)
		}
		return s.audit(ctx, tx, actor, "token.revoke", "", fmt.Sprintf("token/%d", tokenID), nil)
	})
}
