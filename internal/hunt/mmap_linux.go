package hunt

import (
	"os"
	"strconv"
	"syscall"
)

// canMap says log files are scanned through memory maps: on 64-bit Linux.
const canMap = strconv.IntSize == 64

// mapWhole maps the first size bytes of f read-only.
func mapWhole(f *os.File, size int64) ([]byte, error) {
	return syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
}

func unmapWhole(data []byte) { _ = syscall.Munmap(data) }

// dropPages tells the system the process is done with these pages of the
// map (whole pages, page-aligned): they leave its memory, not the cache.
func dropPages(b []byte) { _ = syscall.Madvise(b, syscall.MADV_DONTNEED) }
