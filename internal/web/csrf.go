package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// CSRF protects every unsafe request twice: Go's CrossOriginProtection
// (Sec-Fetch-Site / Origin) and a per-session form token, so a browser
// without fetch metadata is still covered.
func CSRF(onFail func(c *gin.Context)) gin.HandlerFunc {
	cop := http.NewCrossOriginProtection()
	return func(c *gin.Context) {
		switch c.Request.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			c.Next()
			return
		}
		if err := cop.Check(c.Request); err != nil || !checkCSRFToken(c) {
			onFail(c)
			c.Abort()
			return
		}
		c.Next()
	}
}
