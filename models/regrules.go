package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"qqconnect/discuz"
)

// RegRuleSettings are the settings Discuz's registration rules read, raw as
// stored: the rules in package discuz interpret them with PHP semantics.
type RegRuleSettings struct {
	// pre_common_setting (Discuz reads ipregctrl through its ipctrl cache,
	// which is built from the same row).
	BBClosed       string // 站点关闭: registration is refused (register_disable)
	RegCtrl        string // hours between two registrations from one IP
	RegFloodCtrl   string // registrations per IP per 24 hours
	IPRegCtrl      string // "\n"-separated IP prefixes with their own window…
	IPRegCtrlTime  string // …of this many hours
	IPVerifyWhite  string // "\n"-separated IP prefixes that skip regverify (ipctrl cache)
	RegMailDomain  string // 0 none, 1 whitelist, 2 blacklist of MailDomainList
	MailDomainList string // CRLF-separated domains

	// pre_ucenter_settings: UCenter's own switches. pre_common_setting also
	// has accessemail/censoremail/doublee rows, but no Discuz code reads them.
	UCDoubleE     string // truthy = one email may have several accounts
	UCAccessEmail string // CRLF-separated allowed domains
	UCCensorEmail string // CRLF-separated banned domains

	// EmailMaxLen is isemail()'s limit on this site's version.
	EmailMaxLen int
}

// CtrlFor is regctrl (with ipregctrl) for one client IP.
func (r *RegRuleSettings) CtrlFor(ip string) discuz.RegCtrl {
	return discuz.RegCtrlFor(ip, r.RegCtrl, r.IPRegCtrl, r.IPRegCtrlTime)
}

// Flood is regfloodctrl.
func (r *RegRuleSettings) Flood() discuz.RegFlood { return discuz.RegFloodFor(r.RegFloodCtrl) }

// LoadRegRuleSettings reads every setting the registration rules need.
func (s *Store) LoadRegRuleSettings(ctx context.Context) (*RegRuleSettings, error) {
	m, err := s.Settings(ctx, "bbclosed", "regctrl", "regfloodctrl", "ipregctrl", "ipregctrltime",
		"regmaildomain", "maildomainlist", "ipverifywhite")
	if err != nil {
		return nil, fmt.Errorf("registration rules: %w", err)
	}
	uc, err := s.UCSettings(ctx, "doublee", "accessemail", "censoremail")
	if err != nil {
		return nil, fmt.Errorf("registration rules: %w", err)
	}
	return &RegRuleSettings{
		BBClosed: m["bbclosed"], RegCtrl: m["regctrl"], RegFloodCtrl: m["regfloodctrl"],
		IPRegCtrl: m["ipregctrl"], IPRegCtrlTime: m["ipregctrltime"], IPVerifyWhite: m["ipverifywhite"],
		RegMailDomain: m["regmaildomain"], MailDomainList: m["maildomainlist"],
		UCDoubleE: uc["doublee"], UCAccessEmail: uc["accessemail"], UCCensorEmail: uc["censoremail"],
		EmailMaxLen: s.EmailMaxLen(),
	}, nil
}

// EmailMaxLen is the email length isemail() allows: 255 on X3.5 (UCenter
// 1.7, told apart by its secmobile column, as for the password hash), 32 on
// X3.4. Without an inspected schema it assumes the stricter X3.4 rule.
func (s *Store) EmailMaxLen() int {
	if s.Schema != nil && s.Schema.Has(s.T.UCenter("members"), "secmobile") {
		return discuz.EmailMaxLenX35
	}
	return discuz.EmailMaxLenX34
}

// UCSettings reads keys from UCenter's settings table (k/v). A key without a
// row is absent, which UCenter reads as an empty string (so a missing doublee
// means one account per address, the stock default). The standalone
// demo has no UCenter settings table: there every key is absent.
func (s *Store) UCSettings(ctx context.Context, keys ...string) (map[string]string, error) {
	t := s.T.UCenter("settings")
	out := make(map[string]string, len(keys))
	if lacks, err := s.sqliteLacks(ctx, s.DB, t); err != nil || lacks {
		return out, err
	}
	var rows []struct {
		K string `gorm:"column:k"`
		V string `gorm:"column:v"`
	}
	if err := s.ucConn().WithContext(ctx).Table(t).Select("k, v").Where("k IN ?", keys).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read UCenter settings: %w", err)
	}
	for _, r := range rows {
		out[r.K] = r.V
	}
	return out, nil
}

