package models

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"qqconnect/discuz"
)

// UCenter's synchronized login (docs/discuz.md §5.3 step 11). Discuz calls
// uc_user_synlogin only when its allowsynlogin is on, and cache_setting
// builds that from UCenter's applications: the forum's own row (UC_APPID)
// has synlogin, and so has another one. UCenter's onsynlogin then writes a
// script tag per application with synlogin. qqconnect reads the same rows:
// the switch rides on the settings statement (LoadQQSettings), the rest is
// read only when the switch is on.

// ucAppRow marks the applications rows of the settings statement (no
// setting row has a NULL svalue).
const ucAppRow = "#ucapp"

// synloginReadable reports whether UCenter's applications can be read: the
// forum's UC_APPID is known and the table exists (the demo forum has none).
func (s *Store) synloginReadable() bool {
	return s.UCAppID > 0 && s.Schema.HasTable(s.T.UCenter("applications"))
}

// synloginUnion is the part of the settings statement that reads the
// applications' synlogin switches, when the forum's connection reaches them.
func (s *Store) synloginUnion() (string, []any) {
	if !s.synloginReadable() || s.UC != nil {
		return "", nil
	}
	return " UNION ALL SELECT ?, NULL, synlogin, appid FROM " + s.T.UCenter("applications") +
		" WHERE synlogin <> 0 OR appid = ?", []any{ucAppRow, s.UCAppID}
}

// synloginTally folds applications rows into Discuz's allowsynlogin.
type synloginTally struct {
	self, other bool
	appID       int64
}

func (t *synloginTally) add(appid int64, synlogin bool) {
	switch {
	case appid == t.appID:
		t.self = synlogin
	case synlogin:
		t.other = true
	}
}

// on is cache_setting's allowsynlogin as UCenter's onsynlogin also needs
// it: the calling application's own row must exist (UCenter answers
// nothing for an application it does not know).
func (t *synloginTally) on() bool { return t.self && t.other }

// synloginRemote reads the switches from UCenter's own server.
func (s *Store) synloginRemote(ctx context.Context, t *synloginTally) error {
	rows, err := s.UC.WithContext(ctx).Raw("SELECT appid, synlogin FROM "+s.T.UCenter("applications")+
		" WHERE synlogin <> 0 OR appid = ?", s.UCAppID).Rows()
	if err != nil {
		return fmt.Errorf("read UCenter applications: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var appid, syn int64
		if err := rows.Scan(&appid, &syn); err != nil {
			return fmt.Errorf("read UCenter applications: %w", err)
		}
		t.add(appid, syn != 0)
	}
	return rows.Err()
}

// SynloginMember is UCenter's row of the member (get_user_by_uid): the
// username in UCenter's charset and the password hash (secret).
type SynloginMember struct {
	UID      int64
	Username string
	Password string
}

// SynloginTargets reads, in one statement, UCenter's row of uid and every
// application with synlogin (the forum's own too: UCenter also writes its
// extra URLs), in appid order as UCenter's cache holds them. No member row
// gives nothing, as UCenter's onsynlogin then answers an empty string.
func (s *Store) SynloginTargets(ctx context.Context, uid int64, now time.Time) (*SynloginMember, []discuz.UCApp, error) {
	if !s.synloginReadable() {
		return nil, nil, nil
	}
	q := "SELECT m.username, m.password, a.appid, a.url, a.apifilename, a.authkey, a.extra FROM " +
		s.T.UCenter("members") + " m JOIN " + s.T.UCenter("applications") + " a ON a.synlogin <> 0 WHERE m.uid = ? ORDER BY a.appid"
	rows, err := s.ucConn().WithContext(ctx).Raw(q, uid).Rows()
	if err != nil {
		return nil, nil, fmt.Errorf("read synlogin applications of uid %d: %w", uid, err)
	}
	defer rows.Close()
	var m *SynloginMember
	var apps []discuz.UCApp
	for rows.Next() {
		var name, pw, extra string
		var app discuz.UCApp
		if err := rows.Scan(&name, &pw, &app.ID, &app.URL, &app.APIFile, &app.AuthKey, &extra); err != nil {
			return nil, nil, fmt.Errorf("read synlogin applications of uid %d: %w", uid, err)
		}
		if m == nil {
			if cs := s.textCharset(s.T.UCenter("members"), "username"); cs != "" {
				if name, err = discuz.ToCharset(name, cs); err != nil {
					return nil, nil, fmt.Errorf("username of uid %d in UCenter's charset: %w", uid, err)
				}
			}
			m = &SynloginMember{UID: uid, Username: name, Password: pw}
		}
		app.AuthKey = discuz.UCAppAuthKey(app.AuthKey, s.UCMyKey, now)
		app.ExtraURLs = s.extraURLs(extra)
		apps = append(apps, app)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read synlogin applications of uid %d: %w", uid, err)
	}
	return m, apps, nil
}

// extraURLs is extra['extraurl'] of an application, when it is an array
// (UCenter skips anything else); a broken extra has none.
func (s *Store) extraURLs(extra string) []string {
	if extra == "" {
		return nil
	}
	arr, err := discuz.UnserializeText(extra, s.textCharset(s.T.UCenter("applications"), "extra"))
	if err != nil {
		return nil
	}
	v, ok := arr.Get("extraurl")
	if !ok || v.Kind != discuz.KindArray || v.Arr == nil {
		return nil
	}
	var out []string
	for _, e := range v.Arr.Entries {
		out = append(out, e.Val.String())
	}
	return out
}

// scanSynloginRow takes one row of the settings statement: an applications
// row (marked ucAppRow) goes to t; it reports whether it was one.
func scanSynloginRow(key, value, synlogin, appid sql.NullString, t *synloginTally) bool {
	if !key.Valid || key.String != ucAppRow || value.Valid {
		return false
	}
	var id int64
	fmt.Sscan(appid.String, &id)
	t.add(id, synlogin.String != "" && synlogin.String != "0")
	return true
}
