package intel

import (
	"bytes"
	"fmt"
	"strings"
)

// plain reads a plain list: one indicator per line as ParseValue reads it,
// blank lines, whole-line comments starting with '#', and trailing comments
// starting with white space and '#'.
func (p *parser) plain(data []byte) error {
	for line := 1; len(data) > 0; line++ {
		var l []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			l, data = data, nil
		}
		if len(l) > MaxLine {
			p.reject(line, fmt.Sprintf("line is %d bytes long, the limit is %d", len(l), MaxLine))
			continue
		}
		s := strings.TrimSpace(stripComment(string(l)))
		if s == "" {
			p.res.Skipped++
			continue
		}
		t, v, err := ParseValue(s)
		if err != nil {
			p.reject(line, err.Error())
			continue
		}
		if err := p.add(line, p.newIndicator(t, v)); err != nil {
			return err
		}
	}
	return nil
}

// stripComment removes a comment: from a '#' at the start of the line (after
// optional white space), or from a '#' that follows a space or tab.
func stripComment(s string) string {
	lead := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '#' && (lead || s[i-1] == ' ' || s[i-1] == '\t') {
			return s[:i]
		}
		if c != ' ' && c != '\t' && c != '\r' {
			lead = false
		}
	}
	return s
}
