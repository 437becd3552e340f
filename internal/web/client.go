package web

import (
	"net"
	"regexp"
	"strconv"

	"github.com/gin-gonic/gin"
)

// mobileUA is the usual set of phone browsers; QQ shows its desktop QR page
// to phones that do not ask for display=mobile, and that page never redirects.
var mobileUA = regexp.MustCompile(`(?i)mobile|android|iphone|ipod|ipad|windows phone|mqqbrowser|micromessenger|ucbrowser|opera mini`)

// IsMobile reports whether the User-Agent is a phone or tablet browser.
func IsMobile(userAgent string) bool { return mobileUA.MatchString(userAgent) }

// ClientPort is the client's TCP port, Discuz's remoteport: the peer's when
// it is the client itself; 0 behind a proxy, whose own port says nothing
// about the visitor (nginx does not forward $remote_port by default).
func ClientPort(c *gin.Context) int {
	if c.ClientIP() != c.RemoteIP() {
		return 0
	}
	_, p, err := net.SplitHostPort(c.Request.RemoteAddr)
	if err != nil {
		return 0
	}
	port, _ := strconv.Atoi(p)
	return port
}
