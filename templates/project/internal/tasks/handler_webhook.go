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
	"syscall"
	"time"

	"github.com/starter-go/starter/runtime/retry"
)

type webhookHandler struct {
	client *http.Client
	policy retry.Policy
}

type webhookPayload struct {
	URL string `json:"url"`
	// Body is what is posted; without it the whole payload is.
	Body json.RawMessage `json:"body"`
}

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
	tries := 0
	var status int
	var respBody string
	err = retry.Do(ctx, h.policy, func(ctx context.Context) error {
		tries++
		status, respBody, err = h.post(ctx, u.String(), body, t)
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"status_code": status, "tries": tries, "response": respBody}, nil
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
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

func (h webhookHandler) post(ctx context.Context, target string, body []byte, t *Task) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, "", retry.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "task-worker")
	req.Header.Set("Idempotency-Key", t.ID.String())
	req.Header.Set("X-Task-Attempt", strconv.Itoa(t.CurrentAttempt))
	resp, err := h.client.Do(req)
	if err != nil {
		if errors.Is(err, errForbiddenAddress) {
			return 0, "", retry.Permanent(err)
		}
		return 0, "", fmt.Errorf("post webhook: %w", err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return c, string(snippet), nil
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		return c, "", fmt.Errorf("webhook answered %d", c)
	default:
		return c, "", retry.Permanent(fmt.Errorf("webhook answered %d", c))
	}
}

var errForbiddenAddress = errors.New("webhook address is loopback, private or link-local")

// newWebhookClient returns a client whose every request is bounded by
// timeout and which, unless allowPrivate, refuses to connect to addresses a
// user-supplied URL must not reach. The check runs on the resolved address
// at dial time, so DNS tricks do not get around it.
func newWebhookClient(timeout time.Duration, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: timeout}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip := net.ParseIP(host)
			if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
				ip.IsLinkLocalMulticast() || ip.IsUnspecified() || ip.IsMulticast() {
				return fmt.Errorf("%w: %s", errForbiddenAddress, host)
			}
			return nil
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = d.DialContext
	tr.Proxy = nil
	return &http.Client{Timeout: timeout, Transport: tr}
}
