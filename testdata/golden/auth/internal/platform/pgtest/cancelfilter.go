package pgtest

import (
	"context"
	"encoding/binary"
	"errors"
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

func startCancelFilter(ctx context.Context, target string) (*cancelFilter, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &cancelFilter{ln: ln, target: target}
	f.wg.Add(1)
	go f.serve(ctx)
	return f, nil
}

// Port is the port clients connect to instead of PgBouncer's.
func (f *cancelFilter) Port() int { return f.ln.Addr().(*net.TCPAddr).Port }

// Close stops accepting; connections still open end with PgBouncer.
func (f *cancelFilter) Close() {
	_ = f.ln.Close()
	f.wg.Wait()
}

func (f *cancelFilter) serve(ctx context.Context) {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		go f.pass(ctx, c)
	}
}

// pass forwards c to the target unless its first message is a cancel request.
// The first message goes on in one write: PgBouncer refuses a startup
// message that arrives in pieces ("client sent partial pkt in startup phase").
func (f *cancelFilter) pass(ctx context.Context, c net.Conn) {
	defer c.Close()
	first, err := readFirstMessage(c)
	if err != nil {
		return
	}
	if len(first) == 16 && binary.BigEndian.Uint32(first[4:8]) == cancelRequestCode {
		return
	}
	var d net.Dialer
	up, err := d.DialContext(ctx, "tcp", f.target)
	if err != nil {
		return
	}
	defer up.Close()
	if _, err := up.Write(first); err != nil {
		return
	}
	// Whichever side ends first ends both: the protocol has no half-closed state.
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
}

// maxFirstMessage bounds the first message of a connection (PostgreSQL
// refuses a startup message over 10 000 bytes).
const maxFirstMessage = 10000

// readFirstMessage reads the length-prefixed message a connection opens with.
func readFirstMessage(c net.Conn) ([]byte, error) {
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer func() { _ = c.SetReadDeadline(time.Time{}) }()
	var size [4]byte
	if _, err := io.ReadFull(c, size[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(size[:])
	if n < 8 || n > maxFirstMessage {
		return nil, errors.New("pgtest: cancel filter: bad first message length")
	}
	msg := make([]byte, n)
	copy(msg, size[:])
	if _, err := io.ReadFull(c, msg[4:]); err != nil {
		return nil, err
	}
	return msg, nil
}

// filteredTarget is host:port of PgBouncer on the loopback.
func filteredTarget(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
