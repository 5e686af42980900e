package httpapi

import (
	"net/netip"

	"github.com/gin-gonic/gin"
)

// clientIP is the address of the client, as rate limits count it: the peer
// address, or what a trusted proxy forwarded. A forwarding header from any
// other peer is ignored; the first such request is logged with how to list
// the proxy, because behind an unlisted proxy every client shares the
// proxy's address, and its limits.
func (s *Server) clientIP(c *gin.Context) string {
	if !s.forwardWarned.Load() && s.untrustedForward(c) && s.forwardWarned.CompareAndSwap(false, true) {
		s.logger(c).Warn("a forwarding header from an untrusted peer is ignored: the client address is the peer's. "+
			"If the service runs behind a proxy or load balancer, list its address or CIDR in trusted_proxies "+
			"(TRUSTED_PROXIES); this is logged once",
			"peer", c.RemoteIP())
	}
	return c.ClientIP()
}

// untrustedForward reports a request that carries a forwarding header from
// a peer outside the trusted proxies.
func (s *Server) untrustedForward(c *gin.Context) bool {
	// The headers gin reads the client address from behind a trusted proxy.
	if c.Request.Header.Get("X-Forwarded-For") == "" && c.Request.Header.Get("X-Real-IP") == "" {
		return false
	}
	peer, err := netip.ParseAddr(c.RemoteIP())
	if err != nil {
		return true
	}
	for _, p := range s.trustedProxies {
		if p.Contains(peer.Unmap()) {
			return false
		}
	}
	return true
}

// parseProxies turns the trusted_proxies setting (addresses and CIDRs,
// checked by config) into prefixes.
func parseProxies(entries []string) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(entries))
	for _, e := range entries {
		if p, err := netip.ParsePrefix(e); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(e); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	return out
}
