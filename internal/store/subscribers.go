package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// ConfirmTTL is how long a confirmation link works; unconfirmed sign-ups
// older than this are purged.
const ConfirmTTL = 7 * 24 * time.Hour

// Token purposes in subscriber_tokens.
const (
	tokenConfirm     = "confirm"
	tokenUnsubscribe = "unsubscribe"
)

// Outbox states.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxDead    = "dead"
)

// maxLastError bounds the stored reason of a failed delivery.
const maxLastError = 500

var componentPublicID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// newSubscriberToken returns a random token (256 bits, base64url) and its hash.
func newSubscriberToken() (token, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms.
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashSubscriberToken(token)
}

// HashSubscriberToken returns the hex SHA-256 under which a confirmation or
// unsubscribe token is stored.
func HashSubscriberToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func checkComponents(ids []string) ([]string, error) {
	if len(ids) > incident.MaxSubComponents {
		return nil, &incident.ValidationError{Field: "components", Reason: fmt.Sprintf("names %d components, the limit is %d", len(ids), incident.MaxSubComponents)}
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !componentPublicID.MatchString(id) {
			return nil, &incident.ValidationError{Field: "components", Reason: fmt.Sprintf("%.70q is not a component id", id)}
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, nil
}

// SubscribeEmail records a pending e-mail subscriber and, in the same
// transaction, queues the confirmation mail (double opt-in). Signing up an
// address that is pending again replaces its component choice and queues a
// new confirmation; an address already confirmed is left as it is and gets
// nothing, so that the answer reveals nothing either way.
func (s *Store) SubscribeEmail(ctx context.Context, address string, components []string, fromIP string) error {
	addr, err := incident.NormalizeEmail(address)
	if err != nil {
		return err
	}
	comps, err := checkComponents(components)
	if err != nil {
		return err
	}
	compJSON, _ := json.Marshal(comps)
	if len(fromIP) > 64 {
		fromIP = fromIP[:64]
	}
	now := s.now().UTC()
	return s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var id int64
		var confirmed int
		err := tx.QueryRowContext(ctx, `SELECT id, confirmed FROM subscribers WHERE kind = $1 AND address = $2`, incident.SubscriberEmail, addr).Scan(&id, &confirmed)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			err := tx.QueryRowContext(ctx, `INSERT INTO subscribers (kind, address, components, created_at, created_from) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (kind, address) DO NOTHING RETURNING id`,
				incident.SubscriberEmail, addr, string(compJSON), fmtTime(now), fromIP).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				return nil // a concurrent sign-up of the same address won; it queued the mail
			}
			if err != nil {
				return fmt.Errorf("add subscriber: %w", err)
			}
		case err != nil:
			return fmt.Errorf("look up subscriber: %w", err)
		case confirmed != 0:
			return nil
		default:
			if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET components = $1, created_from = $2 WHERE id = $3`, string(compJSON), fromIP, id); err != nil {
				return fmt.Errorf("update subscriber: %w", err)
			}
		}
		token, hash := newSubscriberToken()
		if _, err := tx.ExecContext(ctx, `INSERT INTO subscriber_tokens (hash, subscriber_id, purpose, created_at) VALUES ($1, $2, $3, $4)`,
			hash, id, tokenConfirm, fmtTime(now)); err != nil {
			return fmt.Errorf("store confirmation token: %w", err)
		}
		return s.queueDelivery(ctx, tx, id, incident.DeliveryConfirmation, "confirm/"+hash, "{}", token, now)
	})
}

// queueDelivery inserts one outbox row, unless the subscriber already has one with
// the same key.
func (s *Store) queueDelivery(ctx context.Context, tx *sql.Tx, subID int64, kind incident.DeliveryKind, key, payload, token string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (subscriber_id, kind, dedup_key, payload, token, state, next_attempt_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (subscriber_id, dedup_key) DO NOTHING`,
		subID, kind, key, payload, token, OutboxPending, fmtTime(now)); err != nil {
		return fmt.Errorf("queue %s for subscriber %d: %w", kind, subID, err)
	}
	return nil
}

// tokenSubscriber returns the subscriber a live token belongs to.
func (s *Store) tokenSubscriber(ctx context.Context, tx *sql.Tx, token string, purposes ...string) (int64, bool, error) {
	if len(token) != 43 {
		return 0, false, nil
	}
	var id int64
	var purpose, created string
	err := tx.QueryRowContext(ctx, `SELECT subscriber_id, purpose, created_at FROM subscriber_tokens WHERE hash = $1`, HashSubscriberToken(token)).Scan(&id, &purpose, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("look up token: %w", err)
	}
	if !slices.Contains(purposes, purpose) {
		return 0, false, nil
	}
	if purpose == tokenConfirm && created < fmtTime(s.now().Add(-ConfirmTTL)) {
		return 0, false, nil
	}
	return id, true, nil
}

