package models

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// Schema is what the database actually holds for a set of tables: Discuz
// X3.4 and X3.5 differ in columns (secmobile, regport, videophoto…) and in
// engine (MyISAM vs InnoDB), and writers must adapt to both.
type Schema struct {
	tables map[string]*tableInfo // by real table name
}

type tableInfo struct {
	engine  string
	columns []string              // in table order, as the database spells them
	has     map[string]bool       // lower-cased column names
	facts   map[string]ColumnFact // lower-cased column name → what it holds (mysql only)
}

// InspectSchema reads the columns and engines of the given tables (all tables
// of the current database/file when tables is empty). Tables that do not exist
// are simply absent from the result.
func InspectSchema(ctx context.Context, db *gorm.DB, dialect string, tables []string) (*Schema, error) {
	s := &Schema{tables: map[string]*tableInfo{}}
	switch dialect {
	case DriverMySQL:
		if err := s.inspectMySQL(ctx, db, tables); err != nil {
			return nil, fmt.Errorf("inspect schema: %w", err)
		}
	case DriverSQLite:
		if err := s.inspectSQLite(ctx, db, tables); err != nil {
			return nil, fmt.Errorf("inspect schema: %w", err)
		}
	default:
		return nil, fmt.Errorf("inspect schema: unknown dialect %q", dialect)
	}
	return s, nil
}

// inspect is InspectSchema over the forum's connection, except that
// UCenter's tables are read from UCenter's own server when it has one.
func (st *Store) inspect(ctx context.Context, names []string) (*Schema, error) {
	if st.UC == nil {
		return InspectSchema(ctx, st.DB, st.Dialect, names)
	}
	var forum, uc []string
	prefix := st.T.UCenter("")
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			uc = append(uc, n)
		} else {
			forum = append(forum, n)
		}
	}
	s, err := InspectSchema(ctx, st.DB, st.Dialect, forum)
	if err != nil {
		return nil, err
	}
	u, err := InspectSchema(ctx, st.UC, DriverMySQL, uc)
	if err != nil {
		return nil, fmt.Errorf("UCenter's server: %w", err)
	}
	for name, ti := range u.tables {
		s.tables[name] = ti
	}
	return s, nil
}

func (s *Schema) inspectMySQL(ctx context.Context, db *gorm.DB, tables []string) error {
	// Tables named "db.table" (UCenter in a database of its own) are read
	// from that schema and kept under the qualified name; the rest from
	// DATABASE(): the same server may hold other forums.
	bySchema := map[string][]string{}
	for _, t := range tables {
		schema, name := "", t
		if i := strings.IndexByte(t, '.'); i >= 0 {
			schema, name = t[:i], t[i+1:]
		}
		bySchema[schema] = append(bySchema[schema], name)
	}
	if len(tables) == 0 {
		bySchema[""] = nil
	}
	for schema, names := range bySchema {
		if err := s.inspectMySQLSchema(ctx, db, schema, names); err != nil {
			return err
		}
	}
	return nil
}

