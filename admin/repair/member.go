package repair

// The member actions of the admin pages (admin/members.go) and of
// `qqconnect repair member-unbind|member-blacklist --uid N`
// (../shared/docs/discuz.md §5.7 "Admin side"):
//
//   - member-unbind is the 解除绑定 of Discuz's member editor, which Discuz
//     offers only when conisbind && !conisregister: connectunbind() writes
//     bind log type 2 (uin = conopenid), sets conisbind=0 and deletes the
//     pre_common_member_connect row. qqconnect also deletes its own identity
//     row(s) of that uid and openid, as models.Store.Unbind does.
//   - member-blacklist is the member editor's "uinblack": the same unbind,
//     then pre_common_uin_black (uin = conopenid, uid, dateline).
//
// Decision: member-blacklist works for accounts created through QQ
// (conisregister=1) too. Banning must work for any bound QQ, and Discuz's
// uinblack does the same (it calls connectunbind() without the
// conisregister check; the editor only adds a notice). Such a member keeps
// the random password of the QQ registration: the plan warns that they can
// only get back in through 找回密码 (password reset by email).
//
// Refusals, each a typed error with nothing written: no such member
// (ErrNoMember); not bound (ErrNotBound: unbind needs a connect row with an
// openid and conisbind≠0, blacklist a connect row with an openid);
// member-unbind of a conisregister=1 account (ErrRegisteredByQQ); the
// openid already blacklisted, or the uid already holding a blacklist row
// (pre_common_uin_black has UNIQUE KEY uid; Discuz's editor then offers
// only "remove from the blacklist") (ErrAlreadyBlacklisted).
//
// The snapshot keeps every row the action deletes with all its columns as
// the database returned them (SELECT *), conisbind, and the keys of the rows
// it inserts (the bind log's mblid, the blacklist's uin) with those rows as
// stored, so Undo restores the five tables byte for byte, and refuses with
// ErrConflict when any of them changed since: the member bound again, the
// QQ is bound to another member, the bind log or blacklist row was changed
// or removed, …
//
// conuintoken (the QQ access token) and the legacy conuin/conuinsecret are
// secrets: the plan and the audit JSON show them masked; only the encrypted
// undo data holds them.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"qqconnect/discuz"
	"qqconnect/models"
)

// memberOp is the snapshot of a member action: conisbind and whole rows,
// each going from Before to After (nil = no row).
type memberOp struct {
	UID       int64   `json:"uid"`
	Username  string  `json:"username"`
	ConIsBind *intOp  `json:"conisbind,omitempty"` // nil: unchanged
	Rows      []rowOp `json:"rows,omitempty"`      // in the order they are written
}

type intOp struct {
	Before int `json:"before"`
	After  int `json:"after"`
}

// rowOp replaces one row (by its primary key) of a memberTable.
type rowOp struct {
	Table string `json:"table"` // a memberTables key
	Key   string `json:"key"`   // primary key value; "" until the database gives a new row its id
	// Fresh rows are written by the action itself: the plan shows their
	// dateline as (now) (the audit entry's time), so a dry run and the
	// apply a moment later show the same values.
	Fresh  bool        `json:"fresh,omitempty"`
	Before *models.Row `json:"before,omitempty"`
	After  *models.Row `json:"after,omitempty"`
}

// touches reports whether the action writes a row of table (a memberTables key).
func (m *memberOp) touches(table string) bool {
	for _, op := range m.Rows {
		if op.Table == table {
			return true
		}
	}
	return false
}

func (m *memberOp) empty() bool { return m.ConIsBind == nil && len(m.Rows) == 0 }

// target is the audit entry's target.
func (m *memberOp) target() string { return fmt.Sprintf("uid %d (%s)", m.UID, m.Username) }

const (
	tblConnect  = "connect"
	tblBindLog  = "bindlog"
	tblUinBlack = "uinblack"
	tblIdentity = "identity"
)

// memberTable is one table the member actions write whole rows of.
type memberTable struct {
	short  string // Discuz table name without prefix, or own table name
	own    bool
	pk     string
	numPK  bool
	unique [][]string // keys no other row may hold when a row is put back
}