// ConfirmSubscriber confirms the sign-up a confirmation token belongs to.
// It reports false for an unknown or expired token; confirming twice is
// fine.
func (s *Store) ConfirmSubscriber(ctx context.Context, token string) (bool, error) {
	var ok bool
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		id, found, err := s.tokenSubscriber(ctx, tx, token, tokenConfirm)
		if err != nil || !found {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET confirmed = 1, confirmed_at = $1 WHERE id = $2 AND confirmed = 0`, fmtTime(s.now()), id); err != nil {
			return fmt.Errorf("confirm subscriber %d: %w", id, err)
		}
		ok = true
		return nil
	})
	return ok, err
}

// Unsubscribe deletes the subscriber an unsubscribe token (or a
// confirmation token: "this was not me") belongs to, with its tokens and
// undelivered mail. An unknown token is not an error: unsubscribing is
// idempotent and says nothing about who is subscribed.
func (s *Store) Unsubscribe(ctx context.Context, token string) error {
	return s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		id, found, err := s.tokenSubscriber(ctx, tx, token, tokenUnsubscribe, tokenConfirm)
		if err != nil || !found {
			return err
		}
		return deleteSubscriber(ctx, tx, id)
	})
}

func deleteSubscriber(ctx context.Context, tx *sql.Tx, id int64) error {
	// Children first: the cascade is declared, but explicit deletes do not
	// depend on a connection's foreign-key setting.
	for _, q := range []string{
		`DELETE FROM outbox WHERE subscriber_id = $1`,
		`DELETE FROM subscriber_tokens WHERE subscriber_id = $1`,
		`DELETE FROM subscribers WHERE id = $1`,
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("delete subscriber %d: %w", id, err)
		}
	}
	return nil
}

// AddWebhook adds a confirmed webhook subscriber and returns it with its
// signing secret, which is shown this once. Unless allowPrivate is set the
// URL must not name a loopback or private address.
func (s *Store) AddWebhook(ctx context.Context, actor, rawURL string, components []string, allowPrivate bool) (incident.Subscriber, string, error) {
	u, err := incident.ParseWebhookURL(rawURL, allowPrivate)
	if err != nil {
		return incident.Subscriber{}, "", err
	}
	comps, err := checkComponents(components)
	if err != nil {
		return incident.Subscriber{}, "", err
	}
	compJSON, _ := json.Marshal(comps)
	secret, _ := newSubscriberToken()
	secret = "whsec_" + secret
	now := s.now().UTC()
	sub := incident.Subscriber{Kind: incident.SubscriberWebhook, Address: u.String(), Components: comps, Confirmed: true, ConfirmedAt: &now, CreatedAt: now, CreatedBy: actor}
	err = s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO subscribers (kind, address, components, secret, confirmed, confirmed_at, created_at, created_by) VALUES ($1, $2, $3, $4, 1, $5, $5, $6) RETURNING id`,
			sub.Kind, sub.Address, string(compJSON), secret, fmtTime(now), actor).Scan(&sub.ID); err != nil {
			if isUnique(err) {
				return fmt.Errorf("webhook %s: %w", incident.RedactURL(sub.Address), ErrConflict)
			}
			return fmt.Errorf("add webhook: %w", err)
		}
		return s.audit(ctx, tx, actor, "subscriber.webhook.add", "", fmt.Sprintf("subscriber/%d", sub.ID), map[string]any{"url": incident.RedactURL(sub.Address), "components": comps})
	})
	if err != nil {
		return incident.Subscriber{}, "", err
	}
	// Round the times the way the database stores them.
	_ = timeCol{&sub.CreatedAt}.Scan(fmtTime(now))
	ca := sub.CreatedAt
	sub.ConfirmedAt = &ca
	return sub, secret, nil
}

