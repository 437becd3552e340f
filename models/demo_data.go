package models

// Rows transcribed from ../shared/discuz/x3.5/install_data.sql (usergroups 1,
// 7, 8, 10) for the demo forum. Values stay strings, exactly as Discuz's
// installer quotes them. Functions, not vars, so nobody can alter them.

// demoUsergroupColumns is the X3.5 column order of pre_common_usergroup.
func demoUsergroupColumns() []string {
	return []string{"groupid", "radminid", "type", "system", "grouptitle", "creditshigher", "creditslower", "stars", "color", "icon", "allowvisit", "allowsendpm", "allowinvite", "allowmailinvite", "allowfollow", "maxinvitenum", "inviteprice", "maxinviteday"}
}

// demoUsergroups are the install_data.sql rows of the groups the demo forum needs.
func demoUsergroups() [][]string {
	return [][]string{
		{"1", "1", "system", "private", "管理员", "0", "0", "9", "", "", "1", "1", "1", "1", "1", "0", "0", "10"},
		{"7", "0", "system", "private", "游客", "0", "0", "0", "", "", "1", "1", "0", "0", "0", "0", "0", "10"},
		{"8", "0", "system", "private", "等待验证会员", "0", "0", "0", "", "", "1", "1", "0", "0", "0", "0", "0", "0"},
		{"10", "0", "member", "private", "新手上路", "0", "50", "1", "", "", "1", "1", "0", "0", "0", "0", "0", "10"},
	}
}

