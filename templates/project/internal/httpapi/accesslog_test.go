package httpapi

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/starter-go/starter/templates/project/internal/logging"
)

// The access log's own line is the line slog writes for the same request,
// whatever the client put in its method and path.
func TestAccessLineIsSlogs(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 4, 5, 6, 789, time.UTC)
	cases := []struct {
		name  string
		entry accessEntry
		level slog.Level
	}{
		{"probe", accessEntry{method: "GET", path: "/api/v1/health/live", status: 200, duration: 1234567 * time.Nanosecond, requestID: "a-1"}, slog.LevelInfo},
		{"caller and error", accessEntry{method: "POST", path: "/api/v1/x", status: 500, duration: time.Second, requestID: "b", userID: "7f3c", hasUserID: true, err: "Error #01: boom\n"}, slog.LevelError},
		{"empty user id", accessEntry{method: "GET", path: "/", status: 200, requestID: "d", hasUserID: true}, slog.LevelInfo},
		{"hostile path", accessEntry{method: "G\"ET", path: "/a\"}\n{\"level\":\"ERROR\x00\xff\u2028", status: 404, requestID: "c"}, slog.LevelInfo},
	}
	for _, tc := range cases {
		var ours, slogs bytes.Buffer
		tc.entry.log(context.Background(), logging.NewHandler(&ours, slog.LevelInfo), at, tc.level)
		tc.entry.log(context.Background(), slog.NewJSONHandler(&slogs, nil), at, tc.level)
		if ours.Len() == 0 || !bytes.Equal(ours.Bytes(), slogs.Bytes()) {
			t.Errorf("%s:\n ours %s\n slog %s", tc.name, ours.Bytes(), slogs.Bytes())
		}
	}
}
