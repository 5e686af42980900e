// Package jsontext appends JSON strings the way the standard library writes
// them, for the few hot paths that build their JSON by hand: the access log
// line (as log/slog's JSON handler writes it) and the /auth/me answer (as
// encoding/json writes it). Both escape a quote, a backslash and the control
// characters below U+0020, turn every byte of invalid UTF-8 into \ufffd and
// escape U+2028 and U+2029, valid JSON but line ends to JavaScript. They
// differ in two things, hence two functions: encoding/json also escapes <, >
// and & (so that a browser sniffing a body as HTML finds no markup) and
// writes \b and \f by name; slog writes those two as \u0008 and \u000c.
// Text from clients goes through here, so this is what stands between a
// hostile value and a forged log line or a broken answer.
package jsontext

import "unicode/utf8"

// AppendString appends s quoted as encoding/json writes it.
func AppendString(b []byte, s string) []byte { return appendString(b, s, true) }

// AppendLogString appends s quoted as log/slog's JSON handler writes it.
func AppendLogString(b []byte, s string) []byte { return appendString(b, s, false) }

// appendString copies runs of plain bytes at once and escapes the rest;
// std says which library to match.
func appendString(b []byte, s string, std bool) []byte {
	b = append(b, '"')
	start := 0 // s[start:i] is pending: plain bytes not copied yet
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			esc := ""
			switch {
			case r == utf8.RuneError && size == 1:
				esc = `\ufffd`
			case r == '\u2028':
				esc = `\u2028`
			case r == '\u2029':
				esc = `\u2029`
			}
			if esc != "" {
				b = append(append(b, s[start:i]...), esc...)
				start = i + size
			}
			i += size
			continue
		}
		if c >= ' ' && c != '"' && c != '\\' && (!std || c != '<' && c != '>' && c != '&') {
			i++
			continue
		}
		b = appendEscapedByte(append(b, s[start:i]...), c, std)
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendEscapedByte escapes one ASCII byte appendString does not copy.
func appendEscapedByte(b []byte, c byte, std bool) []byte {
	const hex = "0123456789abcdef"
	switch {
	case c == '"' || c == '\\':
		return append(b, '\\', c)
	case c == '\n':
		return append(b, `\n`...)
	case c == '\r':
		return append(b, `\r`...)
	case c == '\t':
		return append(b, `\t`...)
	case std && c == '\b':
		return append(b, `\b`...)
	case std && c == '\f':
		return append(b, `\f`...)
	}
	return append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
}
