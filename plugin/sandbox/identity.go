package sandbox

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Identity is a sandbox QQ account. It has no openid of its own because QQ
// gives every app a different openid for the same user; use OpenID(appid).
type Identity struct {
	QQ       string // the QQ number, 5 to 11 digits
	Nickname string // any text, shown escaped
	Color    string // avatar colour name, one of AvatarColors
}

// OpenID returns the identity's openid for one app.
func (id Identity) OpenID(appid string) string { return OpenID(appid, id.QQ) }

// UnionID returns the identity's unionid, the same for every app.
func (id Identity) UnionID() string { return UnionID(id.QQ) }

// OpenID derives the openid of a QQ number for an app. It is a pure function
// of both, so the same sandbox user keeps the same openid across restarts
// (as a real QQ user does) and differs per app (as on QQ).
func OpenID(appid, qq string) string {
	sum := md5.Sum([]byte(appid + ":" + qq))
	return strings.ToUpper(hex.EncodeToString(sum[:]))[:32]
}

// UnionID derives the unionid of a QQ number; it does not depend on the app.
func UnionID(qq string) string {
	sum := md5.Sum([]byte("union:" + qq))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// avatarColor is one colour the login page offers.
type avatarColor struct{ name, hex string }

// palette returns the avatar colours. Forms post the names, so no
// user-supplied text ever reaches the SVG's attributes; it is a function so
// that there is no package-level mutable state.
func palette() [6]avatarColor {
	return [...]avatarColor{
		{"blue", "#12B7F5"},
		{"orange", "#F5A623"},
		{"green", "#3DB36B"},
		{"red", "#E5484D"},
		{"purple", "#8E4EC6"},
		{"grey", "#6F6E77"},
	}
}

// AvatarColors lists the avatar colour names an identity may have.
func AvatarColors() []string {
	p := palette()
	out := make([]string, len(p))
	for i, c := range p {
		out[i] = c.name
	}
	return out
}

func colorHex(name string) (string, bool) {
	for _, c := range palette() {
		if c.name == name {
			return c.hex, true
		}
	}
	return "", false
}

// defaultColor picks a stable colour for identities created without one.
func defaultColor(qq string) string {
	sum := md5.Sum([]byte(qq))
	p := palette()
	return p[int(sum[0])%len(p)].name
}

// Errors from identity validation; the login page shows them in both languages.
var (
	ErrBadQQ       = errors.New("sandbox: QQ number must be 5 to 11 digits, not starting with 0")
	ErrBadNickname = errors.New("sandbox: nickname must be 1 to 40 characters of printable text")
	ErrBadColor    = errors.New("sandbox: unknown avatar colour")
	ErrTooMany     = errors.New("sandbox: too many identities")
	ErrNoIdentity  = errors.New("sandbox: no such sandbox QQ identity")
)

func validQQ(qq string) bool {
	if len(qq) < 5 || len(qq) > 11 || qq[0] == '0' {
		return false
	}
	for _, c := range qq {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// cleanNickname trims and checks a nickname. Emoji, Chinese and HTML-looking
// text are allowed on purpose: real QQ nicknames contain all of them.
func cleanNickname(n string) (string, error) {
	n = strings.TrimSpace(n)
	if n == "" || !utf8.ValidString(n) || utf8.RuneCountInString(n) > maxNicknameLen {
		return "", ErrBadNickname
	}
	for _, r := range n {
		if unicode.IsControl(r) {
			return "", ErrBadNickname
		}
	}
	return n, nil
}

// AddIdentity creates a sandbox QQ identity, or renames an existing one with
// the same QQ number (like a user changing their nickname on QQ). The avatar
// colour of a new identity is derived from the QQ number.
func (s *Sandbox) AddIdentity(qq, nickname string) (Identity, error) {
	return s.addIdentity(qq, nickname, "")
}

func (s *Sandbox) addIdentity(qq, nickname, color string) (Identity, error) {
	if !validQQ(qq) {
		return Identity{}, ErrBadQQ
	}
	nick, err := cleanNickname(nickname)
	if err != nil {
		return Identity{}, err
	}
	if color != "" {
		if _, ok := colorHex(color); !ok {
			return Identity{}, ErrBadColor
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.identities[qq]; ok {
		id.Nickname = nick
		if color != "" {
			id.Color = color
		}
		return *id, nil
	}
	if len(s.identities) >= maxIdentities {
		return Identity{}, fmt.Errorf("%w (max %d)", ErrTooMany, maxIdentities)
	}
	if color == "" {
		color = defaultColor(qq)
	}
	id := &Identity{QQ: qq, Nickname: nick, Color: color}
	s.identities[qq] = id
	s.log.Debug("sandbox identity added", "qq", qq)
	return *id, nil
}

// Identities returns all sandbox identities ordered by QQ number.
func (s *Sandbox) Identities() []Identity {
	s.mu.Lock()
	out := make([]Identity, 0, len(s.identities))
	for _, id := range s.identities {
		out = append(out, *id)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].QQ) != len(out[j].QQ) {
			return len(out[i].QQ) < len(out[j].QQ)
		}
		return out[i].QQ < out[j].QQ
	})
	return out
}

func (s *Sandbox) identity(qq string) (Identity, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.identities[qq]
	if !ok {
		return Identity{}, false
	}
	return *id, true
}
