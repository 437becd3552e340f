package web

import "regexp"

// mobileUA is the usual set of phone browsers; QQ shows its desktop QR page
// to phones that do not ask for display=mobile, and that page never redirects.
var mobileUA = regexp.MustCompile(`(?i)mobile|android|iphone|ipod|ipad|windows phone|mqqbrowser|micromessenger|ucbrowser|opera mini`)

// IsMobile reports whether the User-Agent is a phone or tablet browser.
func IsMobile(userAgent string) bool { return mobileUA.MatchString(userAgent) }
