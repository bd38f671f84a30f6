package incident

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// GenesisHash is the "previous hash" of the first audit entry.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// AuditEntry records one mutation of the record. Entries form a hash chain:
// each carries the hash of the one before, so changing, inserting or
// removing an entry breaks every hash after it.
type AuditEntry struct {
	Seq      int64     `json:"seq"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"`
	Incident string    `json:"incident,omitempty"`
	Target   string    `json:"target,omitempty"`
	Detail   string    `json:"detail,omitempty"` // JSON
	PrevHash string    `json:"prev_hash"`
	Hash     string    `json:"hash"`
}

// ComputeHash returns the hash the entry should carry: SHA-256 over every
// field but Hash itself, each written as its decimal length, a colon and its
// raw bytes, so that no two different entries share an encoding.
func (e AuditEntry) ComputeHash() string {
	h := sha256.New()
	for _, f := range []string{strconv.FormatInt(e.Seq, 10), e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Action, e.Incident, e.Target, e.Detail, e.PrevHash} {
		h.Write([]byte(strconv.Itoa(len(f)) + ":"))
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}
