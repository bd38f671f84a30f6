package logfmt

import (
	"bytes"
	"encoding/json"
	"maps"
)

// JSONMapping maps JSON keys to field names. Keys of nested objects are
// flattened with dots ({"url":{"path":"/"}} has the key "url.path"), so a
// mapping names dotted keys; a document may also use the dotted key
// directly. Two target names are special:
//
//   - "request" is an HTTP request line ("GET /a?b HTTP/1.1"), split into
//     cs-method, cs-uri-stem, cs-uri-query and cs-version;
//   - "timestamp" is the line's time, which [Record.Time] parses (RFC 3339,
//     NCSA's dd/Mon/yyyy:hh:mm:ss zone, or Unix seconds or milliseconds).
//
// A value mapped to cs-uri-stem that contains '?' is split into stem and
// query. A target name of "-" drops the key. Keys that are not mapped keep
// their flattened key as their field name. When several keys map to the
// same field, the first in the line wins.
type JSONMapping map[string]string

// defaultJSONMapping is documented on DefaultJSONMapping.
var defaultJSONMapping = JSONMapping{
	// nginx variable names, as used by common log_format ... escape=json
	// configurations.
	"remote_addr":       "c-ip",
	"remote_user":       "cs-username",
	"time_iso8601":      "timestamp",
	"time_local":        "timestamp",
	"msec":              "timestamp",
	"request":           "request",
	"request_method":    "cs-method",
	"request_uri":       "cs-uri-stem",
	"uri":               "cs-uri-stem",
	"args":              "cs-uri-query",
	"query_string":      "cs-uri-query",
	"server_protocol":   "cs-version",
	"status":            "sc-status",
	"bytes_sent":        "sc-bytes",
	"body_bytes_sent":   "sc-bytes",
	"request_length":    "cs-bytes",
	"http_host":         "cs-host",
	"host":              "cs-host",
	"http_user_agent":   "cs-user-agent",
	"http_referer":      "cs-referer",
	"http_cookie":       "cs-cookie",
	"content_type":      "cs-content-type",
	"http_content_type": "cs-content-type",
	"server_addr":       "s-ip",
	"server_port":       "s-port",

	// Elastic Common Schema (nested objects or dotted keys).
	"@timestamp":                "timestamp",
	"source.ip":                 "c-ip",
	"client.ip":                 "c-ip",
	"source.address":            "c-ip",
	"client.address":            "c-ip",
	"user.name":                 "cs-username",
	"http.request.method":       "cs-method",
	"url.path":                  "cs-uri-stem",
	"url.original":              "cs-uri-stem",
	"url.query":                 "cs-uri-query",
	"url.domain":                "cs-host",
	"http.version":              "cs-version",
	"http.response.status_code": "sc-status",
	"http.response.bytes":       "sc-bytes",
	"http.response.body.bytes":  "sc-bytes",
	"http.request.bytes":        "cs-bytes",
	"http.request.referrer":     "cs-referer",
	"http.request.mime_type":    "cs-content-type",
	"user_agent.original":       "cs-user-agent",
	"destination.ip":            "s-ip",
	"server.ip":                 "s-ip",
	"destination.port":          "s-port",
	"server.port":               "s-port",
}

// DefaultJSONMapping returns a copy of the mapping used when none is
// given. It covers nginx's variable names (remote_addr, remote_user,
// time_iso8601, time_local, msec, request, request_method, request_uri,
// uri, args, query_string, server_protocol, status, bytes_sent,
// body_bytes_sent, request_length, http_host, host, http_user_agent,
// http_referer, http_cookie, content_type, http_content_type, server_addr,
// server_port) and Elastic Common Schema keys (@timestamp, source.ip,
// client.ip, source.address, client.address, user.name,
// http.request.method, url.path, url.original, url.query, url.domain,
// http.version, http.response.status_code, http.response.bytes,
// http.response.body.bytes, http.request.bytes, http.request.referrer,
// http.request.mime_type, user_agent.original, destination.ip, server.ip,
// destination.port, server.port). nginx's request_time is left unmapped
// because it is in seconds where IIS's time-taken is in milliseconds.
func DefaultJSONMapping() JSONMapping { return maps.Clone(defaultJSONMapping) }

// ParseJSON parses one JSON object (with or without its line terminator)
// into rec, which it resets first, naming fields through m (nil means
// [DefaultJSONMapping]). String values keep their escapes in the line and
// are unescaped when asked for; numbers and booleans keep their literal
// text; null, "" and "-" are absent; arrays are ignored; nested objects
// are flattened with dots. The line must be a single valid JSON object. On
// error rec is left empty and the error is a *LineError.
func ParseJSON(line []byte, m JSONMapping, rec *Record) error {
	rec.Reset()
	line = trimEOL(line)
	if m == nil {
		m = defaultJSONMapping
	}
	p := skipSpace(line)
	if len(p) == 0 || p[0] != '{' {
		return jsonErr(rec, "not a JSON object")
	}
	if !json.Valid(p) {
		return jsonErr(rec, "invalid JSON")
	}
	s := jsonScan{rec: rec, m: m, key: rec.scratch[:0]}
	s.object(p, false)
	// The key buffer borrowed the scratch space; give it back empty so
	// decoded values do not overlap it.
	rec.scratch = s.key[:0]
	rec.line = line
	return nil
}

