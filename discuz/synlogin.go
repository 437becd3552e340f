package discuz

// UCenter's synchronized login: the script tags uc_user_synlogin returns,
// which Discuz prints on its login-succeeded page so the browser logs the
// member into every other application of the same UCenter.

import (
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"
)

// UCApp is one row of UCenter's applications table, as its get_apps
// returns it (authkey decoded, extra unserialized).
type UCApp struct {
	ID        int64
	URL       string
	APIFile   string   // apifilename, 'uc.php' by the column's default
	AuthKey   string   // secret: the key this app's api/uc.php decodes with
	ExtraURLs []string // extra['extraurl']: more addresses of the same app
}

// UCAppAuthKey is the authkey UCenter uses for an application: UCenter 1.6's
// admin stores it encrypted with UC_MYKEY, so get_apps takes the stored value
// decoded with UC_MYKEY when that decodes, else the value as stored
// (uc_server/model/app.php get_apps). mykey "" (unknown) keeps it as stored.
func UCAppAuthKey(stored, mykey string, now time.Time) string {
	if mykey == "" {
		return stored
	}
	if k, err := AuthcodeDecode(stored, mykey, now); err == nil && k != "" {
		return k
	}
	return stored
}

// SynloginPlain is what UCenter's onsynlogin encrypts for each application,
// field for field: the username and password hash of UCenter's own member
// row (username in UCenter's charset), and UCenter's clock.
func SynloginPlain(username string, uid int64, password string, now int64) string {
	return "action=synlogin&username=" + username + "&uid=" + strconv.FormatInt(uid, 10) +
		"&password=" + password + "&time=" + strconv.FormatInt(now, 10)
}

// SynScripts returns the src of every script tag UCenter's onsynlogin
// emits for app: its own URL unless it is the calling
// application (self), then each extra URL, each with a code of its own:
// {url}/api/{apifilename}?time={t}&code={urlencode(authcode(plain, ENCODE, authkey))}.
func SynScripts(app UCApp, self bool, plain string, now int64, rnd io.Reader) ([]string, error) {
	bases := app.ExtraURLs
	if !self {
		bases = append([]string{app.URL}, app.ExtraURLs...)
	}
	out := make([]string, 0, len(bases))
	for _, base := range bases {
		code, err := AuthcodeEncode(plain, app.AuthKey, 0, rnd)
		if err != nil {
			return nil, fmt.Errorf("synlogin code for UCenter app %d: %w", app.ID, err)
		}
		out = append(out, base+"/api/"+app.APIFile+"?time="+strconv.FormatInt(now, 10)+"&code="+url.QueryEscape(code))
	}
	return out, nil
}