// UCEmailExists is UCenter's check_emailexists() on registration: is the
// address already used by a UCenter account. The comparison is the
// database's own, as in UCenter (case-insensitive with Discuz's _ci
// collations); pass the normalised (lower-case) address.
func (s *Store) UCEmailExists(ctx context.Context, email string) (bool, error) {
	var found []string
	err := s.ucenter(ctx, "members").Where("email = ?", email).Limit(1).Pluck("email", &found).Error
	if err != nil {
		return false, fmt.Errorf("check UCenter email: %w", err)
	}
	// UCenter tests the email it read back with PHP truthiness.
	return len(found) > 0 && discuz.PHPTruthy(found[0]), nil
}

// RegCtrlHit is Discuz's count_by_ip_dateline: has an IP matching the LIKE
// pattern (discuz.RegCtrl.Pattern) registered after since (a count=-1 row).
func (s *Store) RegCtrlHit(ctx context.Context, pattern string, since int64) (bool, error) {
	t := s.T.Discuz("common_regip")
	if lacks, err := s.sqliteLacks(ctx, s.DB, t); err != nil || lacks {
		return false, err
	}
	if pattern == "" {
		return false, nil // Discuz skips the query for an empty IP
	}
	var n int64
	err := s.DB.WithContext(ctx).Table(t).Where("ip LIKE ? AND count = -1 AND dateline > ?", pattern, since).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("check regctrl of %s: %w", pattern, err)
	}
	return n > 0, nil
}

// RegFloodCount is Discuz's fetch_by_ip_dateline: the registration counter
// of ip (its count>0 row newer than since), and whether there is one.
// Discuz reads the first such row; normally there is only one, and the
// largest is taken so that a duplicate never lets an IP through.
func (s *Store) RegFloodCount(ctx context.Context, ip string, since int64) (int64, bool, error) {
	t := s.T.Discuz("common_regip")
	if lacks, err := s.sqliteLacks(ctx, s.DB, t); err != nil || lacks {
		return 0, false, err
	}
	var counts []int64
	err := s.DB.WithContext(ctx).Table(t).Where("ip = ? AND count > 0 AND dateline > ?", ip, since).
		Order("count DESC").Limit(1).Pluck("count", &counts).Error
	if err != nil {
		return 0, false, fmt.Errorf("check regfloodctrl of %s: %w", ip, err)
	}
	if len(counts) == 0 {
		return 0, false, nil
	}
	return counts[0], true, nil
}

// RegIPRow is a pre_common_regip row: count=-1 marks one registration for
// regctrl, count>0 is the 24-hour registration counter of regfloodctrl.
type RegIPRow struct {
	IP       string `gorm:"column:ip"`
	Dateline int64  `gorm:"column:dateline"`
	Count    int64  `gorm:"column:count"`
}

// RecordRegIP writes what Discuz writes to pre_common_regip after a
// registration from ip at now (the registration's regdate); r nil writes
// nothing. Pass the caller's transaction as tx (nil = own statements).
// Inside Register's unit of work use recordRegIP, which also registers
// undos for MyISAM.
func (s *Store) RecordRegIP(ctx context.Context, tx *gorm.DB, r *RegRuleSettings, ip string, now time.Time) error {
	db := s.DB
	if tx != nil {
		db = tx
	}
	return s.recordRegIP(ctx, &writer{tx: db.WithContext(ctx)}, r, ip, now)
}

