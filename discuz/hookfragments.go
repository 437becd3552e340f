package discuz

// The qqconnect 2.1.7 entries of the cached setting array, as measured on a
// real Discuz! X3.5 (docs/discuz-cache.md §3.2). They are used to turn the
// plugin on when qqconnect has no fragments of its own saved for this site.
// The tests check this table against the on/off fixtures byte for byte.

// QQConnectKnownVersion is the only qqconnect version whose fragments are known.
const QQConnectKnownVersion = "2.1.7"

// scQQ217Spacecp is plugins.spacecp['qqconnect:spacecp'] of the ON state.
const scQQ217Spacecp = `a:5:{s:12:"displayorder";i:1001;s:7:"adminid";s:1:"0";s:4:"name";s:8:"QQ绑定";s:3:"url";s:0:"";s:9:"directory";s:10:"qqconnect/";}`

// scQQ217Hooks lists every qqconnect entry, in the order Discuz writes them.
// Each hook is {kind, hook name, method}; every list holds one pair
// ['qqconnect', method]. Every entry has module 'qqconnect/connect' and
// adminid '0'.
var scQQ217Hooks = []struct {
	root, group, script string
	hooks               [][3]string
}{
	{"hookscript", "base", "init", [][3]string{{"funcs", "init", "init"}}},
	{"hookscript", "base", "common", [][3]string{{"funcs", "common_base", "common_base"}}},
	{"hookscript", "global", "common", [][3]string{{"funcs", "common", "common"}, {"funcs", "common_base", "common_base"}}},
	{"hookscript", "global", "discuzcode", [][3]string{{"funcs", "discuzcode", "discuzcode"}}},
	{"hookscript", "global", "global", [][3]string{{"funcs", "global_login_extra", "global_login_extra"}, {"funcs", "global_usernav_extra1", "global_usernav_extra1"}}},
	{"hookscript", "global", "init", [][3]string{{"funcs", "init", "init"}}},
	{"hookscript", "member", "connect", [][3]string{{"funcs", "connect_member", "connect_member"}, {"outputfuncs", "connect_input", "connect_input_output"}, {"outputfuncs", "connect_bottom", "connect_bottom_output"}}},
	{"hookscript", "member", "logging", [][3]string{{"funcs", "logging_member", "logging_member"}, {"funcs", "logging_method", "logging_method"}}},
	{"hookscript", "member", "register", [][3]string{{"funcs", "register_member", "register_member"}, {"funcs", "register_logging_method", "register_logging_method"}}},
	{"hookscript", "member", "common", [][3]string{{"funcs", "common", "common"}, {"funcs", "common_base", "common_base"}}},
	{"hookscript", "member", "discuzcode", [][3]string{{"funcs", "discuzcode", "discuzcode"}}},
	{"hookscript", "member", "global", [][3]string{{"funcs", "global_login_extra", "global_login_extra"}, {"funcs", "global_usernav_extra1", "global_usernav_extra1"}}},
	{"hookscript", "member", "init", [][3]string{{"funcs", "init", "init"}}},
	{"hookscript", "forum", "viewthread", [][3]string{{"outputfuncs", "viewthread_share_method", "viewthread_share_method_output"}}},
	{"hookscript", "forum", "common", [][3]string{{"funcs", "common", "common"}, {"funcs", "common_base", "common_base"}}},
	{"hookscript", "forum", "discuzcode", [][3]string{{"funcs", "discuzcode", "discuzcode"}}},
	{"hookscript", "forum", "global", [][3]string{{"funcs", "global_login_extra", "global_login_extra"}, {"funcs", "global_usernav_extra1", "global_usernav_extra1"}}},
	{"hookscript", "forum", "init", [][3]string{{"funcs", "init", "init"}}},
	{"hookscript", "group", "viewthread", [][3]string{{"outputfuncs", "viewthread_share_method", "viewthread_share_method_output"}}},
	{"hookscript", "group", "common", [][3]string{{"funcs", "common", "common"}, {"funcs", "common_base", "common_base"}}},
	{"hookscript", "group", "discuzcode", [][3]string{{"funcs", "discuzcode", "discuzcode"}}},
	{"hookscript", "group", "global", [][3]string{{"funcs", "global_login_extra", "global_login_extra"}, {"funcs", "global_usernav_extra1", "global_usernav_extra1"}}},
	{"hookscript", "group", "init", [][3]string{{"funcs", "init", "init"}}},

	{"hookscriptmobile", "global", "common", [][3]string{{"funcs", "common", "common"}, {"funcs", "common_base", "common_base"}}},
	{"hookscriptmobile", "global", "init", [][3]string{{"funcs", "init", "init"}}},
	{"hookscriptmobile", "member", "connect", [][3]string{{"funcs", "connect_member", "connect_member"}}},
	{"hookscriptmobile", "member", "common", [][3]string{{"funcs", "common", "common"}, {"funcs", "common_base", "common_base"}}},
	{"hookscriptmobile", "member", "init", [][3]string{{"funcs", "init", "init"}}},
}

// scQQPair builds ['qqconnect', method] as Discuz stores it.
func scQQPair(method string) Value {
	return Value{Kind: KindArray, Arr: &Array{Entries: []Entry{
		{Key: Int(0), Val: Str(scPluginID)},
		{Key: Int(1), Val: Str(method)},
	}}}
}

// DefaultQQConnectFragments returns the qqconnect 2.1.7 fragments of
// docs/discuz-cache.md §3.2 (23 hookscript + 5 hookscriptmobile entries,
// plugins.version '2.1.7', plugins.spacecp['qqconnect:spacecp']). Every call
// returns a new value that the caller may change.
func DefaultQQConnectFragments() *QQConnectFragments {
	spacecp, err := Unserialize([]byte(scQQ217Spacecp))
	if err != nil {
		panic("discuz: bad built-in qqconnect spacecp value: " + err.Error())
	}
	f := &QQConnectFragments{
		Version: Str(QQConnectKnownVersion), HasVersion: true,
		Spacecp: spacecp, HasSpacecp: true,
		Hooks: make([]HookFragment, 0, len(scQQ217Hooks)),
	}
	for _, row := range scQQ217Hooks {
		h := HookFragment{
			Root: row.root, Group: row.group, Script: row.script,
			Module: Str("qqconnect/connect"), HasModule: true,
			AdminID: Str("0"), HasAdminID: true,
		}
		for _, kh := range row.hooks {
			h.Lists = append(h.Lists, HookList{Kind: kh[0], Hook: kh[1], Pairs: []Value{scQQPair(kh[2])}})
		}
		f.Hooks = append(f.Hooks, h)
	}
	return f
}
