package app

import (
	"io"
	"log/slog"
	"strings"

	"github.com/starter-go/starter/templates/project/internal/logging"
)

// NewLogger returns the JSON logger of the service at level (debug, info,
// warn or error; anything else is info). Its handler is slog's JSON handler
// with a faster way in for the access log (logging.Handler).
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	return slog.New(logging.NewHandler(w, l))
}
