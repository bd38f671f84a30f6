// Package logfmt parses web-server logs for the hunt engine: IIS W3C
// extended logs (following every #Fields directive), NCSA common and
// combined logs (Apache, nginx, IPv4 and IPv6 clients) and JSON lines with
// a configurable key mapping.
//
// The package has two layers.
//
// The line layer is the hot path. The hunt engine finds candidate lines
// with literal prefilters over whole buffers and hands only those lines to
// a parser: [IISLayout.Parse], [ParseNCSA] or [ParseJSON]. A parser fills a
// caller-owned [Record] whose values are byte slices aliasing the line, so
// parsing allocates nothing once the Record has grown to the widest line.
// Values that need decoding (IIS writes '+' for spaces in header fields,
// NCSA escapes quotes with backslashes, JSON strings have escapes) are
// decoded lazily, only when asked for, into a per-record scratch buffer.
//
// The stream layer is for simple use and tests: [Open] opens a file and
// gunzips it when its content is gzip; a [Reader] splits a stream into
// lines, detects the format, follows IIS directives, and counts malformed
// lines without ever stopping on them.
//
// Field names are those of Sigma's webserver taxonomy (c-ip, cs-uri-stem,
// cs-user-agent, ...); see [Field]. IIS fields with no Sigma name keep the
// name their #Fields directive gives them, and unmapped JSON keys keep
// their flattened (dotted) key.
package logfmt
