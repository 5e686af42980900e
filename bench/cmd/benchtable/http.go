package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/starter-go/starter/runtime/pgembed"
)

// httpRow is row 5: the generated full service (`serve --no-worker`, every
// middleware on, production settings, its database on an embedded
// PostgreSQL) and a bare gin.New() handler (./httpload serve), each in its
// own process, loaded from a third process on loopback: wrk when installed,
// else ./httpload load. A second instance of the service reaches the same
// database through a PgBouncer in transaction mode (pgembed.StartBouncer)
// without a direct URL, as a service behind a pooler runs: its /auth/me is
// measured against the direct one's. A second bare gin writes the
// service's headers too, which tells what the headers cost from what the
// service costs beyond them. Within a round the six targets run back to back.
func httpRow(ctx context.Context, o *options) ([]measurement, error) {
	loader, err := pickLoader(o)
	if err != nil {
		return nil, err
	}
	httpload := filepath.Join(o.work, "bin", "httpload")
	if _, err := command(ctx, o, o.bench, os.Environ(), "go", "build", "-o", httpload, "./httpload"); err != nil {
		return nil, err
	}
	dir, err := generateFull(ctx, o, "http")
	if err != nil {
		return nil, err
	}
	app := filepath.Join(dir, "bin", "demo")
	fmt.Fprintln(o.log, "building the generated service…")
	if _, err := command(ctx, o, dir, os.Environ(), "go", "build", "-o", app, "./cmd/demo"); err != nil {
		return nil, err
	}
	dsn, stopDB, err := serviceDatabase(ctx)
	if err != nil {
		return nil, err
	}
	defer stopDB()
	pooledDSN, stopBouncer, err := bouncerFor(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer stopBouncer()

	oursURL, stopOurs, err := startServer(ctx, o, "service", dir, serviceEnv(dir, dsn), app, "serve", "--no-worker", "--port")
	if err != nil {
		return nil, err
	}
	defer stopOurs()
	pooledEnv := append(serviceEnv(dir, pooledDSN), "DATABASE_POOLER=transaction")
	pooledURL, stopPooled, err := startServer(ctx, o, "service-pgbouncer", dir, pooledEnv, app, "serve", "--no-worker", "--port")
	if err != nil {
		return nil, err
	}
	defer stopPooled()
	bareURL, stopBare, err := startServer(ctx, o, "bare-gin", dir, os.Environ(), httpload, "serve", "-addr")
	if err != nil {
		return nil, err
	}
	defer stopBare()
	headersURL, stopHeaders, err := startServer(ctx, o, "bare-gin-headers", dir, os.Environ(), httpload, "serve", "-headers", "-addr")
	if err != nil {
		return nil, err
	}
	defer stopHeaders()
	token, err := sessionToken(ctx, oursURL)
	if err != nil {
		return nil, err
	}

	live, me, doc := "/api/v1/health/live", "/api/v1/auth/me", "/api/v1/openapi.json"
	targets := []struct {
		name, url, token string
	}{
		{"bare", bareURL + live, ""},
		{"bare-headers", headersURL + live, ""},
		{"live", oursURL + live, ""},
		{"me", oursURL + me, token},
		{"openapi", oursURL + doc, ""},
		{"me-pgbouncer", pooledURL + me, token},
	}
	load := func(url, token string, d time.Duration) (loadResult, error) {
		return loader(ctx, o, url, token, d)
	}
	for _, t := range targets { // warm-up: connections, caches, JIT-free but GC-sized heaps
		if _, err := load(t.url, t.token, time.Second); err != nil {
			return nil, err
		}
	}
	results := map[string][]loadResult{}
	for round := range o.rounds {
		fmt.Fprintf(o.log, "http round %d/%d…\n", round+1, o.rounds)
		for _, t := range targets {
			r, err := load(t.url, t.token, o.httpDur)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", t.url, err)
			}
			results[t.name] = append(results[t.name], r)
		}
	}
	setting := fmt.Sprintf("%d conns, %s", o.httpConn, o.httpDur)
	mk := func(what, name, unit string, get func(loadResult) float64) measurement {
		m := measurement{what: what, unit: unit, anchor: "bare gin"}
		for i := range results[name] {
			m.ours = append(m.ours, get(results[name][i]))
			m.theirs = append(m.theirs, get(results["bare"][i]))
		}
		return m
	}
	rps := func(r loadResult) float64 { return r.rps }
	p99 := func(r loadResult) float64 { return r.p99 }
	liveRPS := mk(fmt.Sprintf("GET %s (%s): throughput", live, setting), "live", "req/s", rps)
	liveRPS.target, liveRPS.meets = "≥ 0.8×", atLeast(0.8)
	against := func(m measurement, anchor, name string, get func(loadResult) float64) measurement {
		m.anchor, m.theirs = anchor, nil
		for _, r := range results[name] {
			m.theirs = append(m.theirs, get(r))
		}
		return m
	}
	pooled := func(what, unit string, get func(loadResult) float64) measurement {
		return against(mk(what, "me-pgbouncer", unit, get), "direct", "me", get)
	}
	// The same probe against a bare gin that also writes the service's
	// headers: what the middleware costs beyond what the headers cost.
	liveBeyondHeaders := against(mk(fmt.Sprintf("GET %s (%s): throughput, against the same headers", live, setting), "live", "req/s", rps),
		"bare gin writing the same headers", "bare-headers", rps)
	return []measurement{
		liveRPS,
		mk(fmt.Sprintf("GET %s: p99", live), "live", "ms", p99),
		liveBeyondHeaders,
		mk(fmt.Sprintf("GET %s, bare gin writing the service's headers (%s): throughput", live, setting), "bare-headers", "req/s", rps),
		mk(fmt.Sprintf("GET %s, authenticated (%s): throughput", me, setting), "me", "req/s", rps),
		mk(fmt.Sprintf("GET %s: p99", me), "me", "ms", p99),
		mk(fmt.Sprintf("GET %s, the whole document from memory (%s): throughput", doc, setting), "openapi", "req/s", rps),
		mk(fmt.Sprintf("GET %s: p99", doc), "openapi", "ms", p99),
		pooled(fmt.Sprintf("GET %s through PgBouncer (transaction mode, no direct URL; %s): throughput", me, setting), "req/s", rps),
		pooled(fmt.Sprintf("GET %s through PgBouncer: p99", me), "ms", p99),
	}, nil
}

