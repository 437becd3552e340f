package discuz

// The fields_connect_register cache: the profile fields Discuz's own QQ
// registration page asks for (source/function/cache/
// cache_fields_connect_register.php, the same file in X3.3, X3.4 and X3.5).
// Discuz's QQ互联 settings page rebuilds it after every save, from the
// connect array its setting rebuild just made: the cached one, which is
// array() while the qqconnect plugin is off.

// FieldsConnectRegisterName is the syscache row's cname.
const FieldsConnectRegisterName = "fields_connect_register"

// ConnectRegisterFieldIDs are the profile fields build_cache_fields_connect_register
// reads for connect, in its order: gender for register_gender, then the three
// birthday fields for register_birthday.
func ConnectRegisterFieldIDs(connect *Array) []string {
	var ids []string
	if v, ok := connect.Get("register_gender"); ok && v.Truthy() {
		ids = append(ids, "gender")
	}
	if v, ok := connect.Get("register_birthday"); ok && v.Truthy() {
		ids = append(ids, "birthyear", "birthmonth", "birthday")
	}
	return ids
}

// FieldsConnectRegister builds the cache from the pre_common_member_profile_setting
// rows (each an array of its columns in table order, strings or NULL, in the
// site's bytes), in the order the database returned them: field_<fieldid> =>
// the row without `choices` (the builder keeps it only for a `selective`
// field, and no Discuz schema has that column), with showinregister and
// available set to the int 1.
func FieldsConnectRegister(rows []*Array) *Array {
	out := &Array{}
	for _, r := range rows {
		f := scClone(Value{Kind: KindArray, Arr: r}).Arr
		f.Delete("choices")
		f.Set("showinregister", Int(1))
		f.Set("available", Int(1))
		out.Set("field_"+f.GetString("fieldid"), Value{Kind: KindArray, Arr: f})
	}
	return out
}
