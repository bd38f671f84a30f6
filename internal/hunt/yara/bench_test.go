//go:build cgo

package yara

import (
	"math/rand/v2"
	"testing"
	"time"
)

func benchScan(b *testing.B, r *Rules, size int) {
	buf := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.ScanMem(buf, time.Minute); err != nil {
				b.Error(err)
			}
		}
	})
}

// BenchmarkScanMem scans 32 KiB random buffers (a generated tree's average
// file) from GOMAXPROCS goroutines.
func BenchmarkScanMem(b *testing.B) {
	b.Run("builtin", func(b *testing.B) { benchScan(b, builtin(b), 32<<10) })
	empty, err := Compile(map[string][]byte{"e.yar": []byte("rule e { condition: false }")})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("no-strings", func(b *testing.B) { benchScan(b, empty, 32<<10) })
	b.Run("builtin-1MiB", func(b *testing.B) { benchScan(b, builtin(b), 1<<20) })
	b.Run("builtin-16B", func(b *testing.B) { benchScan(b, builtin(b), 16) }) // the fixed cost of a scan
}