func jsonErr(rec *Record, reason string) error {
	rec.Reset()
	return lineErr(reason)
}

// jsonScan walks a document json.Valid has accepted.
type jsonScan struct {
	rec *Record
	m   JSONMapping
	key []byte // the flattened key being built
}

// object reads the object at p[0] == '{' and returns the text after it.
// The keys of a nested object are prefixed with the current key and a dot.
func (s *jsonScan) object(p []byte, nested bool) []byte {
	prefix := len(s.key)
	p = skipSpace(p[1:])
	if p[0] == '}' {
		return p[1:]
	}
	for {
		// key
		raw, rest := jsonString(p)
		s.key = s.key[:prefix]
		if nested {
			s.key = append(s.key, '.')
		}
		if bytes.IndexByte(raw, '\\') >= 0 {
			s.key = unescapeJSON(s.key, raw)
		} else {
			s.key = append(s.key, raw...)
		}
		p = skipSpace(rest)
		p = skipSpace(p[1:]) // ':'
		p = s.value(p)
		p = skipSpace(p)
		if p[0] == '}' {
			s.key = s.key[:prefix]
			return p[1:]
		}
		p = skipSpace(p[1:]) // ','
	}
}

// value reads the value at p, records it under the current key, and
// returns the text after it.
func (s *jsonScan) value(p []byte) []byte {
	switch c := p[0]; {
	case c == '{':
		return s.object(p, true)
	case c == '[':
		return skipArray(p)
	case c == '"':
		raw, rest := jsonString(p)
		s.emit(raw, decJSON)
		return rest
	case c == 'n': // null
		return p[4:]
	default: // number, true, false
		n := 0
		for n < len(p) && !isDelim(p[n]) {
			n++
		}
		s.emit(p[:n], decNone)
		return p[n:]
	}
}

func (s *jsonScan) emit(v []byte, d decoding) {
	r := s.rec
	target, ok := s.m[string(s.key)]
	if !ok {
		r.addJSON(r.intern(s.key), FieldOther, v, d)
		return
	}
	switch target {
	case "-":
	case "request":
		if absent(v) {
			return
		}
		method, uri, version := splitRequest(v)
		stem, query := splitURI(uri)
		r.addJSON("", FieldMethod, method, d)
		r.addJSON("", FieldURIStem, stem, d)
		r.addJSON("", FieldURIQuery, query, d)
		r.addJSON("", FieldVersion, version, d)
	case "cs-uri-stem":
		stem, query := splitURI(v)
		r.addJSON("", FieldURIStem, stem, d)
		r.addJSON("", FieldURIQuery, query, d)
	default:
		id, _ := FieldByName(target)
		r.addJSON(target, id, v, d)
	}
}

// addJSON adds a field of a JSON line; the first value of a name wins,
// and absent values are dropped.
func (r *Record) addJSON(name string, id Field, v []byte, d decoding) {
	if absent(v) {
		return
	}
	if id != FieldOther {
		name = id.String()
	}
	if r.dyn.add(name, id, d, true) >= 0 {
		r.vals = append(r.vals, v)
	}
}

// intern returns key as a string, reusing the string of an earlier line
// (up to a bound, so hostile input cannot grow the table without limit).
func (r *Record) intern(key []byte) string {
	if s, ok := r.names[string(key)]; ok {
		return s
	}
	s := string(key)
	if r.names == nil {
		r.names = make(map[string]string)
	}
	if len(r.names) < 1024 {
		r.names[s] = s
	}
	return s
}

// jsonString returns the raw content of the string at p[0] == '"' and the
// text after its closing quote: the first quote not escaped by an odd run
// of backslashes (the document is valid JSON).
func jsonString(p []byte) (raw, rest []byte) {
	for i := 1; ; {
		j := bytes.IndexByte(p[i:], '"')
		if j < 0 { // not reached for valid JSON
			return p[1:], p[len(p):]
		}
		q := i + j
		bs := 0
		for k := q - 1; k >= 1 && p[k] == '\\'; k-- {
			bs++
		}
		if bs%2 == 0 {
			return p[1:q], p[q+1:]
		}
		i = q + 1
	}
}

// skipArray returns the text after the array at p[0] == '['.
func skipArray(p []byte) []byte {
	depth := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				return p[i+1:]
			}
		case '"':
			_, rest := jsonString(p[i:])
			i = len(p) - len(rest) - 1
		}
	}
	return p[len(p):]
}

func isDelim(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

func skipSpace(p []byte) []byte {
	for len(p) > 0 && (p[0] == ' ' || p[0] == '\t' || p[0] == '\n' || p[0] == '\r') {
		p = p[1:]
	}
	return p
}