var memberTables = map[string]memberTable{
	// conopenid has no UNIQUE key, but one openid binds one member (discuz.md §2.2)
	tblConnect:  {short: "common_member_connect", pk: "uid", numPK: true, unique: [][]string{{"conopenid"}}},
	tblBindLog:  {short: "connect_memberbindlog", pk: "mblid", numPK: true},
	tblUinBlack: {short: "common_uin_black", pk: "uin", unique: [][]string{{"uid"}}},
	tblIdentity: {short: "identity", own: true, pk: "id", numPK: true, unique: [][]string{{"appid", "openid"}}},
}

func (mt memberTable) name(t models.Tables) string {
	if mt.own {
		return t.Own(mt.short)
	}
	return t.Discuz(mt.short)
}

// keyArg is the primary key value as a query argument.
func (mt memberTable) keyArg(key string) any {
	if mt.numPK {
		if n, err := strconv.ParseInt(key, 10, 64); err == nil {
			return n
		}
	}
	return key
}

func isMemberAction(action string) bool {
	a, ok := Action(action)
	return ok && a.Member
}

// memberTables are the tables of a member action's unit of work.
func (r *Repairer) memberTables() []string {
	t := r.Store.T
	return []string{t.Discuz("common_member"), t.Discuz("common_member_connect"), t.Discuz("connect_memberbindlog"),
		t.Discuz("common_uin_black"), t.Own("identity"), t.Own("audit")}
}