// ListSubscribers returns a page of subscribers, confirmed or not.
func (s *Store) ListSubscribers(ctx context.Context, p Page) ([]incident.Subscriber, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, kind, address, components, confirmed, confirmed_at, created_at, created_from, created_by FROM subscribers WHERE id > $1 ORDER BY id LIMIT $2`, p.After, p.limit())
	if err != nil {
		return nil, fmt.Errorf("list subscribers: %w", err)
	}
	defer rows.Close()
	out := []incident.Subscriber{}
	for rows.Next() {
		var sub incident.Subscriber
		var comps, confirmedAt string
		var confirmed int
		if err := rows.Scan(&sub.ID, &sub.Kind, &sub.Address, &comps, &confirmed, &confirmedAt, timeCol{&sub.CreatedAt}, &sub.CreatedFrom, &sub.CreatedBy); err != nil {
			return nil, fmt.Errorf("list subscribers: %w", err)
		}
		if err := scanSubscriberExtras(&sub, comps, confirmed, confirmedAt); err != nil {
			return nil, err
		}
		out = append(out, sub)
	}
	return out, rows.Err()
}

func scanSubscriberExtras(sub *incident.Subscriber, comps string, confirmed int, confirmedAt string) error {
	sub.Components = []string{}
	if err := json.Unmarshal([]byte(comps), &sub.Components); err != nil {
		return fmt.Errorf("subscriber %d: stored components: %w", sub.ID, err)
	}
	sub.Confirmed = confirmed != 0
	if confirmedAt != "" {
		if err := (nullTimeCol{&sub.ConfirmedAt}).Scan(confirmedAt); err != nil {
			return fmt.Errorf("subscriber %d: %w", sub.ID, err)
		}
	}
	return nil
}

// DeleteSubscriber removes a subscriber, with its tokens and undelivered
// messages, as an administrator.
func (s *Store) DeleteSubscriber(ctx context.Context, actor string, id int64) error {
	return s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var kind, addr string
		err := tx.QueryRowContext(ctx, `SELECT kind, address FROM subscribers WHERE id = $1`, id).Scan(&kind, &addr)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("subscriber %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("load subscriber %d: %w", id, err)
		}
		if err := deleteSubscriber(ctx, tx, id); err != nil {
			return err
		}
		detail := map[string]any{"kind": kind}
		if kind == string(incident.SubscriberWebhook) {
			detail["url"] = incident.RedactURL(addr) // no secrets, and no e-mail addresses, in the permanent audit chain
		}
		return s.audit(ctx, tx, actor, "subscriber.delete", "", fmt.Sprintf("subscriber/%d", id), detail)
	})
}

// PurgeUnconfirmed deletes e-mail sign-ups never confirmed within ConfirmTTL
// and returns how many.
func (s *Store) PurgeUnconfirmed(ctx context.Context) (int, error) {
	var n int
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM subscribers WHERE confirmed = 0 AND created_at < $1`, fmtTime(s.now().Add(-ConfirmTTL)))
		if err != nil {
			return fmt.Errorf("find unconfirmed subscribers: %w", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("find unconfirmed subscribers: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("find unconfirmed subscribers: %w", err)
		}
		for _, id := range ids {
			if err := deleteSubscriber(ctx, tx, id); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// EnqueueNotice queues a notice for every matching subscriber in a
// transaction of its own. Publishing code calls enqueueNotice inside its own
// transaction instead; this is for notices that no write carries, such as a
// maintenance window starting on time.
func (s *Store) EnqueueNotice(ctx context.Context, n Notice) error {
	return s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return s.enqueueNotice(ctx, tx, n)
	})
}

// wants reports whether a subscriber with this component choice is told
// about an event affecting ids.
func wants(choice, ids []string) bool {
	if len(choice) == 0 {
		return true
	}
	for _, id := range ids {
		if slices.Contains(choice, id) {
			return true
		}
	}
	return false
}

// fanOut queues notice n for each confirmed subscriber that wants it. Each
// e-mail gets an unsubscribe token of its own. Queueing the same notice
// again adds nothing (the dedup key is the notice's kind, event and update).
func (s *Store) fanOut(ctx context.Context, tx *sql.Tx, n Notice) error {
	pn := incident.PublicNotice{Kind: string(n.Kind), EventID: n.EventID, EventName: n.EventName, UpdateID: n.UpdateID,
		Status: n.Status, Body: n.Body, ComponentIDs: n.ComponentIDs, At: n.At.UTC()}
	if pn.ComponentIDs == nil {
		pn.ComponentIDs = []string{}
	}
	payload, err := json.Marshal(pn)
	if err != nil {
		return fmt.Errorf("encode notice: %w", err)
	}
	key := "notice/" + string(n.Kind) + "/" + n.EventID + "/" + n.UpdateID
	type target struct {
		id   int64
		kind incident.SubscriberKind
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, kind, components FROM subscribers WHERE confirmed = 1 ORDER BY id`)
	if err != nil {
		return fmt.Errorf("find subscribers: %w", err)
	}
	var targets []target
	for rows.Next() {
		var t target
		var comps string
		if err := rows.Scan(&t.id, &t.kind, &comps); err != nil {
			rows.Close()
			return fmt.Errorf("find subscribers: %w", err)
		}
		var choice []string
		if err := json.Unmarshal([]byte(comps), &choice); err != nil {
			rows.Close()
			return fmt.Errorf("subscriber %d: stored components: %w", t.id, err)
		}
		if wants(choice, n.ComponentIDs) {
			targets = append(targets, t)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find subscribers: %w", err)
	}
	now := s.now().UTC()
	for _, t := range targets {
		var token string
		if t.kind == incident.SubscriberEmail {
			var exists int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE subscriber_id = $1 AND dedup_key = $2`, t.id, key).Scan(&exists); err != nil {
				return fmt.Errorf("check outbox: %w", err)
			}
			if exists > 0 {
				continue
			}
			var hash string
			token, hash = newSubscriberToken()
			if _, err := tx.ExecContext(ctx, `INSERT INTO subscriber_tokens (hash, subscriber_id, purpose, created_at) VALUES ($1, $2, $3, $4)`,
				hash, t.id, tokenUnsubscribe, fmtTime(now)); err != nil {
				return fmt.Errorf("store unsubscribe token: %w", err)
			}
		}
		if err := s.queueDelivery(ctx, tx, t.id, incident.DeliveryNotice, key, string(payload), token, now); err != nil {
			return err
		}
	}
	return nil
}

