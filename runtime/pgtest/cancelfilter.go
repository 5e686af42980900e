package pgtest

import (
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// cancelFilter is a TCP proxy in front of the PgBouncer of a run that
// passes every connection on except cancel requests, which it drops.
// PgBouncer 1.18–1.20 exits ("server_proto: server in bad state: 11") when a
// server answers while a client's cancel request to it is still being
// forwarded (pgbouncer#822, fixed in 1.21), and pgx sends one each time a
// query is cut by its context, as every test's service does when it stops.
// Without the cancel the cut query runs to its end on the server, which
// PgBouncer then closes, since its client has gone.
type cancelFilter struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup
}

// cancelRequestCode is the request code of a CancelRequest message, which
// comes first and alone on its connection.
const cancelRequestCode = 80877102

func startCancelFilter(target string) (*cancelFilter, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &cancelFilter{ln: ln, target: target}
	f.wg.Add(1)
	go f.serve()
	return f, nil
}

// Port is the port clients connect to instead of PgBouncer's.
func (f *cancelFilter) Port() int { return f.ln.Addr().(*net.TCPAddr).Port }

// Close stops accepting; connections still open end with PgBouncer.
func (f *cancelFilter) Close() {
	_ = f.ln.Close()
	f.wg.Wait()
}

func (f *cancelFilter) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		go f.pass(c)
	}
}

// pass forwards c to the target unless its first message is a cancel request.
func (f *cancelFilter) pass(c net.Conn) {
	defer c.Close()
	var head [8]byte
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, head[:]); err != nil {
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	if binary.BigEndian.Uint32(head[0:4]) == 16 && binary.BigEndian.Uint32(head[4:8]) == cancelRequestCode {
		return
	}
	up, err := net.Dial("tcp", f.target)
	if err != nil {
		return
	}
	defer up.Close()
	if _, err := up.Write(head[:]); err != nil {
		return
	}
	// Whichever side ends first ends both: the protocol has no half-closed state.
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
}

// filteredTarget is host:port of PgBouncer on the loopback.
func filteredTarget(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