type loadResult struct{ rps, p99 float64 }

type loader func(ctx context.Context, o *options, url, token string, d time.Duration) (loadResult, error)

func pickLoader(o *options) (loader, error) {
	_, err := exec.LookPath("wrk")
	switch {
	case o.loader == "wrk" && err != nil:
		return nil, fmt.Errorf("-loader wrk: %w", err)
	case o.loader == "wrk" || (o.loader == "auto" && err == nil):
		fmt.Fprintln(o.log, "load generator: wrk")
		return wrk, nil
	case o.loader == "go" || o.loader == "auto":
		fmt.Fprintln(o.log, "load generator: ./httpload load")
		return goLoad, nil
	}
	return nil, fmt.Errorf("-loader %q: want wrk, go or auto", o.loader)
}

// wrk runs one thread (the machine has few cores and the servers need them).
func wrk(ctx context.Context, o *options, url, token string, d time.Duration) (loadResult, error) {
	args := []string{"-t1", "-c" + strconv.Itoa(o.httpConn), "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--latency"}
	if token != "" {
		args = append(args, "-H", "Authorization: Bearer "+token)
	}
	out, err := command(ctx, o, o.work, os.Environ(), "wrk", append(args, url)...)
	if err != nil {
		return loadResult{}, err
	}
	var r loadResult
	for line := range strings.SplitSeq(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			r.rps, err = strconv.ParseFloat(f[1], 64)
		case len(f) == 2 && f[0] == "99%":
			var p time.Duration
			p, err = time.ParseDuration(strings.Replace(f[1], "us", "µs", 1))
			r.p99 = ms(p)
		case strings.Contains(line, "Non-2xx"):
			err = fmt.Errorf("wrk saw failed requests: %s", strings.TrimSpace(line))
		}
		if err != nil {
			return r, err
		}
	}
	if r.rps == 0 {
		return r, fmt.Errorf("no Requests/sec in wrk output:\n%s", out)
	}
	return r, nil
}

