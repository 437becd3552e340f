package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"qqconnect/discuz"
)

// The SQL files and fixtures in shared/ are the SC_UTF8 edition. A GBK or
// Big5 site holds the same values in its own charset, and PHP's serialize()
// counted that charset's bytes when it wrote them. These helpers turn the
// UTF-8 data into what such a site holds: strings converted, serialized
// values re-serialized with the site's byte counts.

// tcForms are the traditional forms the TC_BIG5 edition's language pack
// uses for simplified characters Big5 lacks, for the strings the tests
// read back (the plugin's 设置/QQ绑定 menus, the setting fixture's text).
// Anything else Big5 lacks becomes '?', as MySQL's conversion does.
var tcForms = strings.NewReplacer(
	"钱", "錢", "册", "冊", "员", "員", "规", "規", "创", "創", "证", "證", "问", "問", "报", "報",
	"驾", "駕", "组", "組", "请", "請", "计", "計", "热", "熱", "图", "圖", "红", "紅", "顶", "頂",
	"谢", "謝", "为", "為", "时", "時", "讯", "訊", "论", "論", "绑", "綁", "线", "線", "给", "給",
	"赞", "贊", "认", "認", "阅", "閱", "读", "讀", "内", "內", "导", "導", "数", "數", "举", "舉",
	"积", "積", "贡", "貢", "资", "資", "当", "當", "联", "聯", "设", "設",
)

// ToSite converts UTF-8 text to the site charset's bytes the way the
// edition of that charset would hold it: Big5 gets traditional forms
// (tcForms); what the charset still lacks becomes '?'. utf8/utf8mb4: as is.
func ToSite(s, charset string) string {
	var enc encoding.Encoding
	switch charset {
	case "gbk":
		enc = simplifiedchinese.GBK
	case "big5":
		enc = traditionalchinese.Big5
		s = tcForms.Replace(s)
	default:
		return s
	}
	out, err := encoding.ReplaceUnsupported(enc.NewEncoder()).String(s)
	if err != nil {
		panic("testdb: " + err.Error()) // ReplaceUnsupported never fails on valid UTF-8
	}
	return out
}

// SiteSerialized re-serializes a UTF-8 PHP-serialized value (the fixtures,
// install_data.sql's values) as a site of charset holds it: every string
// through ToSite and every length in the site's bytes.
func SiteSerialized(raw []byte, charset string) ([]byte, error) {
	v, err := discuz.Unserialize(raw)
	if err != nil {
		return nil, err
	}
	return discuz.Serialize(mapStrings(v, func(s string) string { return ToSite(s, charset) })), nil
}

// siteText is SiteSerialized as the UTF-8 text that, once MySQL converts it
// into a gbk/big5 column, holds the site's bytes.
func siteText(raw, charset string) (string, error) {
	b, err := SiteSerialized([]byte(raw), charset)
	if err != nil {
		return "", err
	}
	return discuz.FromCharset(string(b), charset)
}

func mapStrings(v discuz.Value, conv func(string) string) discuz.Value {
	switch v.Kind {
	case discuz.KindString:
		return discuz.Str(conv(string(v.Str)))
	case discuz.KindArray:
		out := &discuz.Array{}
		for _, e := range v.Arr.Entries {
			out.Entries = append(out.Entries, discuz.Entry{Key: mapStrings(e.Key, conv), Val: mapStrings(e.Val, conv)})
		}
		return discuz.Value{Kind: discuz.KindArray, Arr: out}
	}
	return v
}

// reserializeSettings rewrites the serialized pre_common_setting values that
// install_data.sql wrote with UTF-8 byte counts, so that a converted
// edition holds what its own installer would have written.
func reserializeSettings(ctx context.Context, db *sql.DB, charset string) error {
	rows, err := db.QueryContext(ctx, "SELECT skey, svalue FROM pre_common_setting WHERE svalue LIKE 'a:%'")
	if err != nil {
		return err
	}
	fixed := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			return err
		}
		if _, err := discuz.Unserialize([]byte(v)); err != nil {
			continue // not a serialized value written with UTF-8 counts
		}
		nv, err := siteText(v, charset)
		if err != nil {
			rows.Close()
			return fmt.Errorf("%s: %w", k, err)
		}
		if nv != v {
			fixed[k] = nv
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for k, v := range fixed {
		if _, err := db.ExecContext(ctx, "UPDATE pre_common_setting SET svalue = ? WHERE skey = ?", v, k); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}
