package logging

import (
	"log/slog"
	"strconv"
	"time"
	"unicode/utf8"
)

// Line is one log line being built in the format of slog.JSONHandler: the
// same keys in the same order, the same escaping, byte for byte. Get one from
// Handler.Line, add its fields, hand it to Handler.WriteLine.
type Line struct {
	buf []byte
}

// start writes what slog writes first: time, level and message.
func (l *Line) start(t time.Time, level slog.Level, msg string) {
	l.buf = append(l.buf[:0], `{"time":"`...)
	l.buf = t.AppendFormat(l.buf, time.RFC3339Nano)
	l.buf = append(l.buf, '"')
	l.String(slog.LevelKey, level.String())
	l.String(slog.MessageKey, msg)
}

// String adds a string field.
func (l *Line) String(key, value string) {
	l.key(key)
	l.buf = appendJSONString(l.buf, value)
}

// Int adds an integer field.
func (l *Line) Int(key string, value int64) {
	l.key(key)
	l.buf = strconv.AppendInt(l.buf, value, 10)
}

// key starts a field; every field follows another, time at least.
func (l *Line) key(key string) {
	l.buf = append(l.buf, ',')
	l.buf = appendJSONString(l.buf, key)
	l.buf = append(l.buf, ':')
}

// end closes the object and the line.
func (l *Line) end() []byte {
	l.buf = append(l.buf, '}', '\n')
	return l.buf
}

// appendJSONString appends s quoted and escaped as slog.JSONHandler escapes
// strings, which is encoding/json's escaping without its HTML escapes: a
// quote, a backslash and the control characters below U+0020 are escaped
// (\n, \r and \t by name, the others as \u00XX), every byte of invalid UTF-8
// becomes \ufffd, and U+2028 and U+2029, valid JSON but line ends to
// JavaScript, are escaped too. Everything else, <, > and & included, is
// copied as it is. Paths and headers come from the client, so this is what
// stands between a hostile request and a forged or broken log line.
func appendJSONString(b []byte, s string) []byte {
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
		if c >= ' ' && c != '"' && c != '\\' {
			i++
			continue
		}
		b = appendEscapedByte(append(b, s[start:i]...), c)
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendEscapedByte escapes an ASCII quote, backslash or control character.
func appendEscapedByte(b []byte, c byte) []byte {
	const hex = "0123456789abcdef"
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\n':
		return append(b, `\n`...)
	case '\r':
		return append(b, `\r`...)
	case '\t':
		return append(b, `\t`...)
	}
	return append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
}
