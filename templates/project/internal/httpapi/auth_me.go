package httpapi

import (
	"encoding/hex"
	"net/http"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/starter-go/starter/templates/project/internal/auth"
)

// handleMe answers GET /auth/me with an envelope written by hand instead of
// through OK: a client may call it on every page, and on a token cache hit
// encoding/json's reflection over the envelope and its `any` was half of
// what the route cost. The bytes are those OK writes (TestMeEnvelope).
// Other routes go through OK; write one by hand only where a profile says so.
func (s *Server) handleMe(c *gin.Context) error {
	c.Data(http.StatusOK, jsonContentType, appendMeEnvelope(make([]byte, 0, 256), Principal(c).Me()))
	return nil
}

// appendMeEnvelope appends the success envelope of me, without a message.
func appendMeEnvelope(b []byte, me auth.Me) []byte {
	b = append(b, `{"success":true,"data":{"id":"`...)
	b = appendUUID(b, me.ID) // hex digits and dashes: nothing to escape
	b = append(b, `","username":`...)
	b = appendJSONString(b, me.Username)
	b = append(b, `,"email":`...)
	b = appendJSONString(b, me.Email)
	b = append(b, `,"role":`...)
	b = appendJSONString(b, string(me.Role))
	return append(b, `},"message":null}`...)
}

// appendUUID appends id as uuid.UUID.String writes it (8-4-4-4-12 lower-case
// hex digits), without allocating the string.
func appendUUID(b []byte, id uuid.UUID) []byte {
	b = hex.AppendEncode(b, id[:4])
	for _, part := range [][]byte{id[4:6], id[6:8], id[8:10], id[10:]} {
		b = hex.AppendEncode(append(b, '-'), part)
	}
	return b
}

// appendJSONString appends s as encoding/json writes a string: a quote, a
// backslash and the control characters escaped (\b, \f, \n, \r and \t by
// name, the others as \u00XX); <, > and & as \u003c, \u003e and \u0026, so
// that a browser that sniffs the body as HTML finds no markup; every byte
// of invalid UTF-8 as \ufffd; and U+2028 and U+2029, line ends to
// JavaScript, escaped.
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
		if c >= ' ' && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
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

// appendEscapedByte escapes one ASCII byte appendJSONString does not copy.
func appendEscapedByte(b []byte, c byte) []byte {
	const hex = "0123456789abcdef"
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\b':
		return append(b, `\b`...)
	case '\f':
		return append(b, `\f`...)
	case '\n':
		return append(b, `\n`...)
	case '\r':
		return append(b, `\r`...)
	case '\t':
		return append(b, `\t`...)
	}
	return append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
}