// buildMember reads the member (inside tx when given: rows locked) and
// computes member-unbind, member-blacklist or member-unban.
func (r *Repairer) buildMember(ctx context.Context, tx *gorm.DB, action string, args Args) (*work, error) {
	s, t := r.Store, r.Store.T
	uid := args.UID
	m, err := models.Maybe(s.MemberIn(ctx, tx, uid))
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, ErrNoMember.with(fmt.Sprintf("没有 uid 为 %d 的会员", uid), fmt.Sprintf("there is no member with uid %d", uid))
	}
	who := fmt.Sprintf("uid %d (%s)", uid, m.Username)
	if action == MemberUnban {
		return r.buildUnban(ctx, tx, m, who)
	}
	conns, err := s.RowsWhere(ctx, tx, t.Discuz("common_member_connect"), []string{"uid"}, uid)
	if err != nil {
		return nil, err
	}
	var conn *models.Row
	if len(conns) > 0 {
		conn = &conns[0]
	}
	openid, _ := conn.Get("conopenid")
	regValue, _ := conn.Get("conisregister")
	registered := regValue != "" && regValue != "0"
	blacklist := action == MemberBlacklist

	switch {
	case conn == nil && (blacklist || m.ConIsBind == 0):
		return nil, ErrNotBound.with(fmt.Sprintf("%s 没有绑定QQ（没有 %s 行，conisbind=%d）", who, t.Discuz("common_member_connect"), m.ConIsBind),
			fmt.Sprintf("%s is not bound to QQ (no %s row, conisbind=%d)", who, t.Discuz("common_member_connect"), m.ConIsBind))
	case conn == nil:
		return nil, ErrNotBound.with(fmt.Sprintf("%s 的 conisbind=%d，但没有 %s 行：没有可解除的QQ绑定", who, m.ConIsBind, t.Discuz("common_member_connect")),
			fmt.Sprintf("%s has conisbind=%d but no %s row: there is no QQ binding to remove", who, m.ConIsBind, t.Discuz("common_member_connect")))
	case !blacklist && m.ConIsBind == 0:
		return nil, ErrNotBound.with(fmt.Sprintf("%s 的 conisbind=0：Discuz 把它的 %s 行当作失效的绑定，管理员解绑不适用（要禁止这个QQ请用 member-blacklist）", who, t.Discuz("common_member_connect")),
			fmt.Sprintf("%s has conisbind=0: Discuz treats its %s row as a stale binding, so an admin unbind does not apply (use member-blacklist to ban the QQ)", who, t.Discuz("common_member_connect")))
	case openid == "":
		return nil, ErrNotBound.with(fmt.Sprintf("%s 的 %s 行没有 openid", who, t.Discuz("common_member_connect")),
			fmt.Sprintf("the %s row of %s has no openid", t.Discuz("common_member_connect"), who))
	case !blacklist && registered:
		return nil, ErrRegisteredByQQ.with(who+"："+ErrRegisteredByQQ.ZH, who+": "+ErrRegisteredByQQ.EN)
	}
	uin := strings.ToUpper(openid)
	tBlack := t.Discuz("common_uin_black")
	if blacklist {
		if rows, err := s.RowsWhere(ctx, tx, tBlack, []string{"uin"}, uin); err != nil {
			return nil, err
		} else if len(rows) > 0 {
			by, _ := rows[0].Get("uid")
			return nil, ErrAlreadyBlacklisted.with(fmt.Sprintf("QQ openid %s 已在 %s 中（uid %s）", uin, tBlack, by),
				fmt.Sprintf("QQ openid %s is already in %s (uid %s)", uin, tBlack, by))
		}
		if rows, err := s.RowsWhere(ctx, tx, tBlack, []string{"uid"}, uid); err != nil {
			return nil, err
		} else if len(rows) > 0 {
			other, _ := rows[0].Get("uin")
			return nil, ErrAlreadyBlacklisted.with(
				fmt.Sprintf("%s 在 %s 中已有一条记录（QQ openid %s），Discuz 每个会员只能有一条（UNIQUE KEY uid）：请先在 Discuz 后台会员编辑中取消这条QQ黑名单", who, tBlack, other),
				fmt.Sprintf("%s already has a %s row (QQ openid %s) and Discuz allows one per member (UNIQUE KEY uid): remove that ban in Discuz's member editor first", who, tBlack, other))
		}
	}
	ids, err := s.RowsWhere(ctx, tx, t.Own("identity"), []string{"uid", "openid"}, uid, uin)
	if err != nil {
		return nil, err
	}

	now := strconv.FormatInt(r.now().Unix(), 10)
	uidText := strconv.FormatInt(uid, 10)
	op := &memberOp{UID: uid, Username: m.Username}
	logRow := textRow([]string{"uid", "uin", "type", "dateline"}, uidText, uin, "2", now)
	op.Rows = append(op.Rows, rowOp{Table: tblBindLog, Fresh: true, After: &logRow})
	if blacklist {
		black := textRow([]string{"uin", "uid", "dateline"}, uin, uidText, now)
		op.Rows = append(op.Rows, rowOp{Table: tblUinBlack, Key: uin, Fresh: true, After: &black})
	}
	op.Rows = append(op.Rows, rowOp{Table: tblConnect, Key: uidText, Before: conn})
	for i := range ids {
		id, _ := ids[i].Get("id")
		op.Rows = append(op.Rows, rowOp{Table: tblIdentity, Key: id, Before: &ids[i]})
	}
	var notes []string
	if m.ConIsBind != 0 {
		op.ConIsBind = &intOp{Before: m.ConIsBind, After: 0}
	} else {
		notes = append(notes, fmt.Sprintf("%s conisbind 已是 0 / conisbind is already 0", who))
	}
	if len(ids) == 0 {
		notes = append(notes, fmt.Sprintf("%s 中没有该会员和这个 openid 的行 / %s has no row of this member and openid", t.Own("identity"), t.Own("identity")))
	}

	w := &work{snap: snapshot{Format: snapshotFormat, Action: action, Member: op}}
	w.plan = &Plan{Action: action, Changes: r.changes(&w.snap), Notes: notes, Target: op.target(),
		Warnings: r.memberWarnings(op, blacklist && registered)}
	return w, nil
}

