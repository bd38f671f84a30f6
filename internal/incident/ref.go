package incident

import (
	"fmt"
	"regexp"
	"strconv"
)

var refPattern = regexp.MustCompile(`^INC-([0-9]{4})-([0-9]{4,9})$`)

// FormatRef returns the reference of the n-th incident of a year, such as INC-2026-0001.
func FormatRef(year, n int) string { return fmt.Sprintf("INC-%04d-%04d", year, n) }

// ParseRef splits a reference into its year and number.
func ParseRef(ref string) (year, n int, err error) {
	m := refPattern.FindStringSubmatch(ref)
	if m == nil {
		return 0, 0, fmt.Errorf("%q is not an incident reference like INC-2026-0001", ref)
	}
	year, _ = strconv.Atoi(m[1])
	n, _ = strconv.Atoi(m[2])
	if n == 0 || year == 0 || FormatRef(year, n) != ref {
		return 0, 0, fmt.Errorf("%q is not an incident reference: want the form INC-2026-0001", ref)
	}
	return year, n, nil
}
