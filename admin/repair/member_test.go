package repair_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"qqconnect/admin/repair"
	"qqconnect/discuz"
	"qqconnect/internal/testdb"
	"qqconnect/models"
)

// The QQ binding of alice (uid 2) as qqconnect's bind writes it, with the
// legacy OAuth 1.0 columns filled too so every secret column is exercised.
const (
	aliceOpenID    = "A1B2C3D4E5F60718293A4B5C6D7E8F90"
	aliceToken     = "9f86d081884c7d659a2feaa0c55ad015"        // conuintoken
	aliceUin       = "LEGACYUIN0123456789abcdef0123456789abcd" // conuin (39 chars)
	aliceUinSecret = "secret0123456789"                        // conuinsecret
	bobOpenID      = "B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0"
	bobToken       = "d41d8cd98f00b204e9800998ecf8427e"
	otherOpenID    = "C0FFEEC0FFEEC0FFEEC0FFEEC0FFEE00"
	noiseUin       = "NOISE0123456789ABCDEF0123456789AB"
	fixedNow       = 1750000000
)

var memberSecrets = []string{aliceToken, aliceUin, aliceUinSecret, bobToken}

// keyCache records the invalidations of a cache that can drop member keys
// (the Redis invalidator does).
type keyCache struct {
	mu      sync.Mutex
	setting int
	keys    []string
}

func (c *keyCache) InvalidateSetting(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setting++
	return nil
}
func (c *keyCache) InvalidateKeys(_ context.Context, names ...string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys = append(c.keys, names...)
	return nil
}
func (c *keyCache) Describe() string { return "keys" }

func (c *keyCache) take() (int, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, k := c.setting, c.keys
	c.setting, c.keys = 0, nil
	return n, k
}

// addMember inserts a pre_common_member row.
func (s *site) addMember(uid int64, name string, conisbind int) {
	s.t.Helper()
	s.D.Exec(s.t, "INSERT INTO pre_common_member (uid, username, email, password, groupid, regdate, conisbind) VALUES (?, ?, ?, 'x', 10, 1700000000, ?)",
		uid, name, name+"@example.com", conisbind)
}

// bind links openid to uid exactly as qqconnect's bind does.
func (s *site) bind(uid int64, openid, token, uin, uinSecret string, register bool, unionID *string) {
	s.t.Helper()
	now := time.Unix(1740000000, 0)
	err := s.S.BindExisting(context.Background(), models.Binding{
		UID: uid, OpenID: openid, Token: token, Uin: uin, UinSecret: uinSecret, IsRegister: register, Now: now,
		Identity: models.Identity{UID: uid, AppID: "101234567", OpenID: openid, UnionID: unionID, Nickname: "昵称" + fmt.Sprint(uid),
			AvatarURL: "https://thirdqq.qlogo.cn/g?b=oidb&k=x&s=100", TokenExpiresAt: 1747776000, CreatedAt: now.Unix(), UpdatedAt: now.Unix()},
	})
	if err != nil {
		s.t.Fatal(err)
	}
}

// newMemberSite is a forum with alice (uid 2) and bob (uid 3) bound, a
// member without QQ (uid 4) and an unrelated blacklist row.
func newMemberSite(t *testing.T, version string, aliceRegistered bool) (*site, *keyCache) {
	t.Helper()
	s := newSite(t, version)
	kc := &keyCache{}
	s.R.Cache = kc
	s.addMember(2, "alice", 0)
	s.addMember(3, "bob", 0)
	s.addMember(4, "carol", 0)
	union := "UID_union_alice"
	s.bind(2, aliceOpenID, aliceToken, aliceUin, aliceUinSecret, aliceRegistered, &union)
	s.bind(3, bobOpenID, bobToken, "", "", false, nil)
	s.D.Exec(t, "INSERT INTO pre_common_uin_black (uin, uid, dateline) VALUES (?, 99, 1600000000)", noiseUin)
	return s, kc
}

