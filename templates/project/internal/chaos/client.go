package chaos

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// client sends the run's HTTP requests to the servers and counts every
// answer: nothing the service says is sampled.
type client struct {
	http *http.Client
	// dbDown reports whether the database is away right now.
	dbDown func() bool
	// starter:feature tasks
	next atomic.Uint64 // round robin of server()
	// starter:end

	mu       sync.Mutex
	requests int
	noAnswer int
	byStatus map[int]int
	// bad are the 5xx answers other than 503, each a broken rule.
	bad []badAnswer
}

// badAnswer is a 5xx other than 503: the service failed where it should
// have said it was unavailable.
type badAnswer struct {
	At     time.Time
	Method string
	Path   string
	Status int
	DBDown bool
	Body   string
}

func newClient(dbDown func() bool) *client {
	t := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
	return &client{http: &http.Client{Transport: t, Timeout: 15 * time.Second}, dbDown: dbDown, byStatus: map[int]int{}}
}

// answer is the status and body of a response; status 0 when none came.
type answer struct {
	status int
	body   []byte
}

// do sends a request with a JSON body (nil for none) and a bearer token
// ("" for none) and counts what came back.
func (c *client) do(ctx context.Context, method, url, token string, body []byte) (answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return answer{}, fmt.Errorf("chaos: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	down := c.dbDown()
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			c.count(func() { c.requests++; c.noAnswer++ })
		}
		return answer{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	down = down || c.dbDown()
	c.count(func() {
		c.requests++
		c.byStatus[resp.StatusCode]++
		if resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable {
			c.bad = append(c.bad, badAnswer{At: time.Now(), Method: method, Path: req.URL.Path,
				Status: resp.StatusCode, DBDown: down, Body: string(b[:min(len(b), 300)])})
		}
	})
	return answer{status: resp.StatusCode, body: b}, nil
}

// reset forgets what was counted so far: the run counts from the start of the load.
func (c *client) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests, c.noAnswer, c.byStatus, c.bad = 0, 0, map[int]int{}, nil
}

func (c *client) count(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f()
}

// httpCounts is what the client saw, for the report.
func (c *client) counts() HTTPCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := HTTPCounts{Requests: c.requests, NoAnswer: c.noAnswer, Status: map[string]int{}}
	for code, n := range c.byStatus {
		h.Status[fmt.Sprint(code)] = n
		if code >= 500 {
			h.Errors5xx += n
		}
	}
	h.Other5xx = len(c.bad)
	return h
}

func (c *client) badAnswers() []badAnswer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]badAnswer{}, c.bad...)
}
