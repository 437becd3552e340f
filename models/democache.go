package models

import (
	"context"
	"fmt"
	"time"

	"qqconnect/discuz"
)

// SeedDemoSettingCache gives the standalone demo forum the `setting` row of
// pre_common_syscache a real Discuz has, with qqconnect switched on, so the
// doctor and the repair actions behave on the demo exactly as on a real site.
// It only writes when the row is missing.
func SeedDemoSettingCache(ctx context.Context, s *Store, now time.Time) error {
	t := s.T.Discuz("common_syscache")
	var n int64
	if err := s.DB.WithContext(ctx).Table(t).Where("cname = ?", "setting").Count(&n).Error; err != nil {
		return fmt.Errorf("look for the setting cache: %w", err)
	}
	if n > 0 {
		return nil
	}
	m, err := s.Settings(ctx, "bbname", "connect", "connectappid", "connectappkey", "regconnect", "my_siteid", "my_sitekey")
	if err != nil {
		return err
	}
	connect, err := discuz.UnserializeArray([]byte(m["connect"]))
	if err != nil {
		return fmt.Errorf("demo connect setting: %w", err)
	}
	// The shape of a fresh X3.5 cache as far as qqconnect is concerned:
	// the mobile plugin installed, qqconnect not yet merged in.
	arr := &discuz.Array{}
	for _, k := range []string{"bbname", "my_siteid", "my_sitekey", "regconnect"} {
		arr.Set(k, discuz.Str(m[k]))
	}
	plugins := discuz.NewArray()
	avail := discuz.NewArray()
	avail.Arr.Set("0", discuz.Str("mobile"))
	plugins.Arr.Set("available", avail)
	version := discuz.NewArray()
	version.Arr.Set("mobile", discuz.Str("1.4.8"))
	plugins.Arr.Set("version", version)
	arr.Set("plugins", plugins)
	arr.Set("hookscript", discuz.NewArray())
	arr.Set("hookscriptmobile", discuz.NewArray())
	arr.Set("connect", discuz.NewArray())
	arr.Set("connectappid", discuz.Str(m["connectappid"]))
	arr.Set("connectappkey", discuz.Str(m["connectappkey"]))
	if err := discuz.PatchPluginOn(arr, connect, discuz.QQConnectKnownVersion, nil); err != nil {
		return fmt.Errorf("demo setting cache: %w", err)
	}
	err = s.DB.WithContext(ctx).Exec("INSERT INTO "+t+" (cname, ctype, dateline, data) VALUES ('setting', 1, ?, ?)",
		now.Unix(), discuz.Serialize(discuz.Value{Kind: discuz.KindArray, Arr: arr})).Error
	if err != nil {
		return fmt.Errorf("write demo setting cache: %w", err)
	}
	return nil
}
