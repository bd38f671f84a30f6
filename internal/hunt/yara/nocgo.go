//go:build !cgo

package yara

import "time"

// Available reports whether this build has libyara (it needs cgo).
const Available = false

// Rules is a compiled rule set; without cgo there are none.
type Rules struct{}

// Compile returns ErrUnavailable: libyara needs cgo.
func Compile(sources map[string][]byte) (*Rules, error) { return nil, ErrUnavailable }

// Len returns 0.
func (r *Rules) Len() int { return 0 }

// Warnings returns nil.
func (r *Rules) Warnings() []*Error { return nil }

// ScanMem returns ErrUnavailable.
func (r *Rules) ScanMem(buf []byte, timeout time.Duration) ([]Match, error) {
	return nil, ErrUnavailable
}

// ScanFile returns ErrUnavailable.
func (r *Rules) ScanFile(path string, timeout time.Duration) ([]Match, error) {
	return nil, ErrUnavailable
}
