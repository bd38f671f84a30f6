//go:build cgo

package yara

import (
	"bytes"
	"regexp"
)

// libyara (3.8 here, and 4.2 in Debian's yara) evaluates integer division
// ('\') and modulo ('%') with the C operators, and INT64_MIN \ -1 or
// INT64_MIN % -1 raises SIGFPE, which kills the process, whether the
// compiler folds the constants or the scanner meets the values in a file:
//
//	rule r { condition: (-9223372036854775807 - 1) \ -1 == 0 }
//
// The divisor must be -1 for that, so checkArithmetic lets a division or
// modulo through only when its divisor is a number literal (YARA literals
// are never negative), optionally in parentheses, and rejects the rule
// file otherwise, before libyara sees it.

// divisor matches a YARA number literal: decimal (with KB or MB), hex,
// octal or float.
var divisor = regexp.MustCompile(`^(0x[0-9a-fA-F]+|0o[0-7]+|[0-9]+\.[0-9]+|[0-9]+(KB|MB)?)`)

// checkArithmetic finds every '\' and '%' operator in the rule text (outside
// comments, text strings and regular expressions, the way YARA's lexer
// reads them) and returns an *Error for the first whose divisor is not a
// literal.
func checkArithmetic(name string, src []byte) *Error {
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			i = skipLine(src, i)
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			i = skipBlock(src, i)
		case c == '"':
			i = skipQuoted(src, i, '"')
		case c == '/':
			i = skipQuoted(src, i, '/') // a regular expression
		case c == '\\' || c == '%':
			if !literalDivisor(src[i+1:]) {
				return &Error{File: name, Line: 1 + bytes.Count(src[:i], []byte{'\n'}),
					Reason: "integer division or modulo by something other than a number literal is refused " +
						"(libyara kills the process on INT64_MIN \\ -1)"}
			}
			i++
		default:
			i++
		}
	}
	return nil
}

// skipLine returns the index of the newline ending the line at i.
func skipLine(src []byte, i int) int {
	if j := bytes.IndexByte(src[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(src)
}

// skipBlock returns the index after the block comment starting at i.
func skipBlock(src []byte, i int) int {
	if j := bytes.Index(src[i+2:], []byte("*/")); j >= 0 {
		return i + 2 + j + 2
	}
	return len(src)
}

// skipQuoted returns the index after the string or regular expression
// starting at i, delimited by q, with backslash escapes. YARA ends neither
// at a newline; one there is an error for libyara to report, so the rest
// of the line is skipped.
func skipQuoted(src []byte, i int, q byte) int {
	for i++; i < len(src); i++ {
		switch src[i] {
		case '\\':
			i++
		case q:
			return i + 1
		case '\n':
			return i
		}
	}
	return len(src)
}

// skipSpace skips white space and comments.
func skipSpace(src []byte) []byte {
	for len(src) > 0 {
		switch {
		case src[0] == ' ' || src[0] == '\t' || src[0] == '\r' || src[0] == '\n':
			src = src[1:]
		case bytes.HasPrefix(src, []byte("//")):
			src = src[skipLine(src, 0):]
		case bytes.HasPrefix(src, []byte("/*")):
			src = src[skipBlock(src, 0):]
		default:
			return src
		}
	}
	return src
}

// literalDivisor reports whether src (what follows the operator) starts
// with a number literal, optionally in parentheses.
func literalDivisor(src []byte) bool {
	src = skipSpace(src)
	open := 0
	for len(src) > 0 && src[0] == '(' {
		open++
		src = skipSpace(src[1:])
	}
	m := divisor.Find(src)
	if m == nil {
		return false
	}
	src = src[len(m):]
	if len(src) > 0 && isIdent(src[0]) {
		return false // 2abc: not a literal as YARA reads it
	}
	for ; open > 0; open-- {
		src = skipSpace(src)
		if len(src) == 0 || src[0] != ')' {
			return false
		}
		src = src[1:]
	}
	return true
}

func isIdent(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