func (s *Schema) inspectMySQLSchema(ctx context.Context, db *gorm.DB, schema string, tables []string) error {
	type tableRow struct {
		Name   string  `gorm:"column:TABLE_NAME"`
		Engine *string `gorm:"column:ENGINE"`
	}
	type colRow struct {
		Table   string  `gorm:"column:TABLE_NAME"`
		Column  string  `gorm:"column:COLUMN_NAME"`
		Type    string  `gorm:"column:DATA_TYPE"`
		MaxLen  *int64  `gorm:"column:CHARACTER_MAXIMUM_LENGTH"`
		Charset *string `gorm:"column:CHARACTER_SET_NAME"`
	}
	where, args := "TABLE_SCHEMA = DATABASE()", []any{}
	qualify := func(name string) string { return name }
	if schema != "" {
		where, args = "TABLE_SCHEMA = ?", []any{schema}
		qualify = func(name string) string { return schema + "." + name }
	}
	tq := db.WithContext(ctx).Table("information_schema.TABLES").
		Select("TABLE_NAME, ENGINE").Where(where, args...)
	cq := db.WithContext(ctx).Table("information_schema.COLUMNS").
		Select("TABLE_NAME, COLUMN_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, CHARACTER_SET_NAME").Where(where, args...).
		Order("TABLE_NAME, ORDINAL_POSITION")
	if len(tables) > 0 {
		tq = tq.Where("TABLE_NAME IN ?", tables)
		cq = cq.Where("TABLE_NAME IN ?", tables)
	}
	var trows []tableRow
	if err := tq.Scan(&trows).Error; err != nil {
		return fmt.Errorf("information_schema.TABLES: %w", err)
	}
	for _, r := range trows {
		engine := "VIEW"
		if r.Engine != nil {
			engine = *r.Engine
		}
		s.tables[qualify(r.Name)] = &tableInfo{engine: engine, has: map[string]bool{}, facts: map[string]ColumnFact{}}
	}
	var crows []colRow
	if err := cq.Scan(&crows).Error; err != nil {
		return fmt.Errorf("information_schema.COLUMNS: %w", err)
	}
	for _, r := range crows {
		if ti := s.tables[qualify(r.Table)]; ti != nil {
			ti.columns = append(ti.columns, r.Column)
			ti.has[strings.ToLower(r.Column)] = true
			f := ColumnFact{Type: strings.ToLower(r.Type)}
			if r.MaxLen != nil {
				f.MaxLen = *r.MaxLen
			}
			if r.Charset != nil {
				f.Charset = strings.ToLower(*r.Charset)
			}
			ti.facts[strings.ToLower(r.Column)] = f
		}
	}
	return nil
}

func (s *Schema) inspectSQLite(ctx context.Context, db *gorm.DB, tables []string) error {
	var names []string
	q := db.WithContext(ctx).Table("sqlite_master").Where("type = ?", "table")
	if len(tables) > 0 {
		q = q.Where("name IN ?", tables)
	}
	if err := q.Pluck("name", &names).Error; err != nil {
		return fmt.Errorf("sqlite_master: %w", err)
	}
	for _, name := range names {
		var cols []string
		if err := db.WithContext(ctx).Raw("SELECT name FROM pragma_table_info(?) ORDER BY cid", name).Scan(&cols).Error; err != nil {
			return fmt.Errorf("table_info(%s): %w", name, err)
		}
		ti := &tableInfo{engine: "sqlite", columns: cols, has: map[string]bool{}}
		for _, c := range cols {
			ti.has[strings.ToLower(c)] = true
		}
		s.tables[name] = ti
	}
	return nil
}

// HasTable reports whether the (real, prefixed) table exists.
func (s *Schema) HasTable(table string) bool {
	return s != nil && s.tables[table] != nil
}

// Has reports whether the table has the column (case-insensitive, like MySQL).
func (s *Schema) Has(table, column string) bool {
	if !s.HasTable(table) {
		return false
	}
	return s.tables[table].has[strings.ToLower(column)]
}

// Columns lists the table's columns in table order (nil if it does not exist).
func (s *Schema) Columns(table string) []string {
	if !s.HasTable(table) {
		return nil
	}
	return slices.Clone(s.tables[table].columns)
}

// Transactional reports whether writes to the table can be rolled back:
// true for InnoDB (X3.5) and sqlite, false for MyISAM/Aria/MEMORY (X3.4
// installs MyISAM), so callers know a failed multi-table write may leave
// partial rows behind and must clean up by hand.
func (s *Schema) Transactional(table string) bool {
	if !s.HasTable(table) {
		return false
	}
	switch strings.ToLower(s.tables[table].engine) {
	case "innodb", "sqlite", "xtradb":
		return true
	}
	return false
}

