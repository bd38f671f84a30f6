// Package yara compiles YARA rules and scans files and buffers with them,
// through libyara (real YARA semantics). The binding,
// github.com/Velocidex/go-yara, carries libyara's C sources (YARA 3.8.1), so
// a build needs cgo and gcc and nothing installed.
//
// Each source file is compiled into its own namespace, named after the file,
// so rule sets that reuse a rule name in different files load together. A
// file that does not compile is rejected with its file, line and reason; no
// rule is ever dropped silently. Includes are disabled: give every file (or
// the directory) instead.
//
// *Rules is safe for concurrent use: libyara scans one rule set from up to
// 32 threads at once, and this package never lets more than that run.
//
// In a build without cgo the package still compiles, and Compile and
// LoadPath return ErrUnavailable.
package yara
