package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/starter-go/starter/runtime/retry"
)

// TestWebhookGuardRefusesNonPublicAddresses runs the dial guard over the
// special-purpose registries, IPv4 and IPv6, the IPv6 forms that embed an
// IPv4 address, and public addresses on either side of each IPv4 block.
func TestWebhookGuardRefusesNonPublicAddresses(t *testing.T) {
	t.Parallel()
	refused := []string{
		// IPv4 private, loopback, link-local and cloud metadata.
		"10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255", "192.168.0.1", "192.168.255.255",
		"127.0.0.1", "127.1.2.3", "169.254.169.254", "169.254.0.1",
		// The rest of the IPv4 special-purpose registry.
		"0.0.0.0", "0.1.2.3", "100.64.0.1", "100.100.100.200", "100.127.255.255", "192.0.0.1", "192.0.0.170",
		"192.0.2.1", "192.31.196.1", "192.52.193.1", "192.88.99.1", "192.175.48.1", "198.18.0.1",
		"198.19.255.255", "198.51.100.1", "203.0.113.1", "240.0.0.1", "255.255.255.255",
		"224.0.0.1", "239.255.255.250",
		// IPv6 loopback, unspecified, unique-local, link- and site-local, multicast.
		"::1", "::", "fd00::1", "fd00:ec2::254", "fc00::1", "fe80::1", "fe80::1%eth0", "fec0::1", "feff::1", "ff02::1",
		// IPv6 forms embedding IPv4 (here 169.254.169.254, 10.0.0.1, 127.0.0.1).
		"64:ff9b::a9fe:a9fe", "64:ff9b::169.254.169.254", "64:ff9b::8.8.8.8", "64:ff9b:1::a9fe:a9fe",
		"::ffff:169.254.169.254", "::ffff:10.0.0.1", "::ffff:127.0.0.1", "::169.254.169.254", "::ffff:0:a9fe:a9fe",
		"2002:a9fe:a9fe::1", "2002:7f00:1::", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
		// The rest of the IPv6 special-purpose registry.
		"100::1", "2001:1::1", "2001:2::1", "2001:3::1", "2001:10::1", "2001:20::1", "2001:db8::1",
		"2620:4f:8000::1", "3fff::1", "5f00::1",
	}
	allowed := []string{
		"8.8.8.8", "1.1.1.1", "93.184.216.34", "9.255.255.255", "11.0.0.1", "100.63.255.255", "100.128.0.1",
		"172.15.255.255", "172.32.0.1", "192.0.1.1", "192.167.255.255", "192.169.0.1", "198.17.255.255",
		"198.20.0.1", "223.255.255.255", "::ffff:8.8.8.8",
		"2001:4860:4860::8888", "2606:4700:4700::1111", "2a00:1450:4001::1", "2400:cb00::1",
	}
	for _, ip := range refused {
		err := checkWebhookAddress(net.JoinHostPort(ip, "443"))
		if !errors.Is(err, errForbiddenAddress) {
			t.Errorf("%s: got %v, want the guard's error", ip, err)
		}
	}
	for _, ip := range allowed {
		if err := checkWebhookAddress(net.JoinHostPort(ip, "443")); err != nil {
			t.Errorf("%s refused: %v", ip, err)
		}
	}
	for _, bad := range []string{"no-port", "example.com:443", "[::1:443"} {
		if !errors.Is(checkWebhookAddress(bad), errForbiddenAddress) {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The client refuses at dial time: a loopback server is never reached, and
// the failure is permanent (another attempt cannot make it public).
func TestWebhookClientRefusesBeforeConnecting(t *testing.T) {
	t.Parallel()
	reached := false
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
	defer srv.Close()
	h := webhookHandler{client: newWebhookClient(time.Second, false), policy: retry.Policy{MaxAttempts: 3}}
	_, err := h.Handle(context.Background(), task(TypeWebhook, `{"url":"`+srv.URL+`"}`))
	if !errors.Is(err, errForbiddenAddress) || !retry.IsPermanent(err) || reached {
		t.Fatalf("loopback webhook: %v (reached %v)", err, reached)
	}
}

// The reply's body reaches the result only where private targets are
// allowed, as a bounded text snippet without control characters.
func TestWebhookResultKeepsTheReplyOnlyWhenPrivateTargetsAreAllowed(t *testing.T) {
	t.Parallel()
	reply := "secret\x00\x1b[31m\xff" + strings.Repeat("x", 2000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(reply))
	}))
	defer srv.Close()
	client := newWebhookClient(time.Second, true)
	for _, show := range []bool{false, true} {
		h := webhookHandler{client: client, policy: retry.Policy{MaxAttempts: 1}, showReply: show}
		res, err := h.Handle(context.Background(), task(TypeWebhook, `{"url":"`+srv.URL+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(res)
		var got map[string]any
		_ = json.Unmarshal(b, &got)
		if got["status_code"] != float64(200) || got["response_bytes"] != float64(len(reply)) {
			t.Fatalf("show %v: result %s", show, b)
		}
		snippet, present := got["response"].(string)
		if !show {
			if present || strings.Contains(string(b), "secret") {
				t.Fatalf("reply body shown: %s", b)
			}
			continue
		}
		if !strings.HasPrefix(snippet, "secret\uFFFD\uFFFD[31m\uFFFD") || len(snippet) > 3*replySnippetBytes {
			t.Fatalf("snippet %q", snippet)
		}
	}
}