// memberDump is every row of the tables the member actions touch, all
// columns, as text (filtered by where, e.g. "uid <> 2").
func (s *site) memberDump(where string) string {
	s.t.Helper()
	var b strings.Builder
	for _, table := range []string{"pre_common_member", "pre_common_member_connect", "pre_connect_memberbindlog", "pre_common_uin_black", "pre_qqconnect_identity"} {
		q := "SELECT * FROM " + table
		if where != "" {
			q += " WHERE " + where
		}
		rows, err := s.D.SQL.Query(q)
		if err != nil {
			s.t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				s.t.Fatal(err)
			}
			parts := make([]string, len(vals))
			for i, v := range vals {
				if v == nil {
					parts[i] = cols[i] + "=NULL"
				} else {
					parts[i] = fmt.Sprintf("%s=%q", cols[i], string(v))
				}
			}
			lines = append(lines, strings.Join(parts, "|"))
		}
		if err := rows.Err(); err != nil {
			s.t.Fatal(err)
		}
		rows.Close()
		sort.Strings(lines)
		fmt.Fprintf(&b, "== %s (%d)\n%s\n", table, len(lines), strings.Join(lines, "\n"))
	}
	return b.String()
}

func (s *site) count(q string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.D.SQL.QueryRow(q, args...).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

func (s *site) conisbind(uid int64) int {
	return s.count("SELECT conisbind FROM pre_common_member WHERE uid = ?", uid)
}

type memberCase struct {
	name       string
	action     string
	registered bool        // alice was created through QQ
	prepare    func(*site) // before the action
	conisbind  int         // alice's conisbind before
	black      bool        // the action adds a blacklist row
}

func memberCases() []memberCase {
	return []memberCase{
		{name: "unbind", action: repair.MemberUnbind, conisbind: 1},
		{name: "blacklist", action: repair.MemberBlacklist, conisbind: 1, black: true},
		// Discuz's uinblack bans accounts created through QQ too
		{name: "blacklist-registered", action: repair.MemberBlacklist, registered: true, conisbind: 1, black: true},
		// a stale binding (conisbind=0, connect row left) can still be banned
		{name: "blacklist-stale", action: repair.MemberBlacklist, conisbind: 0, black: true,
			prepare: func(s *site) { s.D.Exec(s.t, "UPDATE pre_common_member SET conisbind = 0 WHERE uid = 2") }},
	}
}

// TestMemberActions runs member-unbind and member-blacklist on X3.4
// (MyISAM) and X3.5 (InnoDB): the dry run writes nothing; Apply writes
// exactly Discuz's rows plus qqconnect's identity deletion and an audit row
// without secrets; Undo restores the five tables byte for byte; a second
// undo is refused; undoing the undo gives the applied state back.
func TestMemberActions(t *testing.T) {
	for _, version := range []string{testdb.X34, testdb.X35} {
		for _, c := range memberCases() {
			t.Run(version+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				s, kc := newMemberSite(t, version, c.registered)
				if c.prepare != nil {
					c.prepare(s)
				}
				before, others := s.memberDump(""), s.memberDump("uid <> 2")
				settings := s.dump()
				logsBefore := s.count("SELECT COUNT(*) FROM pre_connect_memberbindlog WHERE uid = 2")

				plan, err := s.R.Plan(ctx, c.action, repair.Args{UID: 2})
				if err != nil {
					t.Fatalf("plan: %v", err)
				}
				if got := s.memberDump(""); got != before || s.auditCount() != 0 {
					t.Fatalf("the dry run wrote something: %s", firstDiff(before, got))
				}
				if plan.Target != "uid 2 (alice)" {
					t.Errorf("plan target %q", plan.Target)
				}
				checkMemberChanges(t, plan.Changes, c)
				if c.registered && !slices.ContainsFunc(plan.Warnings, func(w string) bool { return strings.Contains(w, "conisregister=1") }) {
					t.Errorf("no warning about the QQ-created account: %q", plan.Warnings)
				}
				if slices.ContainsFunc(plan.Warnings, func(w string) bool { return strings.Contains(w, "connect_blacklist") }) {
					t.Errorf("a connect_blacklist warning, though the cache is rebuilt: %q", plan.Warnings)
				}
				wantKeys := discuz.MemberRowKeys("", 2)
				if c.black {
					wantKeys = append([]string{models.ConnectBlacklistCacheName}, wantKeys...)
				}

				entry, applied, err := s.R.Apply(ctx, c.action, repair.Args{UID: 2}, cli)
				if err != nil {
					t.Fatalf("apply: %v", err)
				}
				if entry == nil || !slices.Equal(plan.Changes, applied.Changes) {
					t.Fatalf("apply: entry %v, changes differ from the plan:\nplan  %+v\napply %+v", entry, plan.Changes, applied.Changes)
				}
				if n, keys := kc.take(); n != 0 || !slices.Equal(keys, wantKeys) {
					t.Errorf("invalidated setting %d times, keys %q, want %q", n, keys, wantKeys)
				}
				s.checkBlacklistCache(c.black, aliceOpenID, true)

				// exactly Discuz's rows
				if got := s.memberDump("uid <> 2"); got != others {
					t.Errorf("another member's rows changed: %s", firstDiff(others, got))
				}
				if s.conisbind(2) != 0 {
					t.Error("conisbind != 0")
				}
				if n := s.count("SELECT COUNT(*) FROM pre_common_member_connect WHERE uid = 2"); n != 0 {
					t.Error("the connect row is still there")
				}
				if n := s.count("SELECT COUNT(*) FROM pre_qqconnect_identity WHERE uid = 2"); n != 0 {
					t.Error("qqconnect's identity row is still there")
				}
				if n := s.count("SELECT COUNT(*) FROM pre_connect_memberbindlog WHERE uid = 2"); n != logsBefore+1 {
					t.Errorf("%d bind log rows, want %d", n, logsBefore+1)
				}
				var uid, typ, dateline int
				var uin string
				if err := s.D.SQL.QueryRow("SELECT uid, uin, type, dateline FROM pre_connect_memberbindlog WHERE uid = 2 ORDER BY mblid DESC LIMIT 1").
					Scan(&uid, &uin, &typ, &dateline); err != nil || uid != 2 || uin != aliceOpenID || typ != 2 || dateline != fixedNow {
					t.Errorf("unbind log = %d %s %d %d, %v", uid, uin, typ, dateline, err)
				}
				blacks := s.count("SELECT COUNT(*) FROM pre_common_uin_black WHERE uin = ? AND uid = 2 AND dateline = ?", aliceOpenID, fixedNow)
				if (blacks == 1) != c.black || s.count("SELECT COUNT(*) FROM pre_common_uin_black") != 1+blacks {
					t.Errorf("blacklist rows: %d for alice", blacks)
				}
				if got := s.dump(); got != settings {
					t.Errorf("a member action changed the settings: %s", firstDiff(settings, got))
				}
				afterState := s.memberDump("")

				// the audit row
				e, err := s.S.AuditByID(ctx, entry.ID)
				if err != nil {
					t.Fatal(err)
				}
				if e.Action != c.action || e.Target != "uid 2 (alice)" || e.Result != "ok" || e.UndoData == "" || e.UndoOf != nil {
					t.Errorf("audit entry %+v", e)
				}
				var logged []repair.Change
				if err := json.Unmarshal([]byte(e.AfterJSON), &logged); err != nil || !slices.Equal(logged, applied.Changes) {
					t.Errorf("after_json %v: %s", err, e.AfterJSON)
				}
				var loggedBefore []repair.Change
				if err := json.Unmarshal([]byte(e.BeforeJSON), &loggedBefore); err != nil || len(loggedBefore) != len(applied.Changes) {
					t.Errorf("before_json %v: %s", err, e.BeforeJSON)
				}
				for _, secret := range memberSecrets {
					if strings.Contains(e.BeforeJSON+e.AfterJSON+e.Target+e.UndoData, secret) {
						t.Errorf("a secret is in the audit row: %s", discuz.Mask(secret))
					}
				}
				if !strings.Contains(e.BeforeJSON, "conuintoken='"+discuz.Mask(aliceToken)+"'") || !strings.Contains(e.BeforeJSON, aliceOpenID) {
					t.Errorf("before_json lacks the masked token or the openid: %s", e.BeforeJSON)
				}

				undo, err := s.R.Undo(ctx, entry.ID, cli)
				if err != nil {
					t.Fatalf("undo: %v", err)
				}
				if got := s.memberDump(""); got != before {
					t.Fatalf("undo did not restore the rows byte for byte: %s", firstDiff(before, got))
				}
				if undo.Target != "uid 2 (alice)" || undo.UndoOf == nil || *undo.UndoOf != entry.ID {
					t.Errorf("undo entry %+v", undo)
				}
				if ue, _ := s.S.AuditByID(ctx, undo.ID); strings.Contains(ue.BeforeJSON+ue.AfterJSON, aliceToken) {
					t.Error("the undo's audit JSON holds the token")
				}
				if n, keys := kc.take(); n != 0 || !slices.Equal(keys, wantKeys) {
					t.Errorf("undo invalidated setting %d times, keys %q, want %q", n, keys, wantKeys)
				}
				s.checkBlacklistCache(c.black, aliceOpenID, false)
				if _, err := s.R.Undo(ctx, entry.ID, cli); !errors.Is(err, repair.ErrAlreadyUndone) {
					t.Fatalf("second undo: %v, want ErrAlreadyUndone", err)
				}
				if got := s.memberDump(""); got != before {
					t.Fatalf("refused undo changed something: %s", firstDiff(before, got))
				}
				// undoing the undo re-applies the change, same mblid
				if _, err := s.R.Undo(ctx, undo.ID, cli); err != nil {
					t.Fatalf("undo of the undo: %v", err)
				}
				if got := s.memberDump(""); got != afterState {
					t.Fatalf("undoing the undo did not give the applied state back: %s", firstDiff(afterState, got))
				}
			})
		}
	}
}

