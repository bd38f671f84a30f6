package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// audit appends an entry to the hash chain inside tx. Call it as the last
// statement of a write transaction: the head row's lock is then held only
// for the moment before commit.
func (s *Store) audit(ctx context.Context, tx *sql.Tx, actor, action, ref, target string, detail any) error {
	var d string
	if detail != nil {
		b, err := json.Marshal(detail)
		if err != nil {
			return fmt.Errorf("audit %s: encode detail: %w", action, err)
		}
		d = string(b)
	}
	e := incident.AuditEntry{At: s.now().UTC(), Actor: actor, Action: action, Incident: ref, Target: target, Detail: d}
	// Parse back the stored form so the hash covers exactly what is stored.
	if err := (timeCol{&e.At}).Scan(fmtTime(e.At)); err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, `UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash`).Scan(&e.Seq, &e.PrevHash); err != nil {
		return fmt.Errorf("audit %s: advance head: %w", action, err)
	}
	e.Hash = e.ComputeHash()
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit (seq, at, actor, action, incident, target, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.Seq, fmtTime(e.At), e.Actor, e.Action, e.Incident, e.Target, e.Detail, e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("audit %s: insert: %w", action, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET hash = $1 WHERE id = 1`, e.Hash); err != nil {
		return fmt.Errorf("audit %s: move head: %w", action, err)
	}
	return nil
}

// AuditBreak describes where the audit chain is broken.
type AuditBreak struct {
	Seq    int64
	Reason string
}

func (b *AuditBreak) Error() string {
	return fmt.Sprintf("audit chain broken at entry %d: %s", b.Seq, b.Reason)
}

// VerifyAudit walks the whole audit chain and checks every link and hash. It
// returns the number of entries checked and, when the chain is broken, an
// *AuditBreak naming the first bad entry.
//
// It reads the chain head first and then the entries up to it, so entries
// committed while it runs are simply not part of this check.
func (s *Store) VerifyAudit(ctx context.Context) (int64, error) {
	var headSeq int64
	var headHash string
	if err := s.r.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return 0, fmt.Errorf("read audit head: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT seq, at, actor, action, incident, target, detail, prev_hash, hash FROM audit WHERE seq <= $1 ORDER BY seq`, headSeq)
	if err != nil {
		return 0, fmt.Errorf("read audit: %w", err)
	}
	defer rows.Close()
	var n int64
	prev := incident.GenesisHash
	for rows.Next() {
		var e incident.AuditEntry
		if err := rows.Scan(&e.Seq, timeCol{&e.At}, &e.Actor, &e.Action, &e.Incident, &e.Target, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return n, fmt.Errorf("read audit entry after %d: %w", n, err)
		}
		n++
		switch {
		case e.Seq != n:
			return n, &AuditBreak{e.Seq, fmt.Sprintf("expected entry %d here: entries are missing or reordered", n)}
		case e.PrevHash != prev:
			return n, &AuditBreak{e.Seq, "its previous-hash does not match the entry before it"}
		case e.ComputeHash() != e.Hash:
			return n, &AuditBreak{e.Seq, "its content does not match its hash (the entry was altered)"}
		}
		prev = e.Hash
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("read audit: %w", err)
	}
	if headSeq != n || headHash != prev {
		return n, &AuditBreak{n + 1, fmt.Sprintf("the chain head says %d entries ending in %.12s…, the table holds %d: entries were removed from the end", headSeq, headHash, n)}
	}
	return n, nil
}

// AuditEntries returns a page of the audit log in sequence order.
func (s *Store) AuditEntries(ctx context.Context, p Page) ([]incident.AuditEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, at, actor, action, incident, target, detail, prev_hash, hash FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2`, p.After, p.limit())
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	var out []incident.AuditEntry
	for rows.Next() {
		var e incident.AuditEntry
		if err := rows.Scan(&e.Seq, timeCol{&e.At}, &e.Actor, &e.Action, &e.Incident, &e.Target, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("list audit: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Audit records an action that changes nothing else, such as a guest reading
// an incident, as its own audit entry.
func (s *Store) Audit(ctx context.Context, actor, action, ref, target string, detail any) error {
	return s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return s.audit(ctx, tx, actor, action, ref, target, detail)
	})
}