func goLoad(ctx context.Context, o *options, url, token string, d time.Duration) (loadResult, error) {
	args := []string{"load", "-url", url, "-c", strconv.Itoa(o.httpConn), "-d", d.String()}
	if token != "" {
		args = append(args, "-H", "Authorization: Bearer "+token)
	}
	out, err := command(ctx, o, o.work, os.Environ(), filepath.Join(o.work, "bin", "httpload"), args...)
	if err != nil {
		return loadResult{}, err
	}
	f := strings.Fields(out)
	if len(f) != 10 {
		return loadResult{}, fmt.Errorf("httpload output %q", out)
	}
	if f[9] != "0" {
		return loadResult{}, fmt.Errorf("httpload saw %s failed requests", f[9])
	}
	var r loadResult
	var err1, err2 error
	r.rps, err1 = strconv.ParseFloat(f[3], 64)
	r.p99, err2 = strconv.ParseFloat(f[7], 64)
	return r, errors.Join(err1, err2)
}

// serviceDatabase starts an embedded PostgreSQL holding an empty database
// "demo" and returns its URL.
func serviceDatabase(ctx context.Context) (string, func(), error) {
	srv, err := pgembed.Start(ctx, pgembed.Options{})
	if err != nil {
		return "", nil, err
	}
	stop := func() { _ = srv.Stop(context.WithoutCancel(ctx)) }
	conn, err := pgx.Connect(ctx, srv.DSN("postgres"))
	if err == nil {
		_, err = conn.Exec(ctx, "CREATE DATABASE demo")
		conn.Close(ctx)
	}
	if err != nil {
		stop()
		return "", nil, err
	}
	return srv.DSN("demo"), stop, nil
}

// bouncerFor starts a PgBouncer in transaction mode in front of the server
// of dsn and returns the URL of dsn's database through it.
func bouncerFor(ctx context.Context, dsn string) (string, func(), error) {
	b, err := pgembed.StartBouncer(ctx, dsn, pgembed.BouncerOptions{})
	if err != nil {
		return "", nil, err
	}
	return b.DSN("demo"), func() { _ = b.Stop(context.WithoutCancel(ctx)) }, nil
}

// serviceEnv is production as deployed, migrated at start: no config file,
// default log level (info, one access log line per request), and the
// OpenAPI document published (production's default keeps it off).
func serviceEnv(dir, dsn string) []string {
	env := withoutVar(withoutVar(withoutVar(os.Environ(), "DATABASE_URL"), "LOG_LEVEL"), "DOCS_ENABLED")
	return append(env, "APP_ENV=production", "DATABASE_URL="+dsn, "AUTO_MIGRATE=true", "DOCS_ENABLED=true",
		"CONFIG_DIR="+filepath.Join(dir, "no-config"))
}

// startServer runs a server on a free loopback port (given as the value of
// the last argument) and waits until /api/v1/health/live answers 200.
func startServer(ctx context.Context, o *options, name, dir string, env []string, bin string, args ...string) (string, func(), error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	addr := strconv.Itoa(port)
	if args[len(args)-1] == "-addr" {
		addr = "127.0.0.1:" + addr
	}
	logFile, err := os.Create(filepath.Join(o.work, name+".log"))
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin, append(args, addr)...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return "", nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logFile.Close()
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitLive(ctx, url, exited); err != nil {
		stop()
		log, _ := os.ReadFile(logFile.Name())
		return "", nil, fmt.Errorf("%s: %w\n%s", name, err, tail(string(log), 2000))
	}
	return url, stop, nil
}

func waitLive(ctx context.Context, url string, exited <-chan error) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/api/v1/health/live", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("exited before answering: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("not live after 2 minutes")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// sessionToken registers a user and logs in.
func sessionToken(ctx context.Context, base string) (string, error) {
	const password = "Correct7horse!"
	if _, err := postJSON(ctx, base+"/api/v1/auth/register", http.StatusCreated,
		map[string]string{"username": "bench_user", "email": "bench@example.com", "password": password}); err != nil {
		return "", err
	}
	body, err := postJSON(ctx, base+"/api/v1/auth/login", http.StatusOK,
		map[string]string{"username": "bench_user", "password": password})
	if err != nil {
		return "", err
	}
	var env struct {
		Data struct {
			SessionToken string `json:"session_token"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Data.SessionToken == "" {
		return "", fmt.Errorf("login: no session_token in %s", body)
	}
	return env.Data.SessionToken, nil
}

func postJSON(ctx context.Context, url string, want int, v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("POST %s: %d %s", url, resp.StatusCode, buf.Bytes())
	}
	return buf.Bytes(), nil
}