// buildUnban computes member-unban: the member's pre_common_uin_black row
// (Discuz's editor finds it by uid) deleted, nothing else.
func (r *Repairer) buildUnban(ctx context.Context, tx *gorm.DB, m *models.Member, who string) (*work, error) {
	tBlack := r.Store.T.Discuz("common_uin_black")
	rows, err := r.Store.RowsWhere(ctx, tx, tBlack, []string{"uid"}, m.UID)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrNotBlacklisted.with(fmt.Sprintf("%s 在 %s 中没有记录", who, tBlack), fmt.Sprintf("%s has no %s row", who, tBlack))
	}
	uin, _ := rows[0].Get("uin")
	op := &memberOp{UID: m.UID, Username: m.Username, Rows: []rowOp{{Table: tblUinBlack, Key: uin, Before: &rows[0]}}}
	w := &work{snap: snapshot{Format: snapshotFormat, Action: MemberUnban, Member: op}}
	w.plan = &Plan{Action: MemberUnban, Changes: r.changes(&w.snap), Target: op.target(),
		Notes: []string{fmt.Sprintf("QQ openid %s 可以重新登录和绑定；原来的绑定不会恢复 / QQ openid %s can log in and bind again; the old binding does not come back", uin, uin)}}
	return w, nil
}

// memberWarnings is what the admin must know about a member change.
func (r *Repairer) memberWarnings(m *memberOp, registered bool) []string {
	var out []string
	if registered {
		out = append(out, "该账号是通过QQ注册的（conisregister=1），密码是注册时随机生成的：禁止此QQ后，会员只能通过“找回密码”（邮箱）重新登录 / "+
			"this account was created through QQ (conisregister=1) and its password is the random one of that registration: once the QQ is banned, the member can only get back in through 找回密码 (password reset by email)")
	}
	if rw, ok := r.Cache.(rowWarner); ok {
		if msg := rw.RowWarning(); msg != "" {
			out = append(out, msg)
		}
	}
	return out
}