// checkBlacklistCache: after a ban (or its undo) Discuz's connect_blacklist
// syscache row is pre_common_uin_black's uins as Discuz builds it, with
// (without) openid; an action that does not touch the blacklist writes no
// such row.
func (s *site) checkBlacklistCache(touched bool, openid string, banned bool) {
	s.t.Helper()
	var data []byte
	var ctype int
	err := s.D.SQL.QueryRow("SELECT ctype, data FROM pre_common_syscache WHERE cname = 'connect_blacklist'").Scan(&ctype, &data)
	if !touched {
		if err == nil {
			s.t.Errorf("connect_blacklist written by an action that does not touch the blacklist: %s", data)
		}
		return
	}
	if err != nil {
		s.t.Fatalf("no connect_blacklist row after a blacklist change: %v", err)
	}
	rows, err := s.D.SQL.Query("SELECT uin FROM pre_common_uin_black ORDER BY uin")
	if err != nil {
		s.t.Fatal(err)
	}
	defer rows.Close()
	arr := &discuz.Array{}
	for i := 0; rows.Next(); i++ {
		var uin string
		rows.Scan(&uin)
		arr.Entries = append(arr.Entries, discuz.Entry{Key: discuz.Int(int64(i)), Val: discuz.Str(uin)})
	}
	want := discuz.Serialize(discuz.Value{Kind: discuz.KindArray, Arr: arr})
	if ctype != 1 || string(data) != string(want) || strings.Contains(string(data), `"`+openid+`"`) != banned {
		s.t.Errorf("connect_blacklist = ctype %d %s, want ctype 1 %s (openid listed: %v)", ctype, data, want, banned)
	}
}

