//go:build bench

package httpapi

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"github.com/starter-go/starter/templates/project/internal/auth"
)

// BenchmarkAuthMeEnvelope is the body of GET /auth/me: through
// encoding/json as OK writes it, and by hand.
//
//	go test -tags bench ./templates/project/internal/httpapi -run '^$' -bench AuthMeEnvelope -benchmem
func BenchmarkAuthMeEnvelope(b *testing.B) {
	me := auth.Me{ID: uuid.New(), Username: "alice_1987", Email: "alice@example.com", Role: auth.RoleUser}
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(successEnvelope{Success: true, Data: me}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("by-hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = appendMeEnvelope(make([]byte, 0, 256), me)
		}
	})
}
