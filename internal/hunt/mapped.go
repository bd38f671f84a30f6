package hunt

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"runtime/debug"
	"sync"
)

// mappedFile is a log file mapped into memory whole. Scanning the page
// cache where it is, rather than copying each chunk out with read(2), saves
// about a tenth of a hunt's time on large logs (bench/RESULTS.md); the
// process's memory stays bounded because each chunk's pages are dropped
// from it once the chunk is scanned.
type mappedFile struct {
	data []byte
	once sync.Once
}

// done drops the pages that lie wholly inside data[off:off+n], a scanned
// chunk.
func (m *mappedFile) done(off, n int) {
	page := os.Getpagesize()
	lo := (off + page - 1) / page * page
	hi := (off + n) / page * page
	if hi > lo {
		dropPages(m.data[lo:hi])
	}
}

func (m *mappedFile) unmap() { m.once.Do(func() { unmapWhole(m.data) }) }

// errShrunk is the problem reported for a file cut short while mapped.
var errShrunk = errors.New("the file shrank while it was read (truncated or rotated?); the rest of it was not hunted")

// isFault reports whether a recovered panic is a memory fault, as
// debug.SetPanicOnFault makes them.
func isFault(r any) bool {
	_, ok := r.(interface{ Addr() uintptr })
	return ok
}

// mapFile hunts in a plain log file through a memory map. mapped is false
// when the file is not one to map (compressed, not a regular file, empty,
// or maps are not available here): then nothing was handed out and the
// file should be read. A file that shrinks while mapped makes the next
// access fault; that becomes errShrunk, here and in scanSafely.
func (e *Engine) mapFile(ctx context.Context, fc *fileChunker, progress Progress) (mapped bool, err error) {
	if !canMap || e.noMap {
		return false, nil
	}
	f, err := os.Open(fc.path)
	if err != nil {
		return false, nil // reading reports it
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() || info.Size() == 0 {
		return false, nil
	}
	var magic [2]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil || magic == [2]byte{0x1f, 0x8b} {
		return false, nil // gzip, or unreadable: read it
	}
	data, err := mapWhole(f, info.Size())
	if err != nil {
		return false, nil
	}
	m := &mappedFile{data: data}
	sentLast := false
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if !isFault(r) {
				panic(r)
			}
			err = errShrunk
		}
		if !sentLast {
			// The collector releases the map after the file's chunks.
			fc.ordered <- &chunk{file: fc.path, mapped: m, last: true, done: resultOf()}
		}
	}()
	want := e.opt.ChunkSize
	for off := 0; off < len(data); {
		end := min(off+want, len(data))
		if err := fc.detect(data[off:end]); err != nil {
			return true, err
		}
		if end < len(data) {
			i := bytes.LastIndexByte(data[off:end], '\n')
			if i < 0 {
				if end-off < maxLine {
					want *= 2 // a line longer than the chunk: take more
					continue
				}
				// One enormous line: report it and go on after it.
				fc.skipped()
				next := len(data)
				if j := bytes.IndexByte(data[end:], '\n'); j >= 0 {
					next = end + j + 1
				}
				if progress != nil {
					progress.Add(int64(next - off))
				}
				off = next
				continue
			}
			end = off + i + 1
		}
		if progress != nil {
			progress.Add(int64(end - off))
		}
		last := end == len(data)
		if err := fc.send(ctx, data[off:end:end], m, off, last); err != nil {
			return true, err
		}
		sentLast = last
		off, want = end, e.opt.ChunkSize
	}
	return true, nil
}

// scanSafely is scanChunk for a worker whose goroutine panics on memory
// faults: a fault in a mapped chunk (its file shrank) becomes a problem,
// and the worker's scratch memory starts afresh.
func (e *Engine) scanSafely(c *chunk, sc *scratch) (res chunkResult) {
	if c.mapped != nil {
		defer func() {
			if r := recover(); r != nil {
				if !isFault(r) {
					panic(r)
				}
				*sc = scratch{}
				res = chunkResult{}
				res.problem(c.file, c.line0, errShrunk.Error())
			}
		}()
	}
	return e.scanChunk(c, sc)
}
