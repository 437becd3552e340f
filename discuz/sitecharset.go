package discuz

import "fmt"

// PHP's serialize() counts bytes in the site's charset: on a GBK forum
// s:6:"QQ绑定" is six GBK bytes. qqconnect reads text columns over a utf8mb4
// connection (MySQL converts), so a serialized value from a gbk/big5 column
// arrives as UTF-8 whose byte counts no longer match. These helpers move a
// value between the two: parse after converting back to the site's bytes,
// serialize and convert to UTF-8 before handing it to MySQL. The round trip
// is exact because MySQL's and Go's GBK/Big5 tables agree on every
// character a gbk/big5 column can hold. The setting cache (a blob) is read
// and written as the site's bytes and needs none of this.

// UnserializeText parses a serialized array read as UTF-8 text from a
// column whose charset is charset ("" or utf8*: no conversion). The result
// holds the site's bytes, like the setting cache.
func UnserializeText(text, charset string) (*Array, error) {
	if charset == "" {
		return UnserializeArray([]byte(text))
	}
	site, err := ToCharset(text, charset)
	if err != nil {
		return nil, err
	}
	return UnserializeArray([]byte(site))
}

// SerializeText is the reverse of UnserializeText: arr holds the site's
// bytes; the result is UTF-8 text for a column in charset.
func SerializeText(arr *Array, charset string) (string, error) {
	if charset == "" {
		return string(Serialize(Value{Kind: KindArray, Arr: arr})), nil
	}
	return FromCharset(string(Serialize(Value{Kind: KindArray, Arr: arr})), charset)
}

// ValueToCharset returns a copy of v whose strings (keys too) are converted
// from UTF-8 to charset: for qqconnect's own UTF-8 text going into a GBK or
// Big5 site's serialized values. A character the charset lacks is an error.
func ValueToCharset(v Value, charset string) (Value, error) {
	if charset == "" {
		return v, nil
	}
	return mapStrings(v, func(s string) (string, error) { return ToCharset(s, charset) })
}

// mapStrings applies conv to every string of v, keys included, and returns
// the new value; v is not changed.
func mapStrings(v Value, conv func(string) (string, error)) (Value, error) {
	switch v.Kind {
	case KindString:
		s, err := conv(string(v.Str))
		if err != nil {
			return Value{}, err
		}
		return Str(s), nil
	case KindArray:
		out := &Array{Entries: make([]Entry, 0, len(v.Arr.Entries))}
		for _, e := range v.Arr.Entries {
			k, err := mapStrings(e.Key, conv)
			if err != nil {
				return Value{}, err
			}
			val, err := mapStrings(e.Val, conv)
			if err != nil {
				return Value{}, fmt.Errorf("[%s]: %w", e.Key.String(), err)
			}
			out.Entries = append(out.Entries, Entry{Key: k, Val: val})
		}
		return Value{Kind: KindArray, Arr: out}, nil
	}
	return v, nil
}

// SpacecpFromModules builds plugins.spacecp['qqconnect:spacecp'] from the
// plugin's own pre_common_plugin.modules, as Discuz's cache builder does
// (cache_setting.php, module type 7): displayorder + 1000 (an int), adminid,
// name = the module's menu, url, and the plugin's directory with a trailing
// slash. modules holds the site's bytes, so the menu text (QQ绑定 on SC
// editions, QQ綁定 on TC ones) is this site's own. ok is false when the
// modules list no spacecp module.
func SpacecpFromModules(modules *Array, directory string) (Value, bool) {
	if modules == nil {
		return Value{}, false
	}
	for _, e := range modules.Entries {
		if e.Key.Kind == KindString && string(e.Key.Str) == "extra" {
			continue
		}
		m := scArr(e.Val)
		if m == nil || scGet(m, "type").String() != "7" || scGet(m, "name").String() != "spacecp" {
			continue
		}
		if modules.Index("system") >= 0 && scGet(modules, "system").Truthy() {
			return Value{}, false // system plugins keep their own order (X3.2's cloud edition): not measured
		}
		var order int64
		fmt.Sscan(scGet(m, "displayorder").String(), &order)
		if directory != "" && directory[len(directory)-1] != '/' {
			directory += "/"
		}
		spacecp := &Array{}
		spacecp.Set("displayorder", Int(order+1000))
		spacecp.Set("adminid", scGet(m, "adminid"))
		spacecp.Set("name", scGet(m, "menu"))
		spacecp.Set("url", scGet(m, "url"))
		spacecp.Set("directory", Str(directory))
		return Value{Kind: KindArray, Arr: spacecp}, true
	}
	return Value{}, false
}