// textRow is a row of text values (no NULLs).
func textRow(cols []string, vals ...string) models.Row {
	ptrs := make([]*string, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	return models.NewRow(cols, ptrs...)
}

// executeMember writes m inside the unit, registering the compensation of
// each step for MyISAM: rows in order (a row's old version is deleted, its
// new one inserted and read back as stored, so the snapshot holds the keys
// and bytes the database gave it), conisbind last — a restored binding
// becomes visible to Discuz only when it is complete.
func (r *Repairer) executeMember(ctx context.Context, u *models.Unit, m *memberOp) error {
	s, tx := r.Store, u.Tx()
	bg := context.WithoutCancel(ctx)
	for i := range m.Rows {
		op := &m.Rows[i]
		mt, ok := memberTables[op.Table]
		if !ok {
			return ErrNotUndoable.wrap(fmt.Errorf("unknown table %q in the snapshot", op.Table))
		}
		table := mt.name(s.T)
		if op.Before != nil {
			key := mt.keyArg(op.Key)
			n, err := s.DeleteRowsWhere(ctx, tx, table, mt.pk, key)
			if err != nil {
				return err
			}
			if n != 1 {
				return ErrConflict.with(fmt.Sprintf("%s %s %s 在执行期间被修改", table, mt.pk, op.Key),
					fmt.Sprintf("%s %s %s changed while the action ran", table, mt.pk, op.Key))
			}
			before := *op.Before
			u.OnUndo(func(db *gorm.DB) error { _, err := s.InsertRow(bg, db, table, before); return err })
		}
		if op.After != nil {
			id, err := s.InsertRow(ctx, tx, table, *op.After)
			if err != nil {
				return err
			}
			if op.Key == "" {
				if id <= 0 {
					return fmt.Errorf("insert %s: no id", table)
				}
				op.Key = strconv.FormatInt(id, 10)
			}
			key := mt.keyArg(op.Key)
			u.OnUndo(func(db *gorm.DB) error { _, err := s.DeleteRowsWhere(bg, db, table, mt.pk, key); return err })
			rows, err := s.RowsWhere(ctx, tx, table, []string{mt.pk}, key)
			if err != nil {
				return err
			}
			if len(rows) != 1 {
				return fmt.Errorf("insert %s: %d rows with %s %s", table, len(rows), mt.pk, op.Key)
			}
			op.After = &rows[0]
		}
	}
	if c := m.ConIsBind; c != nil {
		if err := s.SetConIsBind(ctx, tx, m.UID, c.Before, c.After); err != nil {
			if errors.Is(err, models.ErrNotFound) {
				return ErrConflict.with(fmt.Sprintf("uid %d 的 conisbind 在执行期间被修改", m.UID), fmt.Sprintf("conisbind of uid %d changed while the action ran", m.UID)).wrapCause(err)
			}
			return err
		}
		u.OnUndo(func(db *gorm.DB) error { return s.SetConIsBind(bg, db, m.UID, c.After, c.Before) })
	}
	return nil
}

// undoMember lists the values of m that no longer hold m's "after" state
// (conflicts), and computes the change back to m's "before" state from the
// current values.
func (r *Repairer) undoMember(ctx context.Context, tx *gorm.DB, m *memberOp, conflict func(where, key string)) (*memberOp, error) {
	s, t := r.Store, r.Store.T
	tMember := t.Discuz("common_member")
	cur, err := models.Maybe(s.MemberIn(ctx, tx, m.UID))
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, conflictError([]string{fmt.Sprintf("%s uid %d（会员已被删除 / the member was deleted）", tMember, m.UID)})
	}
	out := &memberOp{UID: m.UID, Username: m.Username}
	for _, op := range m.Rows {
		mt, ok := memberTables[op.Table]
		if !ok || op.Key == "" {
			return nil, ErrNotUndoable.wrap(fmt.Errorf("malformed row %q/%q in the snapshot", op.Table, op.Key))
		}
		table := mt.name(t)
		rows, err := s.RowsWhere(ctx, tx, table, []string{mt.pk}, mt.keyArg(op.Key))
		if err != nil {
			return nil, err
		}
		var now *models.Row
		if len(rows) > 0 {
			now = &rows[0]
		}
		label := mt.pk + " " + op.Key
		if !now.Equal(op.After) {
			conflict(table, label)
		}
		if op.Before != nil {
			// the row to put back must not clash with another row
			for _, cols := range mt.unique {
				vals := make([]any, len(cols))
				texts := make([]string, len(cols))
				complete := true
				for i, c := range cols {
					v, ok := op.Before.Get(c)
					complete = complete && ok
					vals[i], texts[i] = v, v
				}
				if !complete {
					continue
				}
				others, err := s.RowsWhere(ctx, tx, table, cols, vals...)
				if err != nil {
					return nil, err
				}
				for _, o := range others {
					if k, _ := o.Get(mt.pk); !strings.EqualFold(k, op.Key) {
						conflict(table, fmt.Sprintf("%s (%s %s)", label, strings.Join(cols, ","), strings.Join(texts, ",")))
						break
					}
				}
			}
		}
		if !now.Equal(op.Before) {
			out.Rows = append(out.Rows, rowOp{Table: op.Table, Key: op.Key, Before: now, After: op.Before})
		}
	}
	if c := m.ConIsBind; c != nil {
		if cur.ConIsBind != c.After {
			conflict(tMember, fmt.Sprintf("uid %d conisbind", m.UID))
		}
		if cur.ConIsBind != c.Before {
			out.ConIsBind = &intOp{Before: cur.ConIsBind, After: c.Before}
		}
	}
	return out, nil
}

// invalidateMember drops Discuz's cached rows of the member (the same keys
// as after a bind or unbind: discuz.MemberRowKeys) when the cache can do
// that; a failure becomes a warning.
func (r *Repairer) invalidateMember(ctx context.Context, uid int64, plan *Plan) {
	ki, ok := r.Cache.(keyInvalidator)
	if !ok {
		return
	}
	if err := ki.InvalidateKeys(ctx, discuz.MemberRowKeys("", uid)...); err != nil {
		r.log().Warn("member rows not cleared from the memory cache", "uid", uid, "cache", r.Cache.Describe(), "err", err)
		plan.Warnings = append(plan.Warnings, "数据库已修改，但无法从 Discuz 的内存缓存中清除该会员的数据行（"+err.Error()+"）：请在 Discuz 后台 → 全局 → 性能优化 → 内存优化 → 内存清理，否则 Discuz 会一直显示旧的绑定状态 / "+
			"the database was changed but the member's rows could not be cleared from Discuz's memory cache ("+err.Error()+"): run Admin CP → Global → Performance → Memory → Clear memory, or Discuz keeps showing the old binding (the rows do not expire)")
	}
}

