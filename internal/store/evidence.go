package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// ErrTooLarge means an upload exceeded its size limit.
var ErrTooLarge = errors.New("file is larger than the limit")

// Blobs keeps evidence files in a directory, named by their SHA-256. A file
// name given by a user never becomes a path.
type Blobs struct{ Dir string }

var hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Path returns where the blob with this hash lives.
func (b Blobs) Path(sum string) (string, error) {
	if !hexSHA256.MatchString(sum) {
		return "", fmt.Errorf("%q is not a SHA-256", sum)
	}
	return filepath.Join(b.Dir, sum[:2], sum), nil
}

// Put copies r into the store, at most max bytes, and returns its SHA-256
// and size. The file is synced before Put returns, so an acknowledged upload
// survives a crash. Storing the same content twice keeps one copy.
func (b Blobs) Put(r io.Reader, max int64) (sum string, size int64, err error) {
	if err := os.MkdirAll(b.Dir, 0o700); err != nil {
		return "", 0, fmt.Errorf("evidence directory: %w", err)
	}
	tmp, err := os.CreateTemp(b.Dir, ".upload-*")
	if err != nil {
		return "", 0, fmt.Errorf("evidence temp file: %w", err)
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, max+1))
	if err != nil {
		return "", 0, fmt.Errorf("receive evidence: %w", err)
	}
	if size > max {
		return "", 0, fmt.Errorf("%w (%d bytes)", ErrTooLarge, max)
	}
	if err := tmp.Sync(); err != nil {
		return "", 0, fmt.Errorf("sync evidence: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", 0, fmt.Errorf("close evidence: %w", err)
	}
	sum = hex.EncodeToString(h.Sum(nil))
	dst, _ := b.Path(sum)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", 0, fmt.Errorf("evidence directory: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", 0, fmt.Errorf("store evidence: %w", err)
	}
	tmp = nil
	if d, err := os.Open(filepath.Dir(dst)); err == nil {
		d.Sync()
		d.Close()
	}
	return sum, size, nil
}

// AddEvidence records an uploaded file (already in Blobs) on an incident,
// with the first custody entry.
func (s *Store) AddEvidence(ctx context.Context, actor, ref string, ev incident.Evidence) (incident.Evidence, error) {
	if err := incident.CheckEvidenceName(ev.Name); err != nil {
		return ev, err
	}
	if !hexSHA256.MatchString(ev.SHA256) {
		return ev, &incident.ValidationError{Field: "sha256", Reason: "is not a SHA-256"}
	}
	if err := firstValid(checkLen("description", ev.Description), checkLen("collected_by", ev.CollectedBy), checkLen("content_type", ev.ContentType)); err != nil {
		return ev, err
	}
	now := s.now().UTC()
	ev.CreatedAt = now
	if ev.CollectedBy == "" {
		ev.CollectedBy = actor
	}
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		incID, err := s.incidentID(ctx, tx, ref)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO evidence (incident_id, name, sha256, size, content_type, description, collected_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			incID, ev.Name, ev.SHA256, ev.Size, ev.ContentType, ev.Description, ev.CollectedBy, fmtTime(now)).Scan(&ev.ID); err != nil {
			return fmt.Errorf("add evidence: %w", err)
		}
		c := incident.CustodyEntry{At: now, Actor: actor, Action: "uploaded", Note: fmt.Sprintf("SHA-256 %s, %d bytes", ev.SHA256, ev.Size)}
		if err := addCustody(ctx, tx, ev.ID, c); err != nil {
			return err
		}
		ev.Custody = []incident.CustodyEntry{c}
		if _, err := s.appendEvent(ctx, tx, incID, incident.Event{Kind: incident.KindAction, Actor: actor, OccurredAt: now,
			Text:  fmt.Sprintf("Evidence added: %s (SHA-256 %s, %d bytes)", ev.Name, ev.SHA256, ev.Size),
			Links: []incident.Link{{Type: "evidence", ID: ev.ID}}}); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "evidence.add", ref, fmt.Sprintf("evidence/%d", ev.ID), map[string]any{"name": ev.Name, "sha256": ev.SHA256, "size": ev.Size})
	})
	return ev, err
}

