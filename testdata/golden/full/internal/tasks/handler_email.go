package tasks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/mail"
	"sync"
	"time"
	"unicode/utf8"
)

// Email is one message of an email task.
type Email struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// Mailer delivers email. Plug in SMTP or an email API by implementing it.
type Mailer interface {
	Send(ctx context.Context, e Email) (messageID string, err error)
}

// SentEmail is a message an Outbox accepted.
type SentEmail struct {
	Email
	MessageID string    `json:"message_id"`
	SentAt    time.Time `json:"sent_at"`
}

// Outbox is the default Mailer: it logs each message and keeps the most
// recent ones in memory, so development and tests see what would have been
// sent without an SMTP server.
type Outbox struct {
	log  *slog.Logger
	keep int
	mu   sync.Mutex
	sent []SentEmail
}

// NewOutbox returns an Outbox keeping the last keep messages.
func NewOutbox(log *slog.Logger, keep int) *Outbox {
	return &Outbox{log: log, keep: max(keep, 1)}
}

// Send records e and returns a new message id.
func (o *Outbox) Send(ctx context.Context, e Email) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	s := SentEmail{Email: e, MessageID: hex.EncodeToString(b), SentAt: time.Now().UTC()}
	o.mu.Lock()
	o.sent = append(o.sent, s)
	if len(o.sent) > o.keep {
		o.sent = o.sent[len(o.sent)-o.keep:]
	}
	o.mu.Unlock()
	o.log.InfoContext(ctx, "email sent to outbox", "to", e.To, "subject", e.Subject, "message_id", s.MessageID)
	return s.MessageID, nil
}

// Sent returns the kept messages, oldest first.
func (o *Outbox) Sent() []SentEmail {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]SentEmail(nil), o.sent...)
}

type emailHandler struct{ mailer Mailer }

// emailPayload tells a missing field from an empty one.
type emailPayload struct {
	To      *string `json:"to"`
	Subject *string `json:"subject"`
	Body    *string `json:"body"`
}

func (h emailHandler) Handle(ctx context.Context, t *Task) (any, error) {
	var p emailPayload
	if err := decodePayload(t, &p); err != nil {
		return nil, err
	}
	if p.To == nil {
		return nil, invalid(t.TaskType, "to is required")
	}
	if addr, err := mail.ParseAddress(*p.To); err != nil || addr.Address != *p.To {
		return nil, invalid(t.TaskType, "to must be a plain email address")
	}
	if p.Subject == nil {
		return nil, invalid(t.TaskType, "subject is required")
	}
	if n := utf8.RuneCountInString(*p.Subject); n < 1 || n > 998 {
		return nil, invalid(t.TaskType, "subject must be 1–998 characters")
	}
	if p.Body == nil {
		return nil, invalid(t.TaskType, "body is required")
	}
	e := Email{To: *p.To, Subject: *p.Subject, Body: *p.Body}
	id, err := h.mailer.Send(ctx, e)
	if err != nil {
		return nil, err
	}
	return map[string]any{"message_id": id, "to": e.To, "sent_at": time.Now().UTC()}, nil
}
