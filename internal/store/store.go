// Package store keeps the incident record in SQLite (embedded, the default)
// or PostgreSQL (for several replicas), through one concrete *Store on
// database/sql. The SQL is written once and runs on both; the schema comes
// from embedded numbered migrations. Every mutation writes a hash-chained
// audit entry in its own transaction.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Errors callers check with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
	ErrSchema   = errors.New("database schema does not match this binary")
)

// Dialect is the SQL database behind a Store.
type Dialect string

// Dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is the incident record's storage.
type Store struct {
	dialect Dialect
	w       *sql.DB // writes (SQLite: one connection)
	r       *sql.DB // reads (PostgreSQL: the same pool)
	now     func() time.Time
	// statusCheck validates the public page inside each status change.
	statusCheck func(StatusData) error

	queue   chan *txReq
	closed  chan struct{}
	stopped chan struct{}
	once    sync.Once
}

// Options tune Open.
type Options struct {
	// Now returns the current time; tests set it. Defaults to time.Now.
	Now func() time.Time
	// ReadConns bounds SQLite reader connections (default 4).
	ReadConns int
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to dsn: a postgres:// URL, or otherwise the path of a SQLite
// file (created if missing). It does not migrate; see Migrate and CheckSchema.
func Open(ctx context.Context, dsn string, opt Options) (*Store, error) {
	s := &Store{now: opt.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if IsPostgres(dsn) {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(16)
		db.SetConnMaxIdleTime(5 * time.Minute)
		s.dialect, s.w, s.r = Postgres, db, db
	} else {
		// WAL lets readers run beside the one writer; synchronous=FULL makes
		// every acknowledged commit durable across power loss, not only a crash.
		base := "file:" + dsn + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)"
		w, err := sql.Open("sqlite", base+"&_pragma=synchronous(FULL)&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
		}
		w.SetMaxOpenConns(1)
		r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
		}
		n := opt.ReadConns
		if n <= 0 {
			n = 4
		}
		r.SetMaxOpenConns(n)
		s.dialect, s.w, s.r = SQLite, w, r
	}
	s.queue, s.closed, s.stopped = make(chan *txReq), make(chan struct{}), make(chan struct{})
	go s.committer()
	if err := s.w.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect to %s database: %w", s.dialect, err)
	}
	return s, nil
}

// Now is the store's clock: what it stamps writes with.
func (s *Store) Now() time.Time { return s.now() }

// Dialect reports which database the store uses.
func (s *Store) Dialect() Dialect { return s.dialect }

// Close releases the database connections.
func (s *Store) Close() error {
	s.once.Do(func() { close(s.closed) })
	<-s.stopped
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.r.PingContext(ctx) }

// tx runs fn in a write transaction and returns once it is committed.
//
// Writes are group-committed: one goroutine takes every transaction waiting
// at that moment (up to maxBatch), runs each inside its own SAVEPOINT in one
// database transaction, and commits once. A function that fails is rolled
// back to its savepoint alone. So concurrent writers share one fsync instead
// of paying one each, and every caller still hears back only after its
// write is durable.
//
// Once a write has been picked up it runs to the end: fn receives a context
// that carries the caller's values but not its cancellation, because a
// cancelled statement would abort the transaction it shares with others.
func (s *Store) tx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	req := &txReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.queue <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closed:
		return errors.New("store is closed")
	}
	return <-req.done
}

type txReq struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
	err  error
}

const maxBatch = 128

// committer runs write transactions in batches until the store closes.
func (s *Store) committer() {
	defer close(s.stopped)
	for {
		var first *txReq
		select {
		case first = <-s.queue:
		case <-s.closed:
			return
		}
		batch := []*txReq{first}
	fill:
		for len(batch) < maxBatch {
			select {
			case r := <-s.queue:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		s.commitBatch(batch)
	}
}

func (s *Store) commitBatch(batch []*txReq) {
	finish := func(err error) {
		for _, r := range batch {
			if err != nil {
				r.done <- err
			} else {
				r.done <- r.err
			}
		}
	}
	if len(batch) == 1 {
		// No savepoint needed for a batch of one.
		finish(s.runTx(batch[0].ctx, batch[0].fn))
		return
	}
	ctx := context.Background()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		finish(fmt.Errorf("begin: %w", err))
		return
	}
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT w`); err != nil {
			_ = tx.Rollback()
			finish(fmt.Errorf("savepoint: %w", err))
			return
		}
		if r.err = r.fn(context.WithoutCancel(r.ctx), tx); r.err != nil {
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT w`); err != nil {
				_ = tx.Rollback()
				finish(fmt.Errorf("roll back to savepoint: %w", err))
				return
			}
		}
		if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT w`); err != nil {
			_ = tx.Rollback()
			finish(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		finish(fmt.Errorf("commit: %w", err))
		return
	}
	finish(nil)
}

// runTx runs fn in a transaction of its own.
func (s *Store) runTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(ctx, tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// isUnique reports whether err is a unique-constraint violation.
func isUnique(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// timeFormat is fixed-width so that stored times sort and compare as text.
const timeFormat = "2006-01-02T15:04:05.000000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func fmtTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return fmtTime(*t)
}

// timeCol scans a stored time into *t.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	s, err := textOf(src)
	if err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("stored time %q: %w", s, err)
	}
	*c.t = t.UTC()
	return nil
}

// nullTimeCol scans a nullable stored time into *t.
type nullTimeCol struct{ t **time.Time }

func (c nullTimeCol) Scan(src any) error {
	if src == nil {
		*c.t = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(src); err != nil {
		return err
	}
	*c.t = &t
	return nil
}

func textOf(src any) (string, error) {
	switch v := src.(type) {
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	}
	return "", fmt.Errorf("stored value %T is not text", src)
}

// Page selects a slice of a list: items with an id greater than After, at
// most Limit of them (default 100, maximum 1000).
type Page struct {
	After int64
	Limit int
}

func (p Page) limit() int {
	switch {
	case p.Limit <= 0:
		return 100
	case p.Limit > 1000:
		return 1000
	}
	return p.Limit
}

// Backup writes a consistent copy of a SQLite database to path while the
// store keeps serving (VACUUM INTO). PostgreSQL has its own tools.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.dialect != SQLite {
		return errors.New("backup: use pg_dump for PostgreSQL")
	}
	if _, err := s.w.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}
