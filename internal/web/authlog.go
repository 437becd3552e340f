package web

import "log/slog"

// AuthFailureMsg is the message of the one log line a failed password
// attempt writes; deploy/fail2ban matches it.
const AuthFailureMsg = "auth failure"

// LogAuthFailure writes the fail2ban line of a failed password attempt:
// ip= comes straight after the message, so nothing the attacker typed can
// stand where a filter looks for the address; the username comes last and
// slog quotes it whenever it holds a space, '=', a quote or a control
// character. panel says which form: "bind", "admin" or "demo".
func LogAuthFailure(log *slog.Logger, ip, panel, user string) {
	log.Warn(AuthFailureMsg, "ip", ip, "panel", panel, "user", user)
}
