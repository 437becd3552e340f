package plugin

import (
	"encoding/json"
	"fmt"

	"github.com/gin-gonic/gin"

	"qqconnect/internal/web"
)

// The QQ logins a browser has started live in its encrypted session cookie
// under this key, newest last.
const sessionKeyStates = "qq_states"

// Bounds of the cookie-kept states: a few tabs may start a QQ login at once,
// and the whole session cookie must stay under the browsers' 4 KB.
const (
	maxStates     = 3
	maxStatesJSON = 1800
	// MaxReferer is the longest referer a login keeps; a longer one goes to
	// the forum's index instead (Discuz thread URLs with extra= are ~300).
	MaxReferer = 1024
)

func (h *Handlers) states(c *gin.Context) []LoginState {
	var list []LoginState
	if v := web.SessionString(c, sessionKeyStates); v != "" {
		_ = json.Unmarshal([]byte(v), &list) // a malformed value is no state at all
	}
	return list
}

func (h *Handlers) saveStates(c *gin.Context, list []LoginState) error {
	if err := h.stageStates(c, list); err != nil {
		return err
	}
	if err := web.SaveSession(c); err != nil {
		return fmt.Errorf("keep QQ login state: %w", err)
	}
	return nil
}

// stageStates puts list (live states only, within the cookie's bounds) into
// the session without writing the cookie.
func (h *Handlers) stageStates(c *gin.Context, list []LoginState) error {
	now := h.Svc.now().Unix()
	live := list[:0]
	for _, st := range list {
		if st.Exp > now {
			live = append(live, st)
		}
	}
	list = live
	for {
		if len(list) > maxStates {
			list = list[1:]
			continue
		}
		b, err := json.Marshal(list)
		if err != nil {
			return fmt.Errorf("keep QQ login state: %w", err)
		}
		if len(b) > maxStatesJSON && len(list) > 1 {
			list = list[1:]
			continue
		}
		if len(list) == 0 {
			b = nil
		}
		web.StageSessionString(c, sessionKeyStates, string(b))
		return nil
	}
}

// pushState keeps a new login's state in this browser's session.
func (h *Handlers) pushState(c *gin.Context, st LoginState) error {
	if len(st.Referer) > MaxReferer {
		st.Referer = h.HomePath
	}
	return h.saveStates(c, append(h.states(c), st))
}

// takeState returns this browser's states and removes the one with the given
// key from the session, so it cannot be presented twice from here. The
// cookie is written by the caller, once: SaveSession, or the login's
// RenewSession.
func (h *Handlers) takeState(c *gin.Context, key string) []LoginState {
	list := h.states(c)
	if key == "" || len(list) == 0 {
		return list
	}
	rest := make([]LoginState, 0, len(list))
	for _, st := range list {
		if st.Hash != key {
			rest = append(rest, st)
		}
	}
	if len(rest) != len(list) {
		if err := h.stageStates(c, rest); err != nil {
			h.Svc.Log.Warn("drop used QQ login state from the session", "err", err)
		}
	}
	return list
}
