package discuz

import (
	"strconv"
	"strings"
)

// Discuz's adminmenu syscache row is the plugin part of its admin panel's
// menu, rebuilt with the setting cache (cache_setting.php): system plugins
// between {name: plugins_system, sub: 1} and {…, sub: 2}, then every other
// plugin that has an admin page, in build order (pluginid descending), as
// {url: "plugins&operation=config&do=<pluginid>", action:
// "plugins_config_<pluginid>", name: <plugin name>}. Without qqconnect's
// entry the admin menu lacks "QQ互联" until 更新缓存.

// AdminMenuCacheName is the syscache row of Discuz's admin plugin menu.
const AdminMenuCacheName = "adminmenu"

// PatchAdminMenu puts qqconnect's entry into (on) or takes it out of (off)
// the adminmenu list; name is the plugin's name in the site's bytes.
func PatchAdminMenu(menu *Array, pluginID int64, name string, on bool) {
	action := "plugins_config_" + strconv.FormatInt(pluginID, 10)
	kept := menu.Entries[:0:0]
	for _, e := range menu.Entries {
		if m := scArr(e.Val); m != nil && scGet(m, "action").String() == action {
			continue
		}
		kept = append(kept, e)
	}
	menu.Entries = kept
	if on {
		entry := &Array{}
		entry.Set("url", Str("plugins&operation=config&do="+strconv.FormatInt(pluginID, 10)))
		entry.Set("action", Str(action))
		entry.Set("name", Str(name))
		at := len(menu.Entries)
		inSystem := false
		for i, e := range menu.Entries {
			m := scArr(e.Val)
			if m == nil {
				continue
			}
			if scGet(m, "name").String() == "plugins_system" {
				inSystem = scGet(m, "sub").String() == "1"
				continue
			}
			pid, err := strconv.ParseInt(strings.TrimPrefix(scGet(m, "action").String(), "plugins_config_"), 10, 64)
			if !inSystem && err == nil && pid < pluginID {
				at = i
				break
			}
		}
		menu.Entries = append(menu.Entries[:at], append([]Entry{{Val: Value{Kind: KindArray, Arr: entry}}}, menu.Entries[at:]...)...)
	}
	scReindex(menu)
}
