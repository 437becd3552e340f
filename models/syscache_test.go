package models_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"qqconnect/internal/testdb"
	"qqconnect/models"
)

// TestSettingCacheRows covers the row functions of syscache.go on both
// versions: the setting cache round-trips byte for byte and is never created,
// settings rows are upserted and deleted, the plugin flag needs the plugin.
func TestSettingCacheRows(t *testing.T) {
	for _, v := range []string{testdb.X34, testdb.X35} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s, d := newMySQLStore(t, v)
			if err := models.CheckCompat(ctx, s); err != nil {
				t.Fatal(err)
			}
			blob := []byte(`a:2:{s:12:"connectappid";s:3:"123";s:7:"plugins";a:1:{s:9:"available";a:1:{i:0;s:6:"mobile";}}}`)
			d.Exec(t, "REPLACE INTO pre_common_syscache (cname, ctype, dateline, data) VALUES ('setting', 1, 1, ?)", blob)

			arr, err := s.LoadSettingCache(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.SaveSettingCache(ctx, nil, arr, time.Unix(1700000000, 0)); err != nil {
				t.Fatal(err)
			}
			var got []byte
			var dateline int64
			d.SQL.QueryRow("SELECT data, dateline FROM pre_common_syscache WHERE cname='setting'").Scan(&got, &dateline)
			if !bytes.Equal(got, blob) || dateline != 1700000000 {
				t.Fatalf("round trip: %q %d", got, dateline)
			}
			// unchanged data and dateline: still fine (MySQL reports 0 changed rows)
			if err := s.SaveSettingCache(ctx, nil, arr, time.Unix(1700000000, 0)); err != nil {
				t.Fatal(err)
			}

			d.Exec(t, "DELETE FROM pre_common_syscache WHERE cname='setting'")
			if _, err := s.LoadSettingCache(ctx, nil); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("load without row: %v", err)
			}
			if err := s.SaveSettingCache(ctx, nil, arr, time.Now()); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("save without row: %v", err)
			}
			var n int
			d.SQL.QueryRow("SELECT COUNT(*) FROM pre_common_syscache WHERE cname='setting'").Scan(&n)
			if n != 0 {
				t.Fatal("SaveSettingCache created the row")
			}

			d.Exec(t, "DELETE FROM pre_common_setting WHERE skey IN ('connectappid', 'cloud_status')")
			if err := s.UpsertSetting(ctx, nil, "cloud_status", "0"); err != nil {
				t.Fatal(err)
			}
			if err := s.UpsertSetting(ctx, nil, "cloud_status", "1"); err != nil {
				t.Fatal(err)
			}
			rows, err := s.SettingRows(ctx, nil, "cloud_status", "connectappid")
			if err != nil || len(rows) != 1 || rows["cloud_status"] != "1" {
				t.Fatalf("rows %v %v", rows, err)
			}
			if err := s.DeleteSetting(ctx, nil, "cloud_status"); err != nil {
				t.Fatal(err)
			}
			if rows, _ := s.SettingRows(ctx, nil, "cloud_status"); len(rows) != 0 {
				t.Fatal("row not deleted")
			}

			if err := s.SetPluginAvailable(ctx, nil, "qqconnect", 0); err != nil {
				t.Fatal(err)
			}
			if err := s.SetPluginAvailable(ctx, nil, "qqconnect", 0); err != nil {
				t.Fatalf("unchanged value: %v", err)
			}
			if p, _ := s.PluginIn(ctx, nil, "qqconnect"); p.Available != 0 {
				t.Fatal("available not 0")
			}
			if err := s.SetPluginAvailable(ctx, nil, "nosuchplugin", 1); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("missing plugin: %v", err)
			}
			if err := s.SetPluginAvailable(ctx, nil, "qqconnect", 2); err == nil {
				t.Fatal("available=2 accepted")
			}

			// the QQ guest group: every NOT NULL column without a default is supplied (strict mode)
			gid, err := s.NextUsergroupID(ctx, nil)
			if err != nil || gid <= testdb.QQConnectGuestGroupID {
				t.Fatalf("next group id %d %v", gid, err)
			}
			if err := s.CreateSpecialUsergroup(ctx, nil, gid, "QQ游客"); err != nil {
				t.Fatal(err)
			}
			if g, err := s.UsergroupIn(ctx, nil, gid); err != nil || g.Type != "special" || g.AllowVisit != 1 || g.GroupTitle != "QQ游客" {
				t.Fatalf("group %+v %v", g, err)
			}
			if err := s.DeleteUsergroup(ctx, nil, gid); err != nil {
				t.Fatal(err)
			}
			if _, err := s.UsergroupIn(ctx, nil, gid); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("group still there: %v", err)
			}

			if err := s.SetMetaIn(ctx, nil, "k1", "v1"); err != nil {
				t.Fatal(err)
			}
			if v, ok, err := s.MetaIn(ctx, nil, "k1"); !ok || v != "v1" || err != nil {
				t.Fatalf("meta %q %v %v", v, ok, err)
			}
			if err := s.DeleteMetaIn(ctx, nil, "k1"); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := s.MetaIn(ctx, nil, "k1"); ok {
				t.Fatal("meta not deleted")
			}
		})
	}
}

// TestUnitUndo: a failing unit leaves nothing behind: rolled back on
// InnoDB (X3.5), compensated by the registered undo steps on MyISAM (X3.4).
func TestUnitUndo(t *testing.T) {
	for _, v := range []string{testdb.X34, testdb.X35} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s, _ := newMySQLStore(t, v)
			if err := models.CheckCompat(ctx, s); err != nil {
				t.Fatal(err)
			}
			tables := []string{s.T.Discuz("common_setting"), s.T.Discuz("common_plugin"), s.T.Own("audit")}
			boom := errors.New("boom")
			err := s.Unit(ctx, tables, func(u *models.Unit) error {
				if err := s.UpsertSetting(ctx, u.Tx(), "connectappid", "999999"); err != nil {
					return err
				}
				u.OnUndo(func(db *gorm.DB) error { return s.UpsertSetting(ctx, db, "connectappid", "101234567") })
				if err := s.SetPluginAvailable(ctx, u.Tx(), "qqconnect", 0); err != nil {
					return err
				}
				u.OnUndo(func(db *gorm.DB) error { return s.SetPluginAvailable(ctx, db, "qqconnect", 1) })
				if err := s.InsertAudit(ctx, u.Tx(), &models.AuditEntry{Action: "test"}); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("unit: %v", err)
			}
			rows, _ := s.SettingRows(ctx, nil, "connectappid")
			p, _ := s.PluginIn(ctx, nil, "qqconnect")
			if rows["connectappid"] != "101234567" || p.Available != 1 {
				t.Fatalf("after a failed unit: %v, available %d", rows, p.Available)
			}
			// InnoDB: the audit row went with the transaction (the audit
			// table must not make the unit non-transactional); MyISAM: it
			// was written outside any transaction, and its writer must
			// discard it (admin/repair registers DiscardAudit).
			list, _ := s.ListAudit(ctx, 10, 0)
			if v == testdb.X35 && len(list) != 0 {
				t.Fatalf("X3.5 unit was not one transaction: %d audit rows", len(list))
			}
			if v == testdb.X34 {
				if len(list) != 1 {
					t.Fatalf("X3.4: %d audit rows", len(list))
				}
				if err := s.DiscardAudit(ctx, nil, list[0].ID); err != nil {
					t.Fatal(err)
				}
				if list, _ := s.ListAudit(ctx, 10, 0); len(list) != 0 {
					t.Fatal("DiscardAudit left the row")
				}
			}
		})
	}
}