// checkMemberChanges: every value shown, secrets masked.
func checkMemberChanges(t *testing.T, changes []repair.Change, c memberCase) {
	t.Helper()
	byWhere := map[string][]repair.Change{}
	for _, ch := range changes {
		byWhere[ch.Where] = append(byWhere[ch.Where], ch)
		for _, secret := range memberSecrets {
			if strings.Contains(ch.Before+ch.After+ch.Key, secret) {
				t.Errorf("change %s %s shows a secret", ch.Where, ch.Key)
			}
		}
	}
	conn := byWhere["pre_common_member_connect"]
	if len(conn) != 1 || conn[0].Key != "uid 2" || conn[0].After != "(absent)" || !conn[0].Secret {
		t.Fatalf("connect change %+v", conn)
	}
	reg := "0"
	if c.registered {
		reg = "1"
	}
	want := "uid=2, conuin='" + discuz.Mask(aliceUin) + "', conuinsecret='" + discuz.Mask(aliceUinSecret) + "', conopenid='" + aliceOpenID +
		"', conisfeed=1, conispublishfeed=0, conispublisht=0, conisregister=" + reg + ", conisqzoneavatar=0, conisqqshow=0, conuintoken='" + discuz.Mask(aliceToken) + "'"
	if conn[0].Before != want {
		t.Errorf("connect row shown as\n  %s\nwant\n  %s", conn[0].Before, want)
	}
	if ids := byWhere["pre_qqconnect_identity"]; len(ids) != 1 || !strings.Contains(ids[0].Before, "openid='"+aliceOpenID+"'") ||
		!strings.Contains(ids[0].Before, "unionid='UID_union_alice'") || ids[0].After != "(absent)" {
		t.Errorf("identity change %+v", ids)
	}
	logs := byWhere["pre_connect_memberbindlog"]
	if len(logs) != 1 || logs[0].Key != "mblid (new)" || logs[0].Before != "(absent)" ||
		logs[0].After != "uid=2, uin='"+aliceOpenID+"', type=2, dateline=(now)" {
		t.Errorf("bind log change %+v", logs)
	}
	black := byWhere["pre_common_uin_black"]
	if c.black != (len(black) == 1) || c.black && black[0].After != "uin='"+aliceOpenID+"', uid=2, dateline=(now)" {
		t.Errorf("blacklist change %+v", black)
	}
	member := byWhere["pre_common_member"]
	if c.conisbind == 0 {
		if len(member) != 0 {
			t.Errorf("conisbind already 0, yet %+v", member)
		}
	} else if len(member) != 1 || member[0].Key != "uid 2 conisbind" || member[0].Before != "1" || member[0].After != "0" {
		t.Errorf("member change %+v", member)
	}
}