// requiredTable is one Discuz/UCenter table qqconnect needs and the columns
// present in BOTH the X3.4 and the X3.5 install SQL (hand-derived from
// ../shared/discuz/x3.{4,5}/{install,uc}.sql). Version-specific columns
// (secmobile, regport, videophoto, allowfollow…) are optional: use Schema.Has.
type requiredTable struct {
	uc      bool   // UCenter prefix instead of the Discuz one
	name    string // short name
	hint    string // what to do when it is incomplete
	columns string // space-separated
}

const hintPlugin = "upgrade the qqconnect plugin in Discuz first"

func requiredTables() []requiredTable {
	return []requiredTable{
		{name: "common_member", columns: "uid email username password status emailstatus avatarstatus adminid groupid groupexpiry extgroupids regdate credits notifysound timeoffset newpm newprompt accessmasks allowadmincp onlyacceptfriendpm conisbind freeze"},
		{name: "common_member_status", columns: "uid regip lastip port lastvisit lastactivity lastpost lastsendmail invisible buyercredit sellercredit favtimes sharetimes profileprogress"},
		{name: "common_member_count", columns: "uid extcredits1 extcredits2 extcredits3 extcredits4 extcredits5 extcredits6 extcredits7 extcredits8 friends posts threads digestposts doings blogs albums sharings attachsize views oltime todayattachs todayattachsize feeds follower following newfollower blacklist"},
		{name: "common_member_profile", columns: "uid realname gender birthyear birthmonth birthday constellation zodiac telephone mobile idcardtype idcard address zipcode nationality birthprovince birthcity birthdist birthcommunity resideprovince residecity residedist residecommunity residesuite graduateschool company education occupation position revenue affectivestatus lookingfor bloodtype height weight alipay icq qq yahoo msn taobao site bio interest field1 field2 field3 field4 field5 field6 field7 field8"},
		{name: "common_member_field_forum", columns: "uid publishfeed customshow customstatus medals sightml groupterms authstr groups attentiongroup"},
		{name: "common_member_field_home", columns: "uid spacename spacedescription domain addsize addfriend menunum theme spacecss blockposition recentnote spacenote privacy feedfriend acceptemail magicgift stickblogs"},
		{name: "common_member_connect", hint: hintPlugin, columns: "uid conuin conuinsecret conopenid conisfeed conispublishfeed conispublisht conisregister conisqzoneavatar conisqqshow conuintoken"},
		{name: "common_connect_guest", hint: hintPlugin, columns: "conopenid conuin conuinsecret conqqnick conuintoken"},
		{name: "connect_memberbindlog", hint: hintPlugin, columns: "mblid uid uin type dateline"},
		{name: "common_uin_black", columns: "uin uid dateline"},
		{name: "common_setting", columns: "skey svalue"},
		{name: "common_syscache", columns: "cname ctype dateline data"},
		{name: "common_plugin", columns: "pluginid available adminid name identifier description datatables directory copyright modules version"},
		{name: "common_usergroup", columns: "groupid radminid type system grouptitle creditshigher creditslower stars color icon allowvisit allowsendpm allowinvite allowmailinvite maxinvitenum inviteprice maxinviteday"},
		{name: "common_usergroup_field", columns: "groupid readaccess allowpost allowreply allowpostpoll allowpostreward allowposttrade allowpostactivity allowdirectpost allowgetattach allowgetimage allowpostattach allowpostimage allowvote allowsearch allowcstatus allowinvisible allowtransfer allowsetreadperm allowsetattachperm allowposttag allowhidecode allowhtml allowanonymous allowsigbbcode allowsigimgcode allowmagics disableperiodctrl reasonpm maxprice maxsigsize maxattachsize maxsizeperday maxthreadsperhour maxpostsperhour attachextensions raterange loginreward mintradeprice maxtradeprice minrewardprice maxrewardprice magicsdiscount maxmagicsweight allowpostdebate tradestick exempt maxattachnum allowposturl allowrecommend allowpostrushreply maxfriendnum maxspacesize allowcomment allowcommentarticle searchinterval searchignore allowblog allowdoing allowupload allowshare allowblogmod allowdoingmod allowuploadmod allowsharemod allowcss allowpoke allowfriend allowclick allowmagic allowstat allowstatdata magicdiscount domainlength seccode disablepostctrl allowbuildgroup allowgroupdirectpost allowgroupposturl edittimelimit allowpostarticle allowdownlocalimg allowdownremoteimg allowpostarticlemod allowspacediyhtml allowspacediybbcode allowspacediyimgcode allowcommentpost allowcommentitem allowcommentreply allowreplycredit ignorecensor allowsendallpm allowsendpmmaxnum maximagesize allowmediacode allowbegincode allowat allowsetpublishdate allowfollowcollection allowcommentcollection allowcreatecollection forcesecques forcelogin closead buildgroupcredits allowimgcontent"},
		{uc: true, name: "members", hint: "UCenter's tables, where config_ucenter.php's UC_DBTABLEPRE (or QQCONNECT_UC_TABLE_PREFIX) says", columns: "uid username password email myid myidkey regip regdate lastloginip lastlogintime salt secques"},
		{uc: true, name: "memberfields", hint: "UCenter's tables, where config_ucenter.php's UC_DBTABLEPRE (or QQCONNECT_UC_TABLE_PREFIX) says", columns: "uid blacklist"},
	}
}

