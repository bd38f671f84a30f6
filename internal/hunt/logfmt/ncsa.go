package logfmt

import (
	"bytes"
)

// ParseNCSA parses an NCSA common or combined log line (with or without its
// line terminator) into rec, which it resets first:
//
//	host ident user [dd/Mon/yyyy:hh:mm:ss zone] "request" status bytes ["referer" "user-agent"]
//
// host becomes c-ip (IPv4, IPv6 or a name), user cs-username, the
// bracketed time timestamp, the request line cs-method, cs-uri-stem,
// cs-uri-query (split at the first '?') and cs-version, status sc-status,
// bytes sc-bytes, and in the combined format referer and user agent
// cs-referer and cs-user-agent. ident is dropped. "-" values are absent.
// Quoted fields may contain backslash escapes (\" \\ \xhh ...), which Get
// resolves. Anything after the user agent (fields that custom formats
// append) is ignored. On error rec is left empty and the error is a
// *LineError.
func ParseNCSA(line []byte, rec *Record) error {
	_, err := parseNCSA(line, rec)
	return err
}

// Positions of the NCSA schema.
const (
	ncsaHost = iota
	ncsaUser
	ncsaTime
	ncsaMethod
	ncsaStem
	ncsaQuery
	ncsaVersion
	ncsaStatus
	ncsaBytes
	ncsaReferer
	ncsaAgent
	ncsaFields
)

var ncsaSchema = func() *schema {
	s := new(schema)
	for _, f := range []struct {
		id  Field
		dec decoding
	}{
		ncsaHost:    {FieldClientIP, decNone},
		ncsaUser:    {FieldUsername, decBackslash},
		ncsaTime:    {FieldTimestamp, decNone},
		ncsaMethod:  {FieldMethod, decBackslash},
		ncsaStem:    {FieldURIStem, decBackslash},
		ncsaQuery:   {FieldURIQuery, decBackslash},
		ncsaVersion: {FieldVersion, decBackslash},
		ncsaStatus:  {FieldStatus, decNone},
		ncsaBytes:   {FieldBytesSent, decNone},
		ncsaReferer: {FieldReferer, decBackslash},
		ncsaAgent:   {FieldUserAgent, decBackslash},
	} {
		s.add(f.id.String(), f.id, f.dec, false)
	}
	return s
}()

// parseNCSA is ParseNCSA, also reporting whether the line has the two
// quoted fields of the combined format.
func parseNCSA(line []byte, rec *Record) (combined bool, err error) {
	rec.Reset()
	line = trimEOL(line)
	p := line

	host, p, ok := word(p)
	if !ok || len(host) == 0 {
		return false, ncsaErr(rec, "missing host")
	}
	_, p, ok = word(p) // ident
	if !ok {
		return false, ncsaErr(rec, "missing ident")
	}
	user, p, ok := word(p)
	if !ok {
		return false, ncsaErr(rec, "missing user")
	}
	if len(p) == 0 || p[0] != '[' {
		return false, ncsaErr(rec, "missing [time]")
	}
	end := bytes.IndexByte(p, ']')
	if end < 0 {
		return false, ncsaErr(rec, "unterminated [time]")
	}
	ts := p[1:end]
	if _, ok := parseNCSATime(ts); !ok {
		return false, ncsaErr(rec, "bad time")
	}
	p = p[end+1:]
	if len(p) < 2 || p[0] != ' ' || p[1] != '"' {
		return false, ncsaErr(rec, "missing quoted request")
	}
	req, p, ok := quoted(p[1:])
	if !ok {
		return false, ncsaErr(rec, "unterminated quoted request")
	}
	if len(p) == 0 || p[0] != ' ' {
		return false, ncsaErr(rec, "missing status")
	}
	status, p, _ := word(p[1:])
	if len(status) != 3 || !digits(status) {
		return false, ncsaErr(rec, "bad status")
	}
	size, p, more := word(p)
	if len(size) == 0 {
		return false, ncsaErr(rec, "missing byte count")
	}
	if !absent(size) && !digits(size) {
		return false, ncsaErr(rec, "bad byte count")
	}
	var ref, ua []byte
	if more && len(p) > 0 {
		if p[0] != '"' {
			return false, ncsaErr(rec, "unexpected text after byte count")
		}
		if ref, p, ok = quoted(p); !ok {
			return false, ncsaErr(rec, "unterminated quoted referer")
		}
		if len(p) < 2 || p[0] != ' ' || p[1] != '"' {
			return false, ncsaErr(rec, "missing quoted user agent")
		}
		if ua, _, ok = quoted(p[1:]); !ok {
			return false, ncsaErr(rec, "unterminated quoted user agent")
		}
		combined = true
	}

	vals := append(rec.vals[:0], make([][]byte, ncsaFields)...)[:ncsaFields]
	vals[ncsaHost] = host
	vals[ncsaUser] = orNil(user)
	vals[ncsaTime] = ts
	if !absent(req) {
		method, uri, version := splitRequest(req)
		stem, query := splitURI(uri)
		vals[ncsaMethod] = orNil(method)
		vals[ncsaStem] = orNil(stem)
		vals[ncsaQuery] = orNil(query)
		vals[ncsaVersion] = orNil(version)
	}
	vals[ncsaStatus] = status
	vals[ncsaBytes] = orNil(size)
	vals[ncsaReferer] = orNil(ref)
	vals[ncsaAgent] = orNil(ua)
	rec.vals = vals
	rec.sch = ncsaSchema
	rec.line = line
	return combined, nil
}

func ncsaErr(rec *Record, reason string) error {
	rec.Reset()
	return lineErr(reason)
}

// word returns the text up to the next space, the text after that space,
// and whether there was a space.
func word(p []byte) (w, rest []byte, ok bool) {
	sp := bytes.IndexByte(p, ' ')
	if sp < 0 {
		return p, nil, false
	}
	return p[:sp], p[sp+1:], true
}

// quoted reads a double-quoted field starting at p[0] == '"', where a
// backslash escapes the next byte. It returns the content (escapes not
// resolved) and the text after the closing quote.
func quoted(p []byte) (val, rest []byte, ok bool) {
	for i := 1; i < len(p); {
		j := bytes.IndexByte(p[i:], '"')
		if j < 0 {
			return nil, nil, false
		}
		q := i + j
		bs := 0
		for k := q - 1; k >= 1 && p[k] == '\\'; k-- {
			bs++
		}
		if bs%2 == 0 {
			return p[1:q], p[q+1:], true
		}
		i = q + 1
	}
	return nil, nil, false
}

func digits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
