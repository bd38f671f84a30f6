// Package intel imports indicators of compromise from files.
//
// Parse reads one file in one of three formats, detected from the content
// unless Options.Format names one:
//
//   - STIX: a JSON object with "type": "bundle". Objects of type
//     "indicator" whose pattern_type is "stix" (or absent) are imported;
//     other objects are passed over, revoked indicators are counted as
//     skipped. Patterns are read as "STIX patterns" below says.
//     name and description (and the STIX id) become the Note, labels and
//     indicator_types the Tags, confidence the Confidence, valid_from and
//     valid_until FirstSeen and ExpiresAt. object_marking_refs give the TLP:
//     the standard TLP 1.0 and TLP 2.0 marking-definition ids, and
//     marking-definition objects in the bundle that are TLP definitions,
//     carry the TLP 2.0 extension, or are named "TLP:…"; with several, the
//     most restrictive wins; with none, Options.DefaultTLP. Problems carry
//     the line the object starts on and name the indicator's id.
//   - CSV: the first line that is neither blank nor a '#' comment is a
//     header with type and value columns (any case; separated by commas,
//     semicolons or tabs). Optional columns: confidence (0–100, or none,
//     low, medium, high), tlp (clear/white, green, amber, amber+strict,
//     red, with or without "TLP:"), tags (separated by ';' or '|'), note,
//     notes, description and comment (joined into the note), first_seen,
//     last_seen, expires (RFC 3339 or 2006-01-02[ 15:04:05], UTC when no
//     zone), source. Other columns are ignored. An empty type is inferred
//     from the value. Problems carry physical line numbers.
//   - Plain: anything else. One indicator per line, as ParseValue reads it:
//     "type:value" or a bare value whose type InferType tells. '#' starts a
//     comment at the beginning of a line or after white space (so URL
//     fragments survive, and a user agent cannot contain " #").
//
// Values are refanged (hxxp://, [.], (.), [:], [@] …) in plain lists and
// CSV, not in STIX. Every indicator is normalised with
// incident.NormalizeIndicator and passes incident.Indicator.Validate; the
// indicators of one file are de-duplicated by type and value, keeping the
// first. A bad entry never aborts the file: it becomes a Problem. Only
// input that cannot be read is an error: larger than Options.MaxBytes
// (ErrTooLarge), more than MaxIndicators indicators (ErrTooMany), a JSON
// document that is not a STIX bundle or a CSV file without a header
// (ErrFormat), or an I/O error.
//
// # STIX patterns
//
// The STIX 2.1 patterning language (STIX 2.1 §9) is parsed in full, so a
// syntax error anywhere rejects the pattern (with a Problem giving the
// offset). What is imported:
//
//   - observation expressions [ … ] joined by OR, with parentheses;
//   - inside one, property tests joined by OR, with parentheses, each
//     `path = 'value'`, `path IN ('a', 'b')`, or, for IP addresses,
//     `path ISSUBSET 'cidr'` (imported as the cidr);
//   - AND between tests in two forms that still name single values:
//     equalities on several hashes of one file (each hash is imported on its
//     own: any of them identifies the file), and one test on a reference's
//     value with equalities on that reference's type
//     (network-traffic:dst_ref.type = 'ipv4-addr' AND
//     network-traffic:dst_ref.value = '…'), where the type is checked
//     against the value.
//
// Object paths: ipv4-addr:value and ipv6-addr:value (address or prefix; a
// /32 or /128 becomes the address), domain-name:value, url:value, file:name,
// file:hashes.X and artifact:hashes.X for SHA-256, SHA-1 and MD5 (spelt
// 'SHA-256', SHA256, sha256, …), email-addr:value,
// email-message:from_ref.value and sender_ref.value,
// network-traffic:dst_ref.value and src_ref.value (address, prefix or
// domain), and the HTTP request extension's request_value (url_path, or url
// when absolute) and request_header.'User-Agent' (user_agent).
//
// Everything else — AND between observations, other ANDs, FOLLOWEDBY, the
// WITHIN, REPEATS and START/STOP qualifiers, NOT, the operators != < <= >
// >= LIKE MATCHES ISSUPERSET EXISTS, literals other than strings, an empty
// IN set, and other object paths — is reported as
// "unsupported pattern: <the part> (<why>)". An unsupported part joined by
// OR to supported ones does not stop those from being imported; values that
// fail normalisation are reported one by one.
package intel
