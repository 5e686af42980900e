// Command httpload is the HTTP side of ./cmd/benchtable (row 5), in two modes:
//
//	httpload serve -addr 127.0.0.1:8081
//
// serves the anchor: a bare gin.New() engine (no middleware) whose only
// handler, GET /api/v1/health/live, writes the same body as the generated
// service's liveness probe; with -headers it also writes the headers the
// service puts on every answer in production (security headers and a
// request id, a constant here), so that what the service costs beyond them
// can be told from what they cost;
//
//	httpload load -url http://127.0.0.1:8081/api/v1/health/live -c 32 -d 3s [-H 'Authorization: Bearer …']
//
// is the load generator used when wrk is not installed: c connections kept
// open, each sending its next request when the last answered (closed loop),
// for d; it prints one line: requests, req/s, p50-ms, p99-ms, errors.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "httpload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: httpload serve|load [flags]")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "load":
		return load(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown mode %q: want serve or load", args[0])
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8081", "listen address")
	withHeaders := fs.Bool("headers", false, "also write the service's security headers and a request id")
	if err := fs.Parse(args); err != nil {
		return err
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	if *withHeaders {
		e.GET("/api/v1/health/live", liveWithHeaders())
	} else {
		e.GET("/api/v1/health/live", live)
	}
	srv := &http.Server{Addr: *addr, Handler: e, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// live writes what the generated service's /health/live writes.
func live(c *gin.Context) {
	buf := make([]byte, 0, 128)
	buf = append(buf, `{"success":true,"data":{"status":"alive","timestamp":"`...)
	buf = time.Now().UTC().AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","probe":"liveness"},"message":null}`...)
	c.Data(http.StatusOK, "application/json; charset=utf-8", buf)
}

// liveWithHeaders is live plus the headers of a production answer of the
// generated service other than Content-Type, Content-Length and Date. Each
// value is shared by every answer, as the service shares its own.
func liveWithHeaders() gin.HandlerFunc {
	fixed := []struct {
		key   string
		value []string
	}{
		{"X-Request-Id", []string{"2b1f5a7e-3c4d-4e5f-8a9b-0c1d2e3f4a5b"}},
		{"X-Content-Type-Options", []string{"nosniff"}},
		{"X-Frame-Options", []string{"DENY"}},
		{"Referrer-Policy", []string{"no-referrer"}},
		{"Content-Security-Policy", []string{"default-src 'none'; frame-ancestors 'none'"}},
		{"Strict-Transport-Security", []string{"max-age=63072000; includeSubDomains"}},
	}
	return func(c *gin.Context) {
		h := c.Writer.Header()
		for _, kv := range fixed {
			h[kv.key] = kv.value
		}
		live(c)
	}
}

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

func load(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "URL to GET")
	conns := fs.Int("c", 32, "connections")
	dur := fs.Duration("d", 3*time.Second, "duration")
	var hs headers
	fs.Var(&hs, "H", "header 'Name: value' (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *url == "" || *conns < 1 || *dur <= 0 {
		return errors.New("load: -url, a positive -c and -d are required")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return err
	}
	for _, h := range hs {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns, DisableCompression: true,
	}}
	r := hammer(ctx, client, req, *conns, *dur)
	fmt.Fprintf(stdout, "requests %d req/s %.1f p50-ms %.3f p99-ms %.3f errors %d\n",
		len(r.lat), float64(len(r.lat))/r.elapsed.Seconds(), pct(r.lat, 50), pct(r.lat, 99), r.errors)
	return nil
}

type outcome struct {
	lat     []time.Duration // of the successful requests
	errors  int
	elapsed time.Duration
}

// hammer runs conns closed loops for d.
func hammer(ctx context.Context, client *http.Client, req *http.Request, conns int, d time.Duration) outcome {
	var (
		mu  sync.Mutex
		all outcome
		wg  sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for range conns {
		wg.Go(func() {
			var mine outcome
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				if once(client, req) {
					mine.lat = append(mine.lat, time.Since(t0))
				} else {
					mine.errors++
				}
			}
			mu.Lock()
			all.lat = append(all.lat, mine.lat...)
			all.errors += mine.errors
			mu.Unlock()
		})
	}
	wg.Wait()
	all.elapsed = time.Since(start)
	slices.Sort(all.lat)
	return all
}

func once(client *http.Client, req *http.Request) bool {
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return err == nil && resp.StatusCode == http.StatusOK
}

func pct(sorted []time.Duration, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[(len(sorted)-1)*p/100]) / float64(time.Millisecond)
}
