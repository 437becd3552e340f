package app

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"qqconnect/discuz"
	"qqconnect/internal/testdb"
)

// TestRegisterUpdatesForumStats (issue 11 #1): a QQ registration does what
// Discuz's register_ctl does after the rows, with the stock settings of
// install_data.sql (updatestat 1, welcomemsg 1 and its text, timeoffset 8):
// the userstats cache (members incl. QQ guests, the newest member), the
// day's register count, the welcome notice with newprompt, and regport. A
// failure after the count leaves the count as it was.
func TestRegisterUpdatesForumStats(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			s := newTestSite(t, v, nil)
			day, _ := strconv.Atoi(time.Now().In(time.FixedZone("+8", 8*3600)).Format("20060102"))
			registered := func() int {
				var n int
				s.DB.SQL.QueryRow("SELECT register FROM pre_common_stat WHERE daytime = ?", day).Scan(&n)
				return n
			}
			before := registered()
			// welcomemsg 3: the notice and the mail, which sendmail_cron queues.
			s.DB.Exec(t, "UPDATE pre_common_setting SET svalue = '3' WHERE skey = 'welcomemsg'")
			s.DB.Exec(t, "UPDATE pre_common_setting SET svalue = CONCAT(svalue, ?) WHERE skey = 'welcomemsgtxt'", "\r\n<a href=\"forum.php?mod=guide\">导读</a> <a href=\"HTTPS://x.example/\">外</a>")
			s.DB.Exec(t, "UPDATE pre_common_setting SET svalue = '欢迎 {username} 来到 {bbname}' WHERE skey = 'welcomemsgtitle'")

			// A failure after the count (the notice): nothing stays counted.
			s.DB.Exec(t, `CREATE TRIGGER qqc_fail_note BEFORE INSERT ON pre_home_notification
				FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'`)
			b := s.browser()
			b.qqLogin("96001", "/")
			form := url.Values{"username": {"统计新人"}, "email": {"stats@example.com"}}
			if resp, _ := b.post(bindPath, "/connect/qq/register", form); resp.StatusCode != http.StatusInternalServerError {
				t.Fatalf("register with a failing notice: %d", resp.StatusCode)
			}
			if n := registered(); n != before {
				t.Fatalf("register count %d after a failed registration, want %d", n, before)
			}
			s.DB.Exec(t, "DROP TRIGGER qqc_fail_note")

			resp, body := b.post(bindPath, "/connect/qq/register", form)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("register: %d %.300s", resp.StatusCode, body)
			}
			uid := b.discuzLogin()
			if n := registered(); n != before+1 {
				t.Errorf("pre_common_stat[%d].register = %d, want %d", day, n, before+1)
			}

			// userstats: what build_cache_userstats writes.
			var ctype int
			var data []byte
			if err := s.DB.SQL.QueryRow("SELECT ctype, data FROM pre_common_syscache WHERE cname = 'userstats'").Scan(&ctype, &data); err != nil {
				t.Fatal(err)
			}
			stats, err := discuz.UnserializeArray(data)
			if err != nil || ctype != 1 {
				t.Fatalf("userstats row: ctype %d, %v", ctype, err)
			}
			want := s.count("SELECT count(*) FROM pre_common_member") + s.count("SELECT count(*) FROM pre_common_connect_guest")
			if tm, _ := stats.Get("totalmembers"); tm.Kind != discuz.KindInt || tm.Int != int64(want) || stats.GetString("newsetuser") != "统计新人" {
				t.Errorf("userstats %s, want totalmembers=%d (int), newsetuser=统计新人", data, want)
			}

			// The welcome notice, as notification_add writes it.
			var text string
			s.DB.SQL.QueryRow("SELECT svalue FROM pre_common_setting WHERE skey = 'welcomemsgtxt'").Scan(&text)
			setting := func(k string) string {
				var v string
				s.DB.SQL.QueryRow("SELECT svalue FROM pre_common_setting WHERE skey = ?", k).Scan(&v)
				return v
			}
			var note, typ, idtype string
			var isNew, authorid, category, fromNum int
			var dateline int64
			if err := s.DB.SQL.QueryRow("SELECT note, type, new, authorid, from_idtype, from_num, category, dateline FROM pre_home_notification WHERE uid = ?", uid).
				Scan(&note, &typ, &isNew, &authorid, &idtype, &fromNum, &category, &dateline); err != nil {
				t.Fatalf("welcome notice: %v", err)
			}
			// dgmdate(TIMESTAMP, 'Y-n-j H:i') at the site's timeoffset 8
			st := time.Unix(dateline, 0).In(time.FixedZone("+8", 8*3600))
			wantNote := strings.NewReplacer("{username}", "统计新人", "{sitename}", setting("sitename"), "{bbname}", setting("bbname"),
				"{adminemail}", setting("adminemail"), "{time}", st.Format("2006-1-2 15:04")).Replace(text)
			wantNote = strings.ReplaceAll(strings.ReplaceAll(wantNote, ":", "&#58;"), "\r\n", "<br />\r\n")
			if note != wantNote || typ != "system" || isNew != 1 || authorid != 0 || idtype != "welcomemsg" || fromNum != 1 || category != 3 {
				t.Errorf("notice %q %s new=%d author=%d %s from_num=%d category=%d; want %q", note, typ, isNew, authorid, idtype, fromNum, category, wantNote)
			}
			// The welcome mail, queued as sendmail_cron() queues it.
			var cid, touid, sendtime, qdate int64
			var subject, message string
			if err := s.DB.SQL.QueryRow(`SELECT c.cid, c.touid, c.sendtime, q.subject, q.message, q.dateline FROM pre_common_mailcron c
				JOIN pre_common_mailqueue q ON q.cid = c.cid WHERE c.email = 'stats@example.com'`).Scan(&cid, &touid, &sendtime, &subject, &message, &qdate); err != nil {
				t.Fatalf("welcome mail: %v", err)
			}
			wantMail := strings.NewReplacer("{username}", "统计新人", "{sitename}", setting("sitename"), "{bbname}", setting("bbname"),
				"{adminemail}", setting("adminemail"), "{time}", st.Format("2006-1-2 15:04")).Replace(text)
			wantMail = strings.Replace(wantMail, `href="forum.php`, `href="`+s.URL+`/forum.php`, 1)
			if touid != 0 || sendtime != 0 || qdate != dateline || subject != "欢迎 统计新人 来到 "+setting("bbname") || message != wantMail {
				t.Errorf("welcome mail: touid %d sendtime %d dateline %d subject %q\nmessage %q\nwant    %q", touid, sendtime, qdate, subject, message, wantMail)
			}
			if n := s.count("SELECT COUNT(*) FROM pre_common_mailqueue"); n != 1 {
				t.Errorf("%d queued mails, want 1 (the failed registration queued none)", n)
			}
			var newprompt int
			var promptData string
			s.DB.SQL.QueryRow("SELECT newprompt FROM pre_common_member WHERE uid = ?", uid).Scan(&newprompt)
			s.DB.SQL.QueryRow("SELECT data FROM pre_common_member_newprompt WHERE uid = ?", uid).Scan(&promptData)
			if newprompt != 1 || promptData != `a:1:{s:6:"system";i:1;}` {
				t.Errorf("newprompt %d, data %q", newprompt, promptData)
			}
			// Discuz's remoteport: the test client's own port (no proxy header).
			var port int
			s.DB.SQL.QueryRow("SELECT port FROM pre_common_member_status WHERE uid = ?", uid).Scan(&port)
			if port == 0 {
				t.Error("common_member_status.port not recorded")
			}
			if v == testdb.X35 {
				var regport int
				s.DB.SQL.QueryRow("SELECT regport FROM pre_common_member_status WHERE uid = ?", uid).Scan(&regport)
				if regport != port {
					t.Errorf("regport %d, port %d", regport, port)
				}
			}
		})
	}
}
