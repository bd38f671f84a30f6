//go:build !cgo

package yara

import (
	"errors"
	"testing"
)

func TestUnavailableWithoutCgo(t *testing.T) {
	if _, err := LoadPath("../rules/toolshell.yar"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("LoadPath without cgo = %v, want ErrUnavailable", err)
	}
}
