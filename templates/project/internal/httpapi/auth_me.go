package httpapi

import (
	"encoding/hex"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/starter-go/starter/templates/project/internal/auth"
	"github.com/starter-go/starter/templates/project/internal/jsontext"
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
	b = jsontext.AppendString(b, me.Username)
	b = append(b, `,"email":`...)
	b = jsontext.AppendString(b, me.Email)
	b = append(b, `,"role":`...)
	b = jsontext.AppendString(b, string(me.Role))
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
