package httpapi

import "github.com/gin-gonic/gin"

// clientIP is the address of the client, as the rate limits count it: the
// peer address, or what a trusted proxy forwarded. A forwarding header that
// gin did not use (it came from a peer outside trusted_proxies) is logged
// the first time, with how to list the proxy: behind an unlisted proxy every
// client has the proxy's address, and shares its limits.
func (s *Server) clientIP(c *gin.Context) string {
	ip := c.ClientIP()
	if !s.forwardWarned.Load() && forwardedButUnused(c, ip) && s.forwardWarned.CompareAndSwap(false, true) {
		s.logger(c).Warn("X-Forwarded-For ignored: the client address is the peer's. "+
			"If the service runs behind a proxy or load balancer, list its address or CIDR in trusted_proxies "+
			"(TRUSTED_PROXIES); this is logged once",
			"peer", c.RemoteIP())
	}
	return ip
}

// forwardedButUnused reports a request whose forwarding headers did not
// name the client: gin answers the peer address when it does not trust it.
func forwardedButUnused(c *gin.Context, clientIP string) bool {
	h := c.Request.Header
	return (h.Get("X-Forwarded-For") != "" || h.Get("X-Real-IP") != "") && clientIP == c.RemoteIP()
}
