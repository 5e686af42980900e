package pgtest

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// The filter in front of a run's PgBouncer drops cancel requests and passes
// everything else on, both ways.
func TestCancelFilterDropsCancelRequestsOnly(t *testing.T) {
	t.Parallel()
	target, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	accepted := make(chan []byte, 4)
	go func() {
		for {
			c, err := target.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 12)
				if _, err := io.ReadFull(c, buf); err != nil {
					accepted <- nil
					return
				}
				accepted <- buf
				_, _ = c.Write([]byte("ok"))
			}()
		}
	}()
	f, err := startCancelFilter(target.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", filteredTarget(f.Port()))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	cancel := make([]byte, 16)
	binary.BigEndian.PutUint32(cancel[0:4], 16)
	binary.BigEndian.PutUint32(cancel[4:8], cancelRequestCode)
	c := dial()
	_, _ = c.Write(cancel)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	// Closed (EOF, or reset: the filter leaves the request's key unread), not timed out.
	var timeout net.Error
	if n, err := c.Read(make([]byte, 1)); err == nil || errors.As(err, &timeout) && timeout.Timeout() {
		t.Fatalf("a cancel request: read %d bytes, %v; want the connection closed", n, err)
	}
	c.Close()

	startup := []byte{0, 0, 0, 12, 0, 3, 0, 0, 'u', 's', 'e', 'r'}
	c = dial()
	defer c.Close()
	if _, err := c.Write(startup); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	reply := make([]byte, 2)
	if _, err := io.ReadFull(c, reply); err != nil || string(reply) != "ok" {
		t.Fatalf("a startup message: reply %q, %v", reply, err)
	}
	select {
	case got := <-accepted:
		if string(got) != string(startup) {
			t.Fatalf("the target got %q, want %q", got, startup)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the target got no connection")
	}
	select {
	case got := <-accepted:
		t.Fatalf("the target got a second connection (%q): the cancel request went through", got)
	default:
	}
}