// ClaimDeliveries leases up to limit due deliveries to owner for lease and
// returns them, each with its attempt already counted. A delivery whose
// lease runs out (its worker died) is due again.
func (s *Store) ClaimDeliveries(ctx context.Context, owner string, lease time.Duration, limit int) ([]incident.Delivery, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	// An idle outbox is the common case: look first on a reader, so that
	// polling costs no write transaction.
	var due int
	now := fmtTime(s.now())
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM outbox WHERE state = $1 AND next_attempt_at <= $2 AND lease_until < $2 LIMIT 1) d`,
		OutboxPending, now).Scan(&due); err != nil {
		return nil, fmt.Errorf("look for due deliveries: %w", err)
	}
	if due == 0 {
		return nil, nil
	}
	var out []incident.Delivery
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = out[:0]
		now := fmtTime(s.now())
		// The conditions are repeated outside the subquery so that, on
		// PostgreSQL, a row another replica claimed meanwhile is re-checked
		// and skipped rather than claimed twice.
		rows, err := tx.QueryContext(ctx, `UPDATE outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1
			WHERE id IN (SELECT id FROM outbox WHERE state = $3 AND next_attempt_at <= $4 AND lease_until < $4 ORDER BY next_attempt_at, id LIMIT $5)
			AND state = $3 AND lease_until < $4
			RETURNING id, subscriber_id, kind, payload, token, attempts, created_at`,
			owner, fmtTime(s.now().Add(lease)), OutboxPending, now, limit)
		if err != nil {
			return fmt.Errorf("claim deliveries: %w", err)
		}
		var payloads []string
		for rows.Next() {
			var d incident.Delivery
			var payload string
			if err := rows.Scan(&d.ID, &d.Subscriber.ID, &d.Kind, &payload, &d.Token, &d.Attempts, timeCol{&d.CreatedAt}); err != nil {
				rows.Close()
				return fmt.Errorf("claim deliveries: %w", err)
			}
			out = append(out, d)
			payloads = append(payloads, payload)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("claim deliveries: %w", err)
		}
		for i := range out {
			d := &out[i]
			if d.Kind == incident.DeliveryNotice {
				d.Notice = new(incident.PublicNotice)
				if err := json.Unmarshal([]byte(payloads[i]), d.Notice); err != nil {
					return fmt.Errorf("delivery %d: stored payload: %w", d.ID, err)
				}
			}
			var comps, confirmedAt string
			var confirmed int
			sub := &d.Subscriber
			if err := tx.QueryRowContext(ctx, `SELECT kind, address, components, secret, confirmed, confirmed_at, created_at, created_from, created_by FROM subscribers WHERE id = $1`, sub.ID).
				Scan(&sub.Kind, &sub.Address, &comps, &d.Secret, &confirmed, &confirmedAt, timeCol{&sub.CreatedAt}, &sub.CreatedFrom, &sub.CreatedBy); err != nil {
				return fmt.Errorf("delivery %d: load subscriber: %w", d.ID, err)
			}
			if err := scanSubscriberExtras(sub, comps, confirmed, confirmedAt); err != nil {
				return err
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b incident.Delivery) int { return cmp.Compare(a.ID, b.ID) })
	return out, err
}

// MarkDelivered records that a delivery was accepted by the receiver and
// forgets the token it carried. A delivery deleted meanwhile (the
// subscriber left) is not an error.
func (s *Store) MarkDelivered(ctx context.Context, id int64) error {
	return s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = $1, sent_at = $2, token = '', lease_owner = '', lease_until = '', last_error = '' WHERE id = $3 AND state = $4`,
			OutboxSent, fmtTime(s.now()), id, OutboxPending); err != nil {
			return fmt.Errorf("mark delivery %d sent: %w", id, err)
		}
		return nil
	})
}