// TestMemberRefusals: every refusal is a typed error and writes nothing.
func TestMemberRefusals(t *testing.T) {
	ctx := context.Background()
	for _, version := range []string{testdb.X34, testdb.X35} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			s, kc := newMemberSite(t, version, true) // alice was created through QQ
			s.addMember(5, "dave", 1)                // conisbind=1 without a connect row
			s.addMember(6, "erin", 0)                // stale binding: connect row, conisbind=0
			s.bind(6, otherOpenID, "", "", "", false, nil)
			s.D.Exec(t, "UPDATE pre_common_member SET conisbind = 0 WHERE uid = 6")
			s.addMember(7, "frank", 0) // bound, but his uid already has a blacklist row for another QQ
			s.bind(7, "F7F7F7F7F7F7F7F7F7F7F7F7F7F7F7F7", "", "", "", false, nil)
			s.D.Exec(t, "INSERT INTO pre_common_uin_black (uin, uid, dateline) VALUES ('OLDQQ0123456789ABCDEF0123456789A', 7, 1600000000)")
			s.D.Exec(t, "INSERT INTO pre_common_uin_black (uin, uid, dateline) VALUES (?, 0, 1600000000)", bobOpenID) // bob's QQ banned already
			before := s.memberDump("")
			cases := []struct {
				action string
				args   repair.Args
				want   error
				text   string
			}{
				{repair.MemberUnbind, repair.Args{}, repair.ErrBadArgs, "--uid"},
				{repair.MemberBlacklist, repair.Args{UID: -1}, repair.ErrBadArgs, "--uid"},
				{repair.MemberUnbind, repair.Args{UID: 3, AppID: "102345678"}, repair.ErrBadArgs, "AppID"},
				{repair.ClearAppKey, repair.Args{UID: 3}, repair.ErrBadArgs, "member"},
				{repair.MemberUnbind, repair.Args{UID: 404}, repair.ErrNoMember, "uid 404"},
				{repair.MemberBlacklist, repair.Args{UID: 404}, repair.ErrNoMember, "uid 404"},
				{repair.MemberUnbind, repair.Args{UID: 4}, repair.ErrNotBound, "conisbind=0"},
				{repair.MemberBlacklist, repair.Args{UID: 4}, repair.ErrNotBound, "not bound"},
				{repair.MemberUnbind, repair.Args{UID: 5}, repair.ErrNotBound, "no pre_common_member_connect row"},
				{repair.MemberBlacklist, repair.Args{UID: 5}, repair.ErrNotBound, "not bound"},
				{repair.MemberUnbind, repair.Args{UID: 6}, repair.ErrNotBound, "stale"},
				{repair.MemberUnbind, repair.Args{UID: 2}, repair.ErrRegisteredByQQ, "conisregister=1"},
				{repair.MemberBlacklist, repair.Args{UID: 3}, repair.ErrAlreadyBlacklisted, bobOpenID},
				{repair.MemberBlacklist, repair.Args{UID: 7}, repair.ErrAlreadyBlacklisted, "OLDQQ"},
				{repair.MemberUnban, repair.Args{UID: 404}, repair.ErrNoMember, "uid 404"},
				{repair.MemberUnban, repair.Args{UID: 3}, repair.ErrNotBlacklisted, "pre_common_uin_black"}, // bob's QQ is banned with uid 0, not his
			}
			for _, c := range cases {
				if _, err := s.R.Plan(ctx, c.action, c.args); !errors.Is(err, c.want) {
					t.Errorf("plan %s uid %d: %v, want %v", c.action, c.args.UID, err, c.want)
				}
				_, _, err := s.R.Apply(ctx, c.action, c.args, cli)
				if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
					t.Errorf("apply %s uid %d: %v, want %v mentioning %q", c.action, c.args.UID, err, c.want, c.text)
				}
				var re *repair.Error
				if !errors.As(err, &re) || re.ZH == "" || re.EN == "" {
					t.Errorf("apply %s uid %d: not a zh+en repair error: %v", c.action, c.args.UID, err)
				}
			}
			if got := s.memberDump(""); got != before {
				t.Fatalf("a refusal wrote something: %s", firstDiff(before, got))
			}
			if n, keys := kc.take(); s.auditCount() != 0 || n != 0 || len(keys) != 0 {
				t.Errorf("refusals wrote %d audit rows, %d+%d invalidations", s.auditCount(), n, len(keys))
			}
		})
	}
}