// rebuildBlacklistCache brings Discuz's connect_blacklist cache up to date
// after a ban or its undo, as Discuz's member editor does, and drops its
// memory copy. The database change is already committed: a failure becomes
// a warning.
func (r *Repairer) rebuildBlacklistCache(ctx context.Context, plan *Plan) {
	name := models.ConnectBlacklistCacheName
	if err := r.Store.RebuildConnectBlacklistCache(ctx, r.now()); err != nil {
		r.log().Warn("connect_blacklist cache not rebuilt", "err", err)
		plan.Warnings = append(plan.Warnings, "黑名单已修改，但无法重建 Discuz 的 connect_blacklist 缓存（"+err.Error()+"）：请在 Discuz 后台运行 工具 → 更新缓存，否则 Discuz 自带的QQ登录仍用旧的黑名单 / "+
			"the blacklist was changed but Discuz's connect_blacklist cache could not be rebuilt ("+err.Error()+"): run 工具 → 更新缓存, or Discuz's own QQ login keeps the old blacklist")
		return
	}
	if ki, ok := r.Cache.(keyInvalidator); ok {
		if err := ki.InvalidateKeys(ctx, name); err != nil {
			r.log().Warn("connect_blacklist not cleared from the memory cache", "cache", r.Cache.Describe(), "err", err)
			plan.Warnings = append(plan.Warnings, "无法从 Discuz 的内存缓存中清除 connect_blacklist（"+err.Error()+"）：请运行 内存清理 / "+
				"connect_blacklist could not be cleared from Discuz's memory cache ("+err.Error()+"): run Clear memory")
		}
	}
}

// Display: every column of every row, secrets masked.

var (
	numericCols = map[string]bool{"uid": true, "mblid": true, "type": true, "dateline": true, "id": true,
		"conisfeed": true, "conispublishfeed": true, "conispublisht": true, "conisregister": true, "conisqzoneavatar": true, "conisqqshow": true,
		"token_expires_at": true, "created_at": true, "updated_at": true}
	// conuintoken is the QQ access token; conuin/conuinsecret the legacy OAuth 1.0 token and secret
	secretCols = map[string]bool{"conuintoken": true, "conuinsecret": true, "conuin": true}
)

func (r *Repairer) memberChanges(m *memberOp) []Change {
	t := r.Store.T
	var out []Change
	if c := m.ConIsBind; c != nil {
		out = append(out, Change{Where: t.Discuz("common_member"), Key: fmt.Sprintf("uid %d conisbind", m.UID),
			Before: strconv.Itoa(c.Before), After: strconv.Itoa(c.After)})
	}
	for _, op := range m.Rows {
		mt := memberTables[op.Table]
		key := mt.pk + " " + op.Key
		if op.Key == "" {
			key = mt.pk + " (new)"
		}
		out = append(out, Change{Where: mt.name(t), Key: key, Before: showRow(op.Before, op.Fresh), After: showRow(op.After, op.Fresh),
			Secret: hasSecret(op.Before) || hasSecret(op.After)})
	}
	return out
}

// showRow is "col=value, …" (absent for no row).
func showRow(row *models.Row, fresh bool) string {
	if row == nil {
		return absent
	}
	parts := make([]string, len(row.Cols))
	for i, c := range row.Cols {
		v := row.Vals[i]
		var s string
		switch lc := strings.ToLower(c); {
		case v.Null:
			s = "NULL"
		case fresh && lc == "dateline":
			s = "(now)"
		case secretCols[lc]:
			s = "'" + discuz.Mask(string(v.Data)) + "'"
		case numericCols[lc]:
			s = string(v.Data)
		default:
			s = showString(lc, string(v.Data))
		}
		parts[i] = c + "=" + s
	}
	return strings.Join(parts, ", ")
}

func hasSecret(row *models.Row) bool {
	if row == nil {
		return false
	}
	for _, c := range row.Cols {
		if v, ok := row.Get(c); ok && v != "" && secretCols[strings.ToLower(c)] {
			return true
		}
	}
	return false
}