// recordRegIP is register_ctl::on_register's pre_common_regip writes as
// steps of the unit of work w, each with its undo:
//   - regfloodctrl on: the IP's 24-hour counter +1 (every count>0 row of the
//     IP, as Discuz's update_count_by_ip), or a new row (ip, now, 1);
//   - regctrl or regfloodctrl on: prune rows older than max(regctrl, 72) h;
//   - regctrl on: the row (ip, now, -1) that the next regctrl check finds.
//
// Discuz writes the counter before the member rows and the rest after the
// QQ binding; all of them belong to the same registration, so their place
// in the unit of work does not matter as long as they commit or undo with it.
func (s *Store) recordRegIP(ctx context.Context, w *writer, r *RegRuleSettings, ip string, now time.Time) error {
	if r == nil {
		return nil // the caller checked no rules, so Discuz's rows are not due either
	}
	ctrl, flood := r.CtrlFor(ip), r.Flood()
	if !ctrl.On && !flood.On {
		return nil
	}
	t := s.T.Discuz("common_regip")
	// Inspected here, on the unit's own connection, because the start-up
	// schema does not list this table: it tells whether it exists and how
	// long its ip column is.
	sch, err := InspectSchema(ctx, w.tx, s.Dialect, []string{t})
	if err != nil {
		return fmt.Errorf("record registration IP: %w", err)
	}
	if !sch.HasTable(t) {
		if s.Dialect == DriverSQLite {
			return nil // the standalone demo has no such table
		}
		return fmt.Errorf("record registration IP: table %s is missing", t)
	}
	// Discuz's connection runs with sql_mode='' and MySQL cuts a long IPv6
	// address to X3.4's char(15) when it stores it; cut what is stored here
	// so strict mode does not fail. Lookups keep the full IP, as Discuz's do.
	stored := (&Store{Schema: sch}).Fit(t, "ip", ip)
	ts := now.Unix()
	limit1 := ""
	if s.Dialect == DriverMySQL {
		limit1 = " LIMIT 1"
	}
	deleteRow := func(count int64) func(db *gorm.DB) error {
		return func(db *gorm.DB) error {
			return db.Exec("DELETE FROM "+t+" WHERE ip = ? AND dateline = ? AND count = ?"+limit1, stored, ts, count).Error
		}
	}
	insert := "INSERT INTO " + t + " (ip, dateline, count) VALUES (?, ?, ?)"

	if flood.On {
		var n int64
		if err := w.tx.Table(t).Where("ip = ? AND count > 0 AND dateline > ?", ip, ts-discuz.RegFloodWindow).Count(&n).Error; err != nil {
			return fmt.Errorf("read registration counter of %s: %w", ip, err)
		}
		if n > 0 {
			undo := func(db *gorm.DB) error {
				return db.Exec("UPDATE "+t+" SET count = count - 1 WHERE ip = ? AND count > 1", ip).Error
			}
			if err := w.exec(undo, "UPDATE "+t+" SET count = count + 1 WHERE ip = ? AND count > 0", ip); err != nil {
				return fmt.Errorf("count registration of %s: %w", ip, err)
			}
		} else if err := w.exec(deleteRow(1), insert, stored, ts, 1); err != nil {
			return fmt.Errorf("start registration counter of %s: %w", ip, err)
		}
	}

	cut := ctrl.PruneBefore(ts)
	var old []RegIPRow
	if err := w.tx.Table(t).Where("dateline <= ?", cut).Find(&old).Error; err != nil {
		return fmt.Errorf("read expired registration IPs: %w", err)
	}
	if len(old) > 0 {
		restore := func(db *gorm.DB) error {
			for _, o := range old {
				if err := db.Exec(insert, o.IP, o.Dateline, o.Count).Error; err != nil {
					return err
				}
			}
			return nil
		}
		if err := w.exec(restore, "DELETE FROM "+t+" WHERE dateline <= ?", cut); err != nil {
			return fmt.Errorf("prune registration IPs: %w", err)
		}
	}

	if ctrl.On {
		if err := w.exec(deleteRow(-1), insert, stored, ts, -1); err != nil {
			return fmt.Errorf("record registration of %s: %w", ip, err)
		}
	}
	return nil
}

// sqliteLacks reports whether the standalone (sqlite) database lacks table:
// its demo forum has no UCenter settings and no regip table. On MySQL it is
// always false, so a missing Discuz table there is an error, not a default.
func (s *Store) sqliteLacks(ctx context.Context, db *gorm.DB, table string) (bool, error) {
	if s.Dialect != DriverSQLite {
		return false, nil
	}
	if s.Schema != nil {
		return !s.Schema.HasTable(table), nil // CheckCompat inspected it at start-up
	}
	var n int64
	err := db.WithContext(ctx).Table("sqlite_master").Where("type = ? AND name = ?", "table", table).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("look for table %s: %w", table, err)
	}
	return n == 0, nil
}