func checkLen(field, v string) error {
	if len(v) > incident.MaxText {
		return &incident.ValidationError{Field: field, Reason: fmt.Sprintf("is longer than %d bytes", incident.MaxText)}
	}
	return nil
}

func addCustody(ctx context.Context, tx *sql.Tx, evidenceID int64, c incident.CustodyEntry) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO custody (evidence_id, at, actor, action, note) VALUES ($1, $2, $3, $4, $5)`,
		evidenceID, fmtTime(c.At), c.Actor, c.Action, c.Note); err != nil {
		return fmt.Errorf("add custody entry: %w", err)
	}
	return nil
}

// AddCustody appends an entry to an evidence item's chain of custody.
func (s *Store) AddCustody(ctx context.Context, actor, ref string, evidenceID int64, action, note string) error {
	if err := firstValid(requiredText("action", action), checkLen("note", note)); err != nil {
		return err
	}
	return s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		incID, err := s.incidentID(ctx, tx, ref)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM evidence WHERE id = $1 AND incident_id = $2`, evidenceID, incID).Scan(&n); err != nil {
			return fmt.Errorf("find evidence: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("evidence %d: %w", evidenceID, ErrNotFound)
		}
		if err := addCustody(ctx, tx, evidenceID, incident.CustodyEntry{At: s.now().UTC(), Actor: actor, Action: action, Note: note}); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "evidence.custody", ref, fmt.Sprintf("evidence/%d", evidenceID), map[string]string{"action": action, "note": note})
	})
}

const evidenceCols = `id, name, sha256, size, content_type, description, collected_by, created_at`

func scanEvidence(row interface{ Scan(...any) error }) (incident.Evidence, error) {
	var ev incident.Evidence
	err := row.Scan(&ev.ID, &ev.Name, &ev.SHA256, &ev.Size, &ev.ContentType, &ev.Description, &ev.CollectedBy, timeCol{&ev.CreatedAt})
	return ev, err
}

// GetEvidence returns one evidence item of an incident with its custody log.
func (s *Store) GetEvidence(ctx context.Context, ref string, evidenceID int64) (incident.Evidence, error) {
	incID, err := s.incidentID(ctx, s.r, ref)
	if err != nil {
		return incident.Evidence{}, err
	}
	ev, err := scanEvidence(s.r.QueryRowContext(ctx, `SELECT `+evidenceCols+` FROM evidence WHERE id = $1 AND incident_id = $2`, evidenceID, incID))
	if errors.Is(err, sql.ErrNoRows) {
		return ev, fmt.Errorf("evidence %d: %w", evidenceID, ErrNotFound)
	} else if err != nil {
		return ev, fmt.Errorf("load evidence %d: %w", evidenceID, err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT at, actor, action, note FROM custody WHERE evidence_id = $1 ORDER BY id`, ev.ID)
	if err != nil {
		return ev, fmt.Errorf("load custody of evidence %d: %w", ev.ID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c incident.CustodyEntry
		if err := rows.Scan(timeCol{&c.At}, &c.Actor, &c.Action, &c.Note); err != nil {
			return ev, fmt.Errorf("load custody of evidence %d: %w", ev.ID, err)
		}
		ev.Custody = append(ev.Custody, c)
	}
	return ev, rows.Err()
}

// ListEvidence returns a page of an incident's evidence, without custody logs.
func (s *Store) ListEvidence(ctx context.Context, ref string, p Page) ([]incident.Evidence, error) {
	id, err := s.incidentID(ctx, s.r, ref)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+evidenceCols+` FROM evidence WHERE incident_id = $1 AND id > $2 ORDER BY id LIMIT $3`, id, p.After, p.limit())
	if err != nil {
		return nil, fmt.Errorf("list evidence of %s: %w", ref, err)
	}
	defer rows.Close()
	out := []incident.Evidence{}
	for rows.Next() {
		ev, err := scanEvidence(rows)
		if err != nil {
			return nil, fmt.Errorf("list evidence of %s: %w", ref, err)
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}