// TestMemberUnban: member-unban deletes exactly the member's blacklist row
// (found by uid, as Discuz's editor does), rebuilds connect_blacklist, and
// the QQ logs in again; its undo puts the row back byte for byte. A banned
// member, no longer bound, is found by the openid.
func TestMemberUnban(t *testing.T) {
	ctx := context.Background()
	for _, version := range []string{testdb.X34, testdb.X35} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			s, kc := newMemberSite(t, version, false)
			if _, _, err := s.R.Apply(ctx, repair.MemberBlacklist, repair.Args{UID: 2}, cli); err != nil {
				t.Fatal(err)
			}
			kc.take()
			found, err := s.S.SearchMembers(ctx, strings.ToLower(aliceOpenID), 20)
			if err != nil || len(found) != 1 || found[0].Member.UID != 2 || found[0].BannedUin != aliceOpenID || found[0].Connect != nil || len(found[0].Logs) != 2 {
				t.Fatalf("search by the banned openid: %+v %v", found, err)
			}
			banned, others := s.memberDump(""), s.memberDump("uid <> 2")

			plan, err := s.R.Plan(ctx, repair.MemberUnban, repair.Args{UID: 2})
			if err != nil || len(plan.Changes) != 1 || plan.Changes[0].Where != "pre_common_uin_black" || plan.Changes[0].After != "(absent)" {
				t.Fatalf("plan: %+v %v", plan, err)
			}
			entry, _, err := s.R.Apply(ctx, repair.MemberUnban, repair.Args{UID: 2}, cli)
			if err != nil || entry == nil {
				t.Fatalf("apply: %v", err)
			}
			if n := s.count("SELECT COUNT(*) FROM pre_common_uin_black WHERE uid = 2"); n != 0 {
				t.Fatalf("%d blacklist rows of uid 2 left", n)
			}
			if got := s.memberDump("uid <> 2"); got != others {
				t.Errorf("another member's rows changed: %s", firstDiff(others, got))
			}
			s.checkBlacklistCache(true, aliceOpenID, false)
			if _, keys := kc.take(); !slices.Contains(keys, models.ConnectBlacklistCacheName) {
				t.Errorf("connect_blacklist not dropped from the memory cache: %q", keys)
			}
			if _, err := s.R.Undo(ctx, entry.ID, cli); err != nil {
				t.Fatalf("undo: %v", err)
			}
			if got := s.memberDump(""); got != banned {
				t.Fatalf("undo did not put the ban back byte for byte: %s", firstDiff(banned, got))
			}
			s.checkBlacklistCache(true, aliceOpenID, true)
		})
	}
}