// FailDelivery records a failed try. The delivery is tried again after the
// policy's backoff, or becomes dead when the failure is permanent or the
// attempts are used up.
func (s *Store) FailDelivery(ctx context.Context, id int64, reason string, permanent bool, p incident.RetryPolicy) error {
	if len(reason) > maxLastError {
		reason = reason[:maxLastError]
	}
	reason = strings.ToValidUTF8(reason, "?")
	return s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var attempts int
		err := tx.QueryRowContext(ctx, `SELECT attempts FROM outbox WHERE id = $1 AND state = $2`, id, OutboxPending).Scan(&attempts)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("fail delivery %d: %w", id, err)
		}
		delay, giveUp := p.Next(attempts)
		if permanent || giveUp {
			_, err = tx.ExecContext(ctx, `UPDATE outbox SET state = $1, token = '', lease_owner = '', lease_until = '', last_error = $2 WHERE id = $3`, OutboxDead, reason, id)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = $1, lease_owner = '', lease_until = '', last_error = $2 WHERE id = $3`, fmtTime(s.now().Add(delay)), reason, id)
		}
		if err != nil {
			return fmt.Errorf("fail delivery %d: %w", id, err)
		}
		return nil
	})
}

// ReleaseDeliveries gives up owner's leases (on an orderly shutdown), so
// that another worker may take the deliveries at once.
func (s *Store) ReleaseDeliveries(ctx context.Context, owner string) error {
	return s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET lease_owner = '', lease_until = '' WHERE lease_owner = $1 AND state = $2`, owner, OutboxPending); err != nil {
			return fmt.Errorf("release deliveries of %s: %w", owner, err)
		}
		return nil
	})
}

// Retention of finished deliveries and of the tokens in sent mail.
const (
	DeliveryRetention = 30 * 24 * time.Hour
	TokenRetention    = 365 * 24 * time.Hour
)

// PurgeDeliveries deletes sent and dead deliveries older than
// DeliveryRetention, and unsubscribe tokens older than TokenRetention (the
// links in mail that old stop working), and returns how many rows went.
// A notice queued again after its delivery was purged would be sent again.
func (s *Store) PurgeDeliveries(ctx context.Context) (int, error) {
	var n int
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE state <> $1 AND created_at < $2`, OutboxPending, fmtTime(s.now().Add(-DeliveryRetention)))
		if err != nil {
			return fmt.Errorf("purge deliveries: %w", err)
		}
		a, _ := res.RowsAffected()
		res, err = tx.ExecContext(ctx, `DELETE FROM subscriber_tokens WHERE purpose = $1 AND created_at < $2`, tokenUnsubscribe, fmtTime(s.now().Add(-TokenRetention)))
		if err != nil {
			return fmt.Errorf("purge tokens: %w", err)
		}
		b, _ := res.RowsAffected()
		n = int(a + b)
		return nil
	})
	return n, err
}

// OutboxCounts returns how many deliveries are in each state.
func (s *Store) OutboxCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT state, count(*) FROM outbox GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count outbox: %w", err)
	}
	defer rows.Close()
	out := map[string]int{OutboxPending: 0, OutboxSent: 0, OutboxDead: 0}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count outbox: %w", err)
		}
		out[st] = n
	}
	return out, rows.Err()
}

// ComponentChoice is a component of the public page that subscribers can
// choose.
type ComponentChoice struct {
	PublicID string
	Name     string
}

// ComponentChoices lists the page's components in page order, for the
// sign-up form.
func (s *Store) ComponentChoices(ctx context.Context) ([]ComponentChoice, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT public_id, name FROM status_components ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("list component choices: %w", err)
	}
	defer rows.Close()
	out := []ComponentChoice{}
	for rows.Next() {
		var c ComponentChoice
		if err := rows.Scan(&c.PublicID, &c.Name); err != nil {
			return nil, fmt.Errorf("list component choices: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
