package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"qqconnect/models"
)

func TestSeedDemo(t *testing.T) {
	s := newSQLiteStore(t)
	ctx := context.Background()
	fixed := time.Unix(1_750_000_000, 0)
	opts := models.DemoOptions{AppID: "100000001", AppKey: "sandbox-key", Now: func() time.Time { return fixed }}

	acc, err := models.SeedDemo(ctx, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	if acc == nil || acc.Admin.Username != "admin" || len(acc.Members) != 2 || acc.Members[0].Username != "alice" || acc.Members[1].Username != "bob" {
		t.Fatalf("accounts = %+v", acc)
	}
	all := append([]models.Account{acc.Admin}, acc.Members...)
	seen := map[string]bool{}
	for i, a := range all {
		uid := int64(i + 1)
		if len(a.Password) != 12 || seen[a.Password] {
			t.Errorf("%s: password %q not 12 random chars", a.Username, a.Password)
		}
		seen[a.Password] = true
		um, err := s.UCMemberByUID(ctx, uid)
		if err != nil || um.Username != a.Username || um.Salt != "" || um.RegDate != fixed.Unix() {
			t.Fatalf("ucenter uid %d = %+v, %v", uid, um, err)
		}
		if !strings.HasPrefix(um.Password, "$2y$10$") {
			t.Errorf("%s: hash %q is not PHP bcrypt cost 10", a.Username, um.Password)
		}
		if err := bcrypt.CompareHashAndPassword([]byte(um.Password), []byte(a.Password)); err != nil {
			t.Errorf("%s: password does not verify: %v", a.Username, err)
		}
		if bcrypt.CompareHashAndPassword([]byte(um.Password), []byte(a.Password+"x")) == nil {
			t.Errorf("%s: wrong password verifies", a.Username)
		}
		m, err := s.MemberByUID(ctx, uid)
		if err != nil || m.Username != a.Username || len(m.Password) != 32 || m.Password == um.Password {
			t.Fatalf("member uid %d = %+v, %v", uid, m, err)
		}
		wantAdmin, wantGroup := 0, 10
		if uid == 1 {
			wantAdmin, wantGroup = 1, 1
		}
		if m.AdminID != wantAdmin || m.GroupID != wantGroup {
			t.Errorf("%s: adminid/groupid = %d/%d", a.Username, m.AdminID, m.GroupID)
		}
		for _, table := range []string{"common_member_status", "common_member_count", "common_member_profile", "common_member_field_forum", "common_member_field_home"} {
			var n int64
			if err := s.DB.Table(s.T.Discuz(table)).Where("uid = ?", uid).Count(&n).Error; err != nil || n != 1 {
				t.Errorf("%s uid %d: %d rows, %v", table, uid, n, err)
			}
		}
		var fields int64
		s.DB.Table(s.T.UCenter("memberfields")).Where("uid = ?", uid).Count(&fields)
		if fields != 1 {
			t.Errorf("memberfields uid %d missing", uid)
		}
	}

	settings := map[string]string{
		"connectappid": "100000001", "connectappkey": "sandbox-key", "regconnect": "1", "regstatus": "1",
		"bbname": "qqconnect 演示论坛", "my_siteid": "", "bbclosed": "0", "censoruser": "",
	}
	for k, want := range settings {
		var got string
		if err := s.DB.Table("pre_common_setting").Where("skey = ?", k).Pluck("svalue", &got).Error; err != nil || got != want {
			t.Errorf("setting %s = %q, %v; want %q", k, got, err, want)
		}
	}
	var connect string
	s.DB.Table("pre_common_setting").Where("skey = ?", "connect").Pluck("svalue", &connect)
	if !strings.HasPrefix(connect, `a:20:{s:5:"allow";s:1:"1";`) || !strings.HasSuffix(connect, `s:13:"mblog_app_key";s:3:"abc";s:13:"guest_groupid";s:2:"20";}`) {
		t.Errorf("connect setting = %s", connect)
	}
	if p, err := s.PluginByIdentifier(ctx, "qqconnect"); err != nil || p.Available != 1 || p.Version != "2.1.7" || p.Directory != "qqconnect/" {
		t.Errorf("qqconnect plugin = %+v, %v", p, err)
	}
	if _, err := s.PluginByIdentifier(ctx, "mobile"); err != nil {
		t.Errorf("mobile plugin: %v", err)
	}
	for _, gid := range []int64{1, 7, 8, 10, 20} {
		if ok, err := s.UsergroupExists(ctx, gid); err != nil || !ok {
			t.Errorf("usergroup %d: %v %v", gid, ok, err)
		}
	}
	var g10 models.Usergroup
	if err := s.DB.Table("pre_common_usergroup").Where("groupid = 10").Take(&g10).Error; err != nil || g10.CreditsHigher != 0 || g10.CreditsLower != 50 || g10.GroupTitle != "新手上路" {
		t.Errorf("group 10 = %+v, %v", g10, err)
	}
	var g20 models.Usergroup
	if err := s.DB.Table("pre_common_usergroup").Where("groupid = 20").Take(&g20).Error; err != nil || g20.Type != "special" || g20.AllowVisit != 1 || g20.GroupTitle != "QQ游客" {
		t.Errorf("group 20 = %+v, %v", g20, err)
	}

	// Second run: already seeded, nothing changes, no accounts returned.
	again, err := models.SeedDemo(ctx, s, models.DemoOptions{AppID: "other", AppKey: "other"})
	if err != nil || again != nil {
		t.Errorf("second SeedDemo = %+v, %v; want nil, nil", again, err)
	}
	var appid string
	s.DB.Table("pre_common_setting").Where("skey = ?", "connectappid").Pluck("svalue", &appid)
	if appid != "100000001" {
		t.Errorf("second SeedDemo changed connectappid to %q", appid)
	}
	if err := models.CheckCompat(ctx, s); err != nil {
		t.Errorf("seeded demo forum not compatible: %v", err)
	}
}

func TestSeedDemoRefusesMySQL(t *testing.T) {
	_, err := models.SeedDemo(context.Background(), &models.Store{Dialect: models.DriverMySQL}, models.DemoOptions{})
	if err == nil || errors.Is(err, models.ErrNotFound) {
		t.Fatalf("SeedDemo on mysql = %v, want a refusal", err)
	}
}