// TestMemberUndoConflict: an undo refuses when the member bound again, when
// the QQ was bound by another member, or when the bind log / blacklist row
// it would remove changed; nothing is written then, and ForceUndo overrides.
func TestMemberUndoConflict(t *testing.T) {
	ctx := context.Background()
	for _, version := range []string{testdb.X34, testdb.X35} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			s, _ := newMemberSite(t, version, false)
			refused := func(entry int64, mentions ...string) {
				t.Helper()
				state := s.memberDump("")
				_, err := s.R.Undo(ctx, entry, cli)
				if !errors.Is(err, repair.ErrConflict) {
					t.Fatalf("undo: %v, want ErrConflict", err)
				}
				for _, m := range mentions {
					if !strings.Contains(err.Error(), m) {
						t.Errorf("conflict %q does not mention %q", err, m)
					}
				}
				if strings.Contains(err.Error(), aliceToken) {
					t.Error("the conflict shows the token")
				}
				if got := s.memberDump(""); got != state {
					t.Fatalf("refused undo wrote: %s", firstDiff(state, got))
				}
				if plan, err := s.R.PlanUndo(ctx, entry); err != nil || len(plan.Warnings) == 0 {
					t.Errorf("plan undo: %v %+v", err, plan)
				}
			}

			// 1. alice binds again (another QQ)
			before := s.memberDump("uid NOT IN (2, 4)") // carol binds and leaves her bind log
			e1, _, err := s.R.Apply(ctx, repair.MemberUnbind, repair.Args{UID: 2}, cli)
			if err != nil {
				t.Fatal(err)
			}
			s.bind(2, otherOpenID, "", "", "", false, nil)
			refused(e1.ID, "pre_common_member_connect uid 2", "conisbind")
			// she unbinds herself again: her rows are as the entry left them, but
			// her new bind/unbind logs stay (they are not the entry's)
			s.D.Exec(t, "DELETE FROM pre_common_member_connect WHERE uid = 2")
			s.D.Exec(t, "DELETE FROM pre_qqconnect_identity WHERE openid = ?", otherOpenID)
			s.D.Exec(t, "UPDATE pre_common_member SET conisbind = 0 WHERE uid = 2")

			// 2. carol binds alice's QQ meanwhile
			s.bind(4, aliceOpenID, "", "", "", false, nil)
			refused(e1.ID, "conopenid", "appid,openid")
			s.D.Exec(t, "DELETE FROM pre_common_member_connect WHERE uid = 4")
			s.D.Exec(t, "DELETE FROM pre_qqconnect_identity WHERE uid = 4")
			s.D.Exec(t, "UPDATE pre_common_member SET conisbind = 0 WHERE uid = 4")

			// 3. someone sets conisbind back by hand: ForceUndo restores anyway
			s.D.Exec(t, "UPDATE pre_common_member SET conisbind = 1 WHERE uid = 2")
			refused(e1.ID, "uid 2 conisbind")
			if _, err := s.R.ForceUndo(ctx, e1.ID, cli); err != nil {
				t.Fatalf("force undo: %v", err)
			}
			if n := s.count("SELECT COUNT(*) FROM pre_common_member_connect WHERE uid = 2 AND conopenid = ? AND conuintoken = ?", aliceOpenID, aliceToken); n != 1 ||
				s.conisbind(2) != 1 || s.count("SELECT COUNT(*) FROM pre_qqconnect_identity WHERE uid = 2 AND openid = ?", aliceOpenID) != 1 {
				t.Fatalf("force undo did not restore alice's binding:\n%s", s.memberDump("uid = 2"))
			}
			if got := s.memberDump("uid NOT IN (2, 4)"); got != before {
				t.Errorf("the force undo changed other members' rows: %s", firstDiff(before, got))
			}

			// 4. blacklist, then the blacklist row is removed in Discuz
			e2, _, err := s.R.Apply(ctx, repair.MemberBlacklist, repair.Args{UID: 2}, cli)
			if err != nil {
				t.Fatal(err)
			}
			s.D.Exec(t, "DELETE FROM pre_common_uin_black WHERE uin = ?", aliceOpenID)
			refused(e2.ID, "pre_common_uin_black uin "+aliceOpenID)

			// 5. the unbind log row is edited
			s.D.Exec(t, "INSERT INTO pre_common_uin_black (uin, uid, dateline) VALUES (?, 2, ?)", aliceOpenID, fixedNow)
			s.D.Exec(t, "UPDATE pre_connect_memberbindlog SET dateline = dateline + 1 WHERE uid = 2 AND type = 2 AND dateline = ?", fixedNow)
			refused(e2.ID, "pre_connect_memberbindlog mblid")
			s.D.Exec(t, "UPDATE pre_connect_memberbindlog SET dateline = dateline - 1 WHERE uid = 2 AND type = 2 AND dateline = ?", fixedNow+1)
			if _, err := s.R.Undo(ctx, e2.ID, cli); err != nil {
				t.Fatalf("undo once the rows are back: %v", err)
			}
		})
	}
}

