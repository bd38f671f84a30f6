// Package sigma loads Sigma rules for web-server logs and evaluates them
// against log events.
//
// [Parse] compiles the rules of one file (several YAML documents may
// follow each other), [LoadDir] a directory tree, [Check] either for
// "firebreak rules check". A compiled [Rule] keeps its metadata and
// evaluates events with [Rule.Match], which does not allocate: values are
// lowered, regular expressions compiled, CIDRs parsed and modifiers applied
// once, at load time. [Rule.Literals] gives a hunt engine strings to
// prefilter whole buffers with.
//
// # What is supported
//
// Semantics follow the Sigma specification (rules 2.0, modifiers 2.1):
//
//   - Search identifiers: a map is an AND of field conditions; a list of
//     maps an OR of them; a list of strings (or a single string) is a
//     keyword search against the raw line, any keyword matching anywhere in
//     it; a map key with no field name ("|all": [...]) is a keyword search
//     with modifiers. A field with a list of values matches when any value
//     does, or every value with the all modifier.
//   - Values are strings: numbers and booleans are compared as the text
//     written in the rule. Matching is case-insensitive unless cased is
//     given; the folding is ASCII's (A–Z equal a–z, other bytes only
//     themselves), the same a byte-oriented prefilter uses.
//   - Wildcards: '*' is any run of characters and '?' one character.
//     A backslash escapes '*', '?' and itself ("\*", "\?", "\\"); a
//     backslash before anything else is a plain backslash, so "C:\Windows"
//     and "C:\\Windows" are the same value.
//   - null, and the empty string, match a field that is absent or empty
//     (web logs write both as "-", which parsers report as absent). exists:
//     true/false tests presence alone.
//   - Modifiers: contains, startswith, endswith, all, cased, neq (the field
//     is present and equals none of the values), exists, re with the
//     sub-modifiers i, m and s (Go RE2 syntax, which covers the PCRE subset
//     the specification allows; matched anywhere in the value unless
//     anchored; under i ASCII letters fold to their ASCII case only, as in
//     PCRE), cidr (IPv4 and IPv6; IPv4-mapped IPv6 addresses are
//     unmapped), lt/lte/gt/gte (numeric, the field parsed as a decimal
//     number), base64 (padded standard encoding), base64offset (the three
//     shifted encodings, with contains), wide/utf16le, utf16be, utf16 (BOM
//     and little-endian), windash (every '-', '/', '–', '—' and '―' in the
//     value may be any of the five; at most four per value) and fieldref
//     (the field equals another field of the same event).
//   - Modifier chains are checked: transformations apply in the order
//     written (windash before encodings, utf16 before base64, base64 before
//     contains/startswith/endswith); re comes first and takes only i, m, s
//     and all; cidr and exists stand alone; numeric comparisons take only
//     all; contains, startswith and endswith exclude each other.
//   - Conditions: and, or, not, parentheses, identifiers, "1 of", "any of"
//     and "all of" a pattern ('*' wildcards) or "them" (every identifier
//     not starting with '_'), with the specification's precedence (not
//     binds tighter than and, and than or). A list of conditions is their
//     OR.
//   - Log sources: category webserver (with product apache, nginx, iis,
//     windows or linux, or service apache, nginx, iis or access), or
//     product or service apache, nginx or iis.
//
// # What is rejected
//
// A rule the engine cannot evaluate exactly is rejected with an [*Error]
// naming the file, the YAML line and the reason — never loaded in part:
// unknown modifiers; expand (placeholders need a processing pipeline);
// invalid modifier chains (cidr|contains, re after another modifier,
// base64 after contains, ...); bad regular expressions, CIDRs and numbers;
// conditions with aggregations ("| count() > 5"), "near", unknown
// identifiers, patterns that match no identifier, or nesting deeper than 64
// levels; other log sources; rule collections (action: global, reset,
// repeat: the whole file is rejected), correlation rules and filters;
// taxonomies other than Sigma's; timeframe; YAML aliases and merge keys;
// rules over the size limits ([MaxFileSize] per file, [MaxValues] values
// per rule); duplicate rule ids.
//
// # Matching and prefiltering
//
// Match is meant for candidate lines: a hunt engine searches whole buffers
// for the strings [Rule.Literals] returns and evaluates a rule only on the
// lines that hold one of them (rules whose literals are not ok must see
// every line). [Rule.Fields] names the fields a rule reads, so that a
// parser can decode only those.
package sigma
