// Package qq is a QQ互联 (QQ Connect, graph.qq.com) OAuth 2.0 client for the
// server-side login flow: authorize URL, code exchange, /oauth2.0/me and
// get_user_info.
//
// It exists because generic OAuth2 clients fail against QQ: replies come as
// form data, JSONP or JSON served as text/html, errors arrive with HTTP 200,
// expires_in is sometimes a string and get_user_info reports failure in ret.
// The parsers accept every shape QQ is known to send and turn anything else
// into a typed *Error that never contains the App Key, the code or a token.
//
// The package is stdlib-only and holds no global mutable state; credentials
// are passed per call because the admin can change them while running.
package qq
