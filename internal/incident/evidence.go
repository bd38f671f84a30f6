package incident

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CheckEvidenceName accepts a file name for display only: evidence is stored
// by its hash, and a name never becomes a path. Names that look like paths
// (separators, "." or "..") or carry control characters are refused so that
// nobody downstream is tempted.
func CheckEvidenceName(name string) error {
	switch {
	case name == "":
		return &ValidationError{"name", "is required"}
	case len(name) > 255:
		return &ValidationError{"name", fmt.Sprintf("is %d bytes long, the limit is 255", len(name))}
	case !utf8.ValidString(name):
		return &ValidationError{"name", "is not valid UTF-8"}
	case name == "." || name == ".." || strings.Contains(name, ".."):
		return &ValidationError{"name", fmt.Sprintf("%q contains \"..\"", name)}
	case strings.ContainsAny(name, `/\:`):
		return &ValidationError{"name", fmt.Sprintf("%q contains a path separator", name)}
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return &ValidationError{"name", fmt.Sprintf("%q contains a control character", name)}
		}
	}
	return nil
}
