package apptest

import (
	"net"
	"net/url"
	"sync"
	"testing"
)

// DBProxy forwards TCP between the service and its database, and can make
// the database look hung (Stall) or gone (Cut) without touching the server.
type DBProxy struct {
	ln     net.Listener
	target string
	dsn    string

	mu      sync.Mutex
	stalled bool
	cut     bool
	resume  chan struct{}
	conns   map[net.Conn]bool
	wg      sync.WaitGroup
}

// NewDBProxy starts a DBProxy in front of the database at dsn (a URL), for
// tests of something other than a TestApp (a command, a worker); it stops
// when t ends. Its DSN reaches the database through it.
func NewDBProxy(t testing.TB, dsn string) *DBProxy { return newDBProxy(t, dsn) }

func newDBProxy(t testing.TB, dsn string) *DBProxy {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Fatalf("apptest: proxy needs a URL DSN with a host, got %q", dsn)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("apptest: proxy: %v", err)
	}
	p := &DBProxy{ln: ln, target: u.Host, resume: make(chan struct{}), conns: map[net.Conn]bool{}}
	u.Host = ln.Addr().String()
	p.dsn = u.String()
	p.wg.Go(p.accept)
	t.Cleanup(p.Close)
	return p
}

// DSN is the database URL going through the proxy.
func (p *DBProxy) DSN() string { return p.dsn }

// Stall stops forwarding: bytes sent either way are held, new connections
// wait, so queries hang until their context ends.
func (p *DBProxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stalled = true
}

// Cut closes every connection and refuses new ones, like a database that went away.
func (p *DBProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
}

// Restore undoes Cut: new connections reach the database again.
func (p *DBProxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// Close stops the proxy and releases everything it holds.
func (p *DBProxy) Close() {
	p.mu.Lock()
	if p.resume == nil {
		p.mu.Unlock()
		return
	}
	p.cut = true
	close(p.resume)
	p.resume = nil
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
	p.wg.Wait()
}

func (p *DBProxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(client) {
			client.Close()
			continue
		}
		p.wg.Go(func() { p.serve(client) })
	}
}

func (p *DBProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	p.conns[c] = true
	return true
}

func (p *DBProxy) serve(client net.Conn) {
	defer client.Close()
	if !p.wait() {
		return
	}
	server, err := net.Dial("tcp", p.target) //nolint:noctx // a loopback dial; Close ends what it opened
	if err != nil || !p.track(server) {
		return
	}
	defer server.Close()
	done := make(chan struct{}, 2)
	go func() { p.pipe(server, client); done <- struct{}{} }()
	go func() { p.pipe(client, server); done <- struct{}{} }()
	<-done
}

// pipe copies src to dst, holding each chunk while the proxy is stalled.
func (p *DBProxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.wait() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// wait blocks while stalled; false once the proxy is cut or closed.
func (p *DBProxy) wait() bool {
	p.mu.Lock()
	stalled, cut, resume := p.stalled, p.cut, p.resume
	p.mu.Unlock()
	if cut || resume == nil {
		return false
	}
	if stalled {
		<-resume
		return false
	}
	return true
}
