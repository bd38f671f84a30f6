package status

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// exportMarker is written into every export; Export replaces an existing
// directory only if it is empty or carries this marker, so a mistyped DIR
// can never wipe someone's files.
const exportMarker = ".firebreak-status-export"

// Export writes every file of s under dir (see the package documentation
// for the layout). It builds the new tree in a temporary sibling directory
// and renames it into place, so a web server or a sync reading dir sees the
// old export or the new one, never a mix; the previous export is removed.
// dir must not exist, be empty, or hold a previous export.
func Export(s *Snapshot, dir string) error {
	dir = filepath.Clean(dir)
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	if err := checkExportTarget(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("export status page: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-")
	if err != nil {
		return fmt.Errorf("export status page: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("export status page: %w", err)
	}
	for _, e := range s.entries {
		if err := writeFile(filepath.Join(tmp, filepath.FromSlash(e.File)), e.Body); err != nil {
			return fmt.Errorf("export %s: %w", e.Path, err)
		}
	}
	if err := writeFile(filepath.Join(tmp, exportMarker), []byte("Written by firebreak status export; the directory is replaced on each export.\n")); err != nil {
		return fmt.Errorf("export status page: %w", err)
	}
	if err := syncTree(tmp); err != nil {
		return fmt.Errorf("export status page: %w", err)
	}

	// Swap: move the old tree aside, the new one in, then drop the old.
	var old string
	if _, err := os.Lstat(dir); err == nil {
		old = filepath.Join(parent, "."+base+".old-"+randomSuffix())
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("export status page: move previous export aside: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			_ = os.Rename(old, dir) // put the previous export back
		}
		return fmt.Errorf("export status page: %w", err)
	}
	if err := syncDir(parent); err != nil {
		return fmt.Errorf("export status page: %w", err)
	}
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("export status page: remove previous export: %w", err)
		}
	}
	return nil
}

// checkExportTarget refuses to replace anything but nothing, an empty
// directory or a previous export.
func checkExportTarget(dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("export status page: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("export status page: %s exists and is not a directory", dir)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("export status page: %w", err)
	}
	if len(ents) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, exportMarker)); err != nil {
		return fmt.Errorf("export status page: refusing to replace %s: it is neither empty nor a previous export (no %s)", dir, exportMarker)
	}
	return nil
}

func writeFile(name string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncTree flushes the entries of dir and of every directory below it, so
// the files are durable before the rename publishes them.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return syncDir(p)
	})
}

// syncDir flushes one directory's entries.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
