package incident

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CheckEvidenceName accepts a file name for display only: evidence is stored
// by its hash, and a name never becomes a path. Names that look like paths
// (separators, "." or anything with "..") or carry control or formatting
// characters (such as a right-to-left override) are refused so that nobody
// downstream is tempted or fooled.
func CheckEvidenceName(name string) error {
	switch {
	case name == "":
		return &ValidationError{"name", "is required"}
	case len(name) > 255:
		return &ValidationError{"name", fmt.Sprintf("is %d bytes long, the limit is 255", len(name))}
	case !utf8.ValidString(name):
		return &ValidationError{"name", "is not valid UTF-8"}
	case strings.TrimSpace(name) == "":
		return &ValidationError{"name", "is blank"}
	case name == ".":
		return &ValidationError{"name", `"." is not a file name`}
	case strings.Contains(name, ".."):
		return &ValidationError{"name", fmt.Sprintf("%q contains \"..\"", name)}
	case strings.ContainsAny(name, `/\:`):
		return &ValidationError{"name", fmt.Sprintf("%q contains a path separator", name)}
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return &ValidationError{"name", fmt.Sprintf("%q contains a control or formatting character", name)}
		}
	}
	return nil
}
