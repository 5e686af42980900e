package tasks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/starter-go/starter/runtime/retry"
)

type webhookHandler struct {
	client *http.Client
	policy retry.Policy
	// showReply keeps a short, sanitised snippet of a 2xx reply in the
	// result; otherwise the result tells only its status and size.
	showReply bool
}

type webhookPayload struct {
	URL string `json:"url"`
	// Body is what is posted; without it the whole payload is.
	Body json.RawMessage `json:"body"`
}

// WebhookResult is the result of a webhook task. The reply's body is not
// kept unless private targets are allowed: the worker may reach hosts its
// users cannot (an internal address, or a server that trusts the worker's
// own address), and a reply shown to the task's owner would let any user
// read what those hosts answer.
type WebhookResult struct {
	StatusCode int `json:"status_code"`
	Tries      int `json:"tries"`
	// ResponseBytes is the size of the reply's body, counted up to 1 MiB.
	ResponseBytes int64 `json:"response_bytes"`
	// Response is the reply's first bytes as text, with invalid UTF-8 and
	// control characters replaced; only where private targets are allowed.
	Response *string `json:"response,omitempty"`
}

// Reply sizes: what a result may show, and how much of a reply is read.
const (
	replySnippetBytes = 256
	replyCountBytes   = 1 << 20
)

// Handle posts the payload as JSON. 2xx succeeds; other 4xx (except 408 and
// 429) fail permanently; 5xx, 408, 429 and network errors are retried within
// the attempt (WebhookRetry), then by the task's strategy.
func (h webhookHandler) Handle(ctx context.Context, t *Task) (any, error) {
	var p webhookPayload
	if err := decodePayload(t, &p); err != nil {
		return nil, err
	}
	u, err := url.Parse(p.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, invalid(t.TaskType, "url must be an absolute http or https URL")
	}
	body := []byte(p.Body)
	if len(body) == 0 {
		body = t.Payload
	}
	var res WebhookResult
	err = retry.Do(ctx, h.policy, func(ctx context.Context) error {
		res.Tries++
		return h.post(ctx, u.String(), body, t, &res)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// BreakerKey is the destination's host and port: a failing host opens a
// breaker of its own, and webhooks bound for other hosts go on.
func (h webhookHandler) BreakerKey(t *Task) string {
	var p webhookPayload
	if json.Unmarshal(t.Payload, &p) != nil {
		return ""
	}
	u, err := url.Parse(p.URL)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	port := u.Port()
	switch {
	case port != "":
	case u.Scheme == "https":
		port = "443"
	default:
		port = "80"
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

func (h webhookHandler) post(ctx context.Context, target string, body []byte, t *Task, res *WebhookResult) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return retry.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "task-worker")
	req.Header.Set("Idempotency-Key", t.ID.String())
	req.Header.Set("X-Task-Attempt", strconv.Itoa(t.CurrentAttempt))
	req, traced := traceOutgoing(req) //nolint:bodyclose // the body is closed below, once traced has seen the answer
	resp, err := h.client.Do(req)
	traced(resp, err)
	if err != nil {
		if errors.Is(err, errForbiddenAddress) {
			return retry.Permanent(err)
		}
		return fmt.Errorf("post webhook: %w", err)
	}
	defer resp.Body.Close()
	res.StatusCode = resp.StatusCode
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		h.readReply(resp.Body, res)
		return nil
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		return fmt.Errorf("webhook answered %d", c)
	default:
		return retry.Permanent(fmt.Errorf("webhook answered %d", c))
	}
}

// readReply counts the reply's body and, when allowed, keeps its start.
func (h webhookHandler) readReply(r io.Reader, res *WebhookResult) {
	head := make([]byte, replySnippetBytes)
	n, _ := io.ReadFull(r, head)
	rest, _ := io.Copy(io.Discard, io.LimitReader(r, replyCountBytes-int64(n)))
	res.ResponseBytes = int64(n) + rest
	if h.showReply {
		s := sanitizeReply(head[:n])
		res.Response = &s
	}
}

// sanitizeReply makes a reply's bytes safe to store and show: valid UTF-8
// (a cut rune or binary becomes U+FFFD) without control characters other
// than tab and newline.
func sanitizeReply(b []byte) string {
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t' && r != '\n') || (r >= 0x7f && r < 0xa0) {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(string(b), string(utf8.RuneError)))
}
