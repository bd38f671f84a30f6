//go:build !linux

package hunt

import (
	"errors"
	"os"
)

// canMap says log files are scanned through memory maps: here they are
// read.
const canMap = false

func mapWhole(*os.File, int64) ([]byte, error) { return nil, errors.ErrUnsupported }

func unmapWhole([]byte) {}

func dropPages([]byte) {}
