// Package web holds the HTTP pieces both the QQ login flow and the admin
// panel use: the browser session, CSRF protection, local-only redirects,
// rendering and client facts.
package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"github.com/gorilla/securecookie"
	gsessions "github.com/gorilla/sessions"
)

// SessionName is the cookie of qqconnect's own small browser session. It holds
// only random values (CSRF token, browser binding); everything that matters
// (OAuth state, pending QQ identity) lives server-side, keyed to these.
const SessionName = "qqc_session"

const (
	keyCSRF    = "csrf"
	keyBrowser = "bid"
	keyFlash   = "flash"
)

// SessionOptions are the cookie flags of the session, set explicitly because
// gorilla's defaults omit HttpOnly.
func SessionOptions(path string, secure bool) sessions.Options {
	return sessions.Options{Path: path, MaxAge: 0, Secure: secure, HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

// NewSessionStore derives the cookie keys from the Discuz authkey, so every
// instance of one site shares them without new config. Cookies are sealed
// with sessionCodec; cookies sealed by earlier releases (gorilla's
// securecookie) still open, so an upgrade logs no one out mid-login.
func NewSessionStore(authkey, path string, secure bool) sessions.Store {
	codec, err := newSessionCodec(derive(authkey, "qqconnect session aead"), sessionMaxAge)
	if err != nil {
		panic(err) // a 32-byte key always makes a cipher
	}
	legacy := securecookie.New(derive(authkey, "qqconnect session hmac"), derive(authkey, "qqconnect session aes"))
	legacy.MaxAge(int(sessionMaxAge.Seconds()))
	st := &cookieStore{&gsessions.CookieStore{Codecs: []securecookie.Codec{codec, legacy}}}
	st.Options(SessionOptions(path, secure))
	return st
}

// sessionMaxAge bounds how old a session cookie may be, as gorilla's did.
const sessionMaxAge = 30 * 24 * time.Hour

// cookieStore is gin-contrib's cookie store with codecs of our choosing.
type cookieStore struct{ *gsessions.CookieStore }

func (s *cookieStore) Options(o sessions.Options) { s.CookieStore.Options = o.ToGorillaOptions() }

func derive(secret, label string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(label))
	return m.Sum(nil)
}

// RandomToken returns n random bytes, base64url encoded.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // the OS RNG never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Hash is the SHA-256 hex of a secret token: the database keeps only this.
func Hash(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}

func sessionValue(c *gin.Context, key string) string {
	v, created := stageValue(sessions.Default(c), key)
	if created {
		_ = SaveSession(c)
	}
	return v
}

// stageValue returns the session's random value key, creating it (not yet
// saved) when missing.
func stageValue(s sessions.Session, key string) (v string, created bool) {
	if v, _ = s.Get(key).(string); v != "" {
		return v, false
	}
	v = RandomToken(32)
	s.Set(key, v)
	return v, true
}

// BrowserID is a random value bound to this browser's session. OAuth state and
// pending identities are stored with its hash, so a state or pending token
// carried into another browser is worthless.
func BrowserID(c *gin.Context) string { return sessionValue(c, keyBrowser) }

// CSRFToken is the synchronizer token every form carries as field _csrf.
func CSRFToken(c *gin.Context) string { return sessionValue(c, keyCSRF) }

// RenewSession gives the browser fresh random values: called at every login,
// bind and register so a session planted before authentication is useless.
func RenewSession(c *gin.Context) {
	s := sessions.Default(c)
	s.Clear()
	s.Set(keyBrowser, RandomToken(32))
	s.Set(keyCSRF, RandomToken(32))
	_ = s.Save()
}

// SessionString returns a value kept in the encrypted session cookie ("" if none).
func SessionString(c *gin.Context, key string) string {
	v, _ := sessions.Default(c).Get(key).(string)
	return v
}

// SetSessionString keeps a value in the encrypted session cookie ("" removes it).
func SetSessionString(c *gin.Context, key, v string) error {
	StageSessionString(c, key, v)
	return SaveSession(c)
}

// StageSessionString is SetSessionString without writing the cookie yet: a
// handler that changes the session more than once writes it once
// (SaveSession, or RenewSession, which starts it afresh).
func StageSessionString(c *gin.Context, key, v string) {
	s := sessions.Default(c)
	if v == "" {
		s.Delete(key)
	} else {
		s.Set(key, v)
	}
}

// StageSession makes sure the browser id and the CSRF token exist, without
// writing the cookie: a handler that then writes it once (SaveSession,
// RenewSession) sends one Set-Cookie however many values it touched.
func StageSession(c *gin.Context) {
	s := sessions.Default(c)
	for _, k := range []string{keyBrowser, keyCSRF} {
		stageValue(s, k)
	}
}

// SaveSession writes the session cookie.
func SaveSession(c *gin.Context) error { return sessions.Default(c).Save() }

// SetFlash stores a one-time message shown on the next page (Post/Redirect/Get).
func SetFlash(c *gin.Context, msg string) {
	s := sessions.Default(c)
	s.Set(keyFlash, msg)
	_ = s.Save()
}

// TakeFlash returns and removes the pending flash message.
func TakeFlash(c *gin.Context) string {
	s := sessions.Default(c)
	v, _ := s.Get(keyFlash).(string)
	if v != "" {
		s.Delete(keyFlash)
		_ = s.Save()
	}
	return v
}

// checkCSRFToken compares the form's _csrf with the session's in constant time.
func checkCSRFToken(c *gin.Context) bool {
	s := sessions.Default(c)
	want, _ := s.Get(keyCSRF).(string)
	got := c.PostForm("_csrf")
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}