// demoUsergroupFields are the matching pre_common_usergroup_field rows (column, value).
func demoUsergroupFields() [][][2]string {
	return [][][2]string{
		{
			{"groupid", "1"}, {"allowgroupdirectpost", "3"}, {"allowgroupposturl", "3"}, {"readaccess", "200"},
			{"allowpost", "1"}, {"allowreply", "1"}, {"allowpostpoll", "1"}, {"allowpostreward", "1"},
			{"allowposttrade", "1"}, {"allowpostactivity", "1"}, {"allowdirectpost", "3"}, {"allowgetattach", "1"},
			{"allowgetimage", "1"}, {"allowpostattach", "1"}, {"allowpostimage", "1"}, {"allowvote", "1"},
			{"allowsearch", "127"}, {"allowcstatus", "1"}, {"allowinvisible", "1"}, {"allowtransfer", "1"},
			{"allowsetreadperm", "1"}, {"allowsetattachperm", "1"}, {"allowposttag", "1"}, {"allowhidecode", "1"},
			{"allowhtml", "1"}, {"allowanonymous", "1"}, {"allowsigbbcode", "1"}, {"allowsigimgcode", "1"},
			{"allowmagics", "2"}, {"disableperiodctrl", "1"}, {"reasonpm", "0"}, {"maxprice", "30"},
			{"maxsigsize", "500"}, {"maxattachsize", "2048000"}, {"maxsizeperday", "0"}, {"maxpostsperhour", "0"},
			{"attachextensions", ""}, {"raterange", ""}, {"mintradeprice", "1"}, {"maxtradeprice", "0"},
			{"minrewardprice", "1"}, {"maxrewardprice", "0"}, {"magicsdiscount", "0"}, {"maxmagicsweight", "200"},
			{"allowpostdebate", "1"}, {"tradestick", "5"}, {"exempt", "255"}, {"maxattachnum", "0"},
			{"allowposturl", "3"}, {"allowrecommend", "1"}, {"allowpostrushreply", "1"}, {"maxfriendnum", "0"},
			{"maxspacesize", "0"}, {"allowcomment", "1"}, {"allowcommentarticle", "1000"}, {"searchinterval", "0"},
			{"searchignore", "0"}, {"allowblog", "1"}, {"allowdoing", "1"}, {"allowupload", "1"}, {"allowshare", "1"},
			{"allowcss", "0"}, {"allowpoke", "1"}, {"allowfriend", "1"}, {"allowclick", "1"}, {"allowmagic", "0"},
			{"allowstat", "1"}, {"magicdiscount", "0"}, {"domainlength", "5"}, {"seccode", "1"},
			{"disablepostctrl", "1"}, {"allowbuildgroup", "30"}, {"edittimelimit", "0"}, {"allowpostarticle", "1"},
			{"allowdownlocalimg", "1"}, {"allowspacediyhtml", "1"}, {"allowspacediybbcode", "1"},
			{"allowspacediyimgcode", "1"}, {"allowcommentpost", "3"}, {"allowcommentitem", "1"},
			{"allowstatdata", "1"}, {"ignorecensor", "1"}, {"allowsendallpm", "1"}, {"allowdownremoteimg", "1"},
			{"allowmediacode", "1"}, {"allowbegincode", "1"}, {"allowat", "50"}, {"allowcreatecollection", "5"},
			{"allowcommentcollection", "1"}, {"allowfollowcollection", "30"}, {"allowavatarupload", "1"},
			{"allowviewprofile", "1"},
		},
		{
			{"groupid", "7"}, {"allowgroupdirectpost", "3"}, {"readaccess", "1"}, {"allowpost", "0"},
			{"allowreply", "0"}, {"allowpostpoll", "0"}, {"allowpostreward", "0"}, {"allowposttrade", "0"},
			{"allowpostactivity", "0"}, {"allowdirectpost", "0"}, {"allowgetattach", "0"}, {"allowgetimage", "0"},
			{"allowpostattach", "0"}, {"allowpostimage", "0"}, {"allowvote", "0"}, {"allowsearch", "19"},
			{"allowcstatus", "0"}, {"allowinvisible", "0"}, {"allowtransfer", "0"}, {"allowsetreadperm", "0"},
			{"allowsetattachperm", "0"}, {"allowposttag", "0"}, {"allowhidecode", "0"}, {"allowhtml", "0"},
			{"allowanonymous", "0"}, {"allowsigbbcode", "0"}, {"allowsigimgcode", "0"}, {"allowmagics", "0"},
			{"disableperiodctrl", "0"}, {"reasonpm", "0"}, {"maxprice", "0"}, {"maxsigsize", "0"},
			{"maxattachsize", "0"}, {"maxsizeperday", "0"}, {"maxpostsperhour", "0"},
			{"attachextensions", "gif, jpg, jpeg, png"}, {"raterange", ""}, {"mintradeprice", "1"},
			{"maxtradeprice", "0"}, {"minrewardprice", "1"}, {"maxrewardprice", "0"}, {"magicsdiscount", "0"},
			{"maxmagicsweight", "0"}, {"allowpostdebate", "0"}, {"tradestick", "5"}, {"exempt", "0"},
			{"maxattachnum", "0"}, {"allowposturl", "3"}, {"allowrecommend", "0"}, {"allowpostrushreply", "0"},
			{"maxfriendnum", "0"}, {"maxspacesize", "0"}, {"allowcommentarticle", "0"}, {"allowcomment", "0"},
			{"searchinterval", "0"}, {"searchignore", "0"}, {"allowblog", "0"}, {"allowdoing", "0"},
			{"allowupload", "0"}, {"allowshare", "0"}, {"allowcss", "0"}, {"allowpoke", "0"}, {"allowfriend", "0"},
			{"allowclick", "0"}, {"allowmagic", "0"}, {"allowstat", "0"}, {"magicdiscount", "0"},
			{"domainlength", "0"}, {"seccode", "1"}, {"disablepostctrl", "0"}, {"allowbuildgroup", "0"},
			{"edittimelimit", "0"}, {"allowpostarticle", "0"}, {"allowspacediyhtml", "0"},
			{"allowspacediybbcode", "0"}, {"allowspacediyimgcode", "0"}, {"allowcommentpost", "0"},
			{"allowcommentitem", "0"}, {"allowreplycredit", "0"}, {"allowstatdata", "0"}, {"allowavatarupload", "0"},
			{"allowviewprofile", "0"},
		},
		{
			{"groupid", "8"}, {"allowgroupdirectpost", "3"}, {"readaccess", "0"}, {"allowpost", "0"},
			{"allowreply", "0"}, {"allowpostpoll", "0"}, {"allowpostreward", "0"}, {"allowposttrade", "0"},
			{"allowpostactivity", "0"}, {"allowdirectpost", "0"}, {"allowgetattach", "0"}, {"allowgetimage", "0"},
			{"allowpostattach", "0"}, {"allowpostimage", "0"}, {"allowvote", "0"}, {"allowsearch", "2"},
			{"allowcstatus", "0"}, {"allowinvisible", "0"}, {"allowtransfer", "0"}, {"allowsetreadperm", "0"},
			{"allowsetattachperm", "0"}, {"allowposttag", "0"}, {"allowhidecode", "0"}, {"allowhtml", "0"},
			{"allowanonymous", "0"}, {"allowsigbbcode", "1"}, {"allowsigimgcode", "0"}, {"allowmagics", "0"},
			{"disableperiodctrl", "0"}, {"reasonpm", "0"}, {"maxprice", "0"}, {"maxsigsize", "50"},
			{"maxattachsize", "0"}, {"maxsizeperday", "0"}, {"maxpostsperhour", "0"}, {"attachextensions", ""},
			{"raterange", ""}, {"mintradeprice", "1"}, {"maxtradeprice", "0"}, {"minrewardprice", "1"},
			{"maxrewardprice", "0"}, {"magicsdiscount", "0"}, {"maxmagicsweight", "0"}, {"allowpostdebate", "0"},
			{"tradestick", "5"}, {"exempt", "0"}, {"maxattachnum", "0"}, {"allowposturl", "3"},
			{"allowrecommend", "1"}, {"allowpostrushreply", "0"}, {"maxfriendnum", "0"}, {"maxspacesize", "0"},
			{"allowcomment", "0"}, {"allowcommentarticle", "0"}, {"searchinterval", "0"}, {"searchignore", "0"},
			{"allowblog", "0"}, {"allowdoing", "0"}, {"allowupload", "0"}, {"allowshare", "0"}, {"allowcss", "0"},
			{"allowpoke", "0"}, {"allowfriend", "0"}, {"allowclick", "0"}, {"allowmagic", "0"}, {"allowstat", "0"},
			{"magicdiscount", "0"}, {"domainlength", "0"}, {"seccode", "1"}, {"disablepostctrl", "0"},
			{"allowbuildgroup", "0"}, {"edittimelimit", "0"}, {"allowpostarticle", "0"}, {"allowspacediyhtml", "0"},
			{"allowspacediybbcode", "0"}, {"allowspacediyimgcode", "0"}, {"allowcommentpost", "2"},
			{"allowcommentitem", "0"}, {"allowreplycredit", "0"}, {"allowstatdata", "0"}, {"allowavatarupload", "0"},
			{"allowviewprofile", "0"},
		},
		{
			{"groupid", "10"}, {"allowgroupdirectpost", "3"}, {"readaccess", "10"}, {"allowpost", "1"},
			{"allowreply", "1"}, {"allowpostpoll", "1"}, {"allowpostreward", "1"}, {"allowposttrade", "1"},
			{"allowpostactivity", "1"}, {"allowdirectpost", "0"}, {"allowgetattach", "1"}, {"allowgetimage", "1"},
			{"allowpostattach", "1"}, {"allowpostimage", "1"}, {"allowvote", "1"}, {"allowsearch", "95"},
			{"allowcstatus", "0"}, {"allowinvisible", "0"}, {"allowtransfer", "0"}, {"allowsetreadperm", "0"},
			{"allowsetattachperm", "0"}, {"allowposttag", "0"}, {"allowhidecode", "0"}, {"allowhtml", "0"},
			{"allowanonymous", "0"}, {"allowsigbbcode", "1"}, {"allowsigimgcode", "0"}, {"allowmagics", "1"},
			{"disableperiodctrl", "0"}, {"reasonpm", "0"}, {"maxprice", "0"}, {"maxsigsize", "80"},
			{"maxattachsize", "1024000"}, {"maxsizeperday", "0"}, {"maxpostsperhour", "0"},
			{"attachextensions", "chm, pdf, zip, rar, tar, gz, bzip2, gif, jpg, jpeg, png"}, {"raterange", ""},
			{"mintradeprice", "1"}, {"maxtradeprice", "0"}, {"minrewardprice", "1"}, {"maxrewardprice", "0"},
			{"magicsdiscount", "0"}, {"maxmagicsweight", "40"}, {"allowpostdebate", "1"}, {"tradestick", "5"},
			{"exempt", "0"}, {"maxattachnum", "0"}, {"allowposturl", "3"}, {"allowrecommend", "1"},
			{"allowpostrushreply", "0"}, {"maxfriendnum", "0"}, {"maxspacesize", "0"}, {"allowcomment", "1"},
			{"allowcommentarticle", "1000"}, {"searchinterval", "0"}, {"searchignore", "0"}, {"allowblog", "1"},
			{"allowdoing", "1"}, {"allowupload", "1"}, {"allowshare", "1"}, {"allowcss", "0"}, {"allowpoke", "1"},
			{"allowfriend", "1"}, {"allowclick", "1"}, {"allowmagic", "0"}, {"allowstat", "0"}, {"magicdiscount", "0"},
			{"domainlength", "5"}, {"seccode", "1"}, {"disablepostctrl", "0"}, {"allowbuildgroup", "5"},
			{"edittimelimit", "0"}, {"allowpostarticle", "0"}, {"allowspacediyhtml", "0"},
			{"allowspacediybbcode", "1"}, {"allowspacediyimgcode", "1"}, {"allowcommentpost", "2"},
			{"allowcommentitem", "1"}, {"allowreplycredit", "0"}, {"allowstatdata", "0"},
			{"allowcreatecollection", "5"}, {"allowcommentcollection", "1"}, {"allowfollowcollection", "30"},
			{"allowavatarupload", "1"}, {"allowviewprofile", "1"},
		},
	}
}
