package logging

import (
	"log/slog"
	"strconv"
	"time"

	"example.com/demo/internal/jsontext"
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
	l.buf = jsontext.AppendLogString(l.buf, value)
}

// Int adds an integer field.
func (l *Line) Int(key string, value int64) {
	l.key(key)
	l.buf = strconv.AppendInt(l.buf, value, 10)
}

// key starts a field; every field follows another, time at least.
func (l *Line) key(key string) {
	l.buf = append(l.buf, ',')
	l.buf = jsontext.AppendLogString(l.buf, key)
	l.buf = append(l.buf, ':')
}

// end closes the object and the line.
func (l *Line) end() []byte {
	l.buf = append(l.buf, '}', '\n')
	return l.buf
}