// ownTableNames are qqconnect's own tables, inspected too so callers can ask
// s.Schema about them; they are created by package migrations, not required here.
func ownTableNames() []string {
	return []string{"meta", "migrations", "identity", "oauth_state", "pending", "login_attempt", "audit", "admin_session", "claim"}
}

func (r requiredTable) realName(t Tables) string {
	if r.uc {
		return t.UCenter(r.name)
	}
	return t.Discuz(r.name)
}

// CompatError lists every way the database falls short of what qqconnect
// needs, one entry per table, so an operator fixes everything in one go.
type CompatError struct {
	Problems []string
}

func (e *CompatError) Error() string {
	return "database is not compatible with qqconnect: " + strings.Join(e.Problems, "; ")
}

// CheckCompat is the start-up check: every required table and every column
// common to X3.4 and X3.5 must exist, or qqconnect refuses to start with a
// *CompatError naming them all. It also sets s.Schema.
func CheckCompat(ctx context.Context, s *Store) error {
	var names []string
	for _, r := range requiredTables() {
		names = append(names, r.realName(s.T))
	}
	for _, n := range ownTableNames() {
		names = append(names, s.T.Own(n))
	}
	// Optional tables, inspected so writers know their engine and columns
	// (the demo forum has neither).
	names = append(names, s.T.Discuz("common_regip"), s.T.UCenter("settings"), s.T.Discuz("common_member_archive"),
		s.T.Discuz("common_member_validate"), s.T.Discuz("common_member_profile_setting"),
		s.T.Discuz("common_member_verify_info"), s.T.Discuz("common_member_verify"), s.T.UCenter("applications"))
	names = append(names, s.regAftermathTables()...)
	names = append(names, s.inviteTables()...)
	schema, err := s.inspect(ctx, names)
	if err != nil {
		return fmt.Errorf("compatibility check: %w", err)
	}
	s.Schema = schema

	var problems []string
	for _, r := range requiredTables() {
		table := r.realName(s.T)
		hint := ""
		if r.hint != "" {
			hint = " (" + r.hint + ")"
		}
		if !schema.HasTable(table) {
			problems = append(problems, table+": missing table"+hint)
			continue
		}
		var missing []string
		for _, c := range strings.Fields(r.columns) {
			if !schema.Has(table, c) {
				missing = append(missing, c)
			}
		}
		switch len(missing) {
		case 0:
		case 1:
			problems = append(problems, table+": missing column "+missing[0]+hint)
		default:
			problems = append(problems, table+": missing columns "+strings.Join(missing, ", ")+hint)
		}
	}
	if len(problems) > 0 {
		return &CompatError{Problems: problems}
	}
	return nil
}