// TestMemberUndoRestoresExactly: the whole state of the five tables (with
// every other member's rows and the exact identity ids) is restored after
// unbinding and banning several members in turn and undoing in reverse.
func TestMemberUndoRestoresExactly(t *testing.T) {
	ctx := context.Background()
	for _, version := range []string{testdb.X34, testdb.X35} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			s, _ := newMemberSite(t, version, false)
			states := []string{s.memberDump("")}
			var entries []int64
			for _, step := range []struct {
				action string
				uid    int64
			}{{repair.MemberUnbind, 2}, {repair.MemberBlacklist, 3}} {
				e, _, err := s.R.Apply(ctx, step.action, repair.Args{UID: step.uid}, cli)
				if err != nil {
					t.Fatalf("%s %d: %v", step.action, step.uid, err)
				}
				entries = append(entries, e.ID)
				states = append(states, s.memberDump(""))
			}
			for i := len(entries) - 1; i >= 0; i-- {
				if _, err := s.R.Undo(ctx, entries[i], cli); err != nil {
					t.Fatalf("undo #%d: %v", entries[i], err)
				}
				if got := s.memberDump(""); got != states[i] {
					t.Fatalf("after undo #%d: %s", entries[i], firstDiff(states[i], got))
				}
			}
		})
	}
}

// TestMemberWarnings: a cache that cannot drop member rows is named in the plan.
func TestMemberWarnings(t *testing.T) {
	ctx := context.Background()
	s, _ := newMemberSite(t, testdb.X35, false)
	s.R.Cache = repair.NewManualInvalidator([]string{"memcache"}, "file")
	plan, err := s.R.Plan(ctx, repair.MemberUnbind, repair.Args{UID: 2})
	if err != nil || !slices.ContainsFunc(plan.Warnings, func(w string) bool { return strings.Contains(w, "common_member_connect_<uid>") }) {
		t.Fatalf("plan: %v %q", err, plan.Warnings)
	}
	s.R.Cache = repair.NewManualInvalidator(nil, "file")
	if plan, err = s.R.Plan(ctx, repair.MemberUnbind, repair.Args{UID: 2}); err != nil || len(plan.Warnings) != 0 {
		t.Fatalf("plan without memory cache: %v %q", err, plan.Warnings)
	}
	for _, a := range repair.Actions() {
		if a.Member != (a.ID == repair.MemberUnbind || a.ID == repair.MemberBlacklist || a.ID == repair.MemberUnban) {
			t.Errorf("%s Member = %v", a.ID, a.Member)
		}
	}
}
