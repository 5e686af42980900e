package tasks

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

var errForbiddenAddress = errors.New("webhook address is not a public unicast address (loopback, private, link-local and reserved ranges are refused)")

// newWebhookClient returns a client whose every request is bounded by
// timeout and which, unless allowPrivate, connects only to public addresses
// (see checkWebhookAddress). The check runs on the resolved address at dial
// time, for every connection including those of redirects, so neither DNS
// tricks nor a redirect to an internal address get around it.
func newWebhookClient(timeout time.Duration, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: timeout}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error { return checkWebhookAddress(address) }
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = d.DialContext
	tr.Proxy = nil
	return &http.Client{Timeout: timeout, Transport: tr}
}

// checkWebhookAddress refuses a dial address ("ip:port") that is not
// publicAddr, with an error wrapping errForbiddenAddress.
func checkWebhookAddress(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", errForbiddenAddress, address)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !publicAddr(ip) {
		return fmt.Errorf("%w: %s", errForbiddenAddress, host)
	}
	return nil
}

// publicAddr reports whether ip is global unicast and outside every block of
// the IANA IPv4 and IPv6 special-purpose address registries. IPv6 is held
// to 2000::/3, the only block allocated for global unicast, which leaves
// out loopback, unique-local (fc00::/7), link- and site-local (fe80::/10,
// fec0::/10), multicast, and the forms that embed an IPv4 address and could
// carry a private one through a translator: NAT64 (64:ff9b::/96,
// 64:ff9b:1::/48) and IPv4-compatible (::/96); IPv4-mapped addresses
// (::ffff:0:0/96) are judged as the IPv4 address they map. Inside 2000::/3
// the registry's own blocks are refused too, among them Teredo (2001::/32)
// and 6to4 (2002::/16), which also embed IPv4.
func publicAddr(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return !inAny(ip, specialIPv4)
	}
	return globalUnicastIPv6.Contains(ip) && !inAny(ip, specialIPv6)
}

func inAny(ip netip.Addr, blocks []netip.Prefix) bool {
	for _, p := range blocks {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// specialIPv4 is the IANA IPv4 special-purpose address registry, with
// multicast and the reserved class E (which holds the broadcast address).
var specialIPv4 = prefixes( //nolint:gochecknoglobals // a table that is never written
	"0.0.0.0/8",       // "this network"
	"10.0.0.0/8",      // private
	"100.64.0.0/10",   // shared address space (carrier NAT; some clouds' metadata)
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link local (cloud metadata 169.254.169.254)
	"172.16.0.0/12",   // private
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // documentation (TEST-NET-1)
	"192.31.196.0/24", // AS112
	"192.52.193.0/24", // AMT
	"192.88.99.0/24",  // 6to4 relay anycast (deprecated)
	"192.168.0.0/16",  // private
	"192.175.48.0/24", // direct delegation AS112
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation (TEST-NET-2)
	"203.0.113.0/24",  // documentation (TEST-NET-3)
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, and 255.255.255.255 broadcast
)

// globalUnicastIPv6 is the only IPv6 block allocated for global unicast.
var globalUnicastIPv6 = netip.MustParsePrefix("2000::/3") //nolint:gochecknoglobals // a constant that Go cannot spell as one

// specialIPv6 lists the blocks of the IANA IPv6 special-purpose address
// registry that lie inside 2000::/3 (the others are outside it already).
var specialIPv6 = prefixes( //nolint:gochecknoglobals // a table that is never written
	"2001::/23",         // IETF protocol assignments: Teredo, benchmarking, ORCHID, AMT…
	"2001:db8::/32",     // documentation
	"2002::/16",         // 6to4
	"2620:4f:8000::/48", // direct delegation AS112
	"3fff::/20",         // documentation
)

func prefixes(s ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(s))
	for i, p := range s {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}
