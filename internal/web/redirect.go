package web

import (
	"net/url"
	"strings"
)

// LocalRedirect turns a referer given by the browser into a target on this
// site, or fallback. Discuz passes relative references such as
// "forum.php?mod=viewthread&tid=1"; those are resolved against the forum's
// base path. Absolute URLs are accepted only on the site's own origin; a
// scheme-relative "//host", a backslash trick or any other host yields fallback.
func LocalRedirect(ref, publicURL, fallback string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || len(ref) > 1024 || strings.ContainsAny(ref, "\\\r\n\t\x00") {
		return fallback
	}
	base, err := url.Parse(publicURL)
	if err != nil {
		return fallback
	}
	u, err := url.Parse(ref)
	if err != nil || u.Opaque != "" || u.User != nil {
		return fallback
	}
	if u.Scheme != "" || u.Host != "" {
		if !strings.EqualFold(u.Scheme, base.Scheme) || !strings.EqualFold(u.Host, base.Host) {
			return fallback
		}
	} else if strings.HasPrefix(ref, "//") {
		return fallback
	}
	basePath := strings.TrimRight(base.Path, "/") + "/"
	base.Path = basePath // so "forum.php" resolves inside the forum's directory
	target := base.ResolveReference(u)
	if target.Host != base.Host || !strings.HasPrefix(target.Path, basePath) && target.Path+"/" != basePath {
		return fallback
	}
	// Discuz sends the visitor to the index when the referer is the login page itself.
	if strings.Contains(target.RawQuery, "mod=logging") || strings.Contains(target.Path, "/connect/qq/") {
		return fallback
	}
	out := target.EscapedPath()
	if target.RawQuery != "" {
		out += "?" + target.RawQuery
	}
	return out
}
