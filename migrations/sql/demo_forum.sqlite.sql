-- Standalone (sqlite) demo forum: the Discuz! X3.5 tables qqconnect reads and
-- writes, transcribed by hand from X3.5 install/data/install.sql and
-- uc_server/install/uc.sql. Same column set, order, NOT NULL and DEFAULTs;
-- integer types keep their MySQL names (INTEGER affinity), "unsigned" is
-- dropped, AUTO_INCREMENT becomes INTEGER PRIMARY KEY AUTOINCREMENT, the enum
-- becomes a CHECK, and KEYs become prefixed indexes (index names are global
-- in SQLite). COLLATE NOCASE stands in for MySQL's case-insensitive _ci
-- collation on the columns looked up by name (username, email, openid/uin,
-- skey, identifier), so UNIQUE(username) rejects "Alice" next to "alice" as
-- MySQL does. {{PRE}} is the Discuz prefix, {{UC}} the UCenter prefix.

CREATE TABLE IF NOT EXISTS {{PRE}}common_member (
  uid INTEGER PRIMARY KEY AUTOINCREMENT,
  email varchar(255) COLLATE NOCASE NOT NULL DEFAULT '',
  username char(15) COLLATE NOCASE NOT NULL DEFAULT '',
  password char(32) NOT NULL DEFAULT '',
  secmobicc varchar(3) NOT NULL DEFAULT '',
  secmobile varchar(12) NOT NULL DEFAULT '',
  status tinyint(1) NOT NULL DEFAULT '0',
  emailstatus tinyint(1) NOT NULL DEFAULT '0',
  avatarstatus tinyint(1) NOT NULL DEFAULT '0',
  secmobilestatus tinyint(1) NOT NULL DEFAULT '0',
  adminid tinyint(1) NOT NULL DEFAULT '0',
  groupid smallint(6) NOT NULL DEFAULT '0',
  groupexpiry int(10) NOT NULL DEFAULT '0',
  extgroupids char(20) NOT NULL DEFAULT '',
  regdate int(10) NOT NULL DEFAULT '0',
  credits int(10) NOT NULL DEFAULT '0',
  notifysound tinyint(1) NOT NULL DEFAULT '0',
  timeoffset char(4) NOT NULL DEFAULT '',
  newpm smallint(6) NOT NULL DEFAULT '0',
  newprompt smallint(6) NOT NULL DEFAULT '0',
  accessmasks tinyint(1) NOT NULL DEFAULT '0',
  allowadmincp tinyint(1) NOT NULL DEFAULT '0',
  onlyacceptfriendpm tinyint(1) NOT NULL DEFAULT '0',
  conisbind tinyint(1) NOT NULL DEFAULT '0',
  freeze tinyint(1) NOT NULL DEFAULT '0',
  UNIQUE (username)
);
CREATE INDEX IF NOT EXISTS {{PRE}}common_member_email ON {{PRE}}common_member (email);
CREATE INDEX IF NOT EXISTS {{PRE}}common_member_groupid ON {{PRE}}common_member (groupid);
CREATE INDEX IF NOT EXISTS {{PRE}}common_member_conisbind ON {{PRE}}common_member (conisbind);
CREATE INDEX IF NOT EXISTS {{PRE}}common_member_regdate ON {{PRE}}common_member (regdate);
CREATE INDEX IF NOT EXISTS {{PRE}}common_member_secmobile ON {{PRE}}common_member (secmobile, secmobicc);

CREATE TABLE IF NOT EXISTS {{PRE}}common_member_status (
  uid mediumint(8) NOT NULL,
  regip varchar(45) NOT NULL DEFAULT '',
  lastip varchar(45) NOT NULL DEFAULT '',
  regport smallint(6) NOT NULL DEFAULT '0',
  port smallint(6) NOT NULL DEFAULT '0',
  lastvisit int(10) NOT NULL DEFAULT '0',
  lastactivity int(10) NOT NULL DEFAULT '0',
  lastpost int(10) NOT NULL DEFAULT '0',
  lastsendmail int(10) NOT NULL DEFAULT '0',
  invisible tinyint(1) NOT NULL DEFAULT '0',
  buyercredit smallint(6) NOT NULL DEFAULT '0',
  sellercredit smallint(6) NOT NULL DEFAULT '0',
  favtimes mediumint(8) NOT NULL DEFAULT '0',
  sharetimes mediumint(8) NOT NULL DEFAULT '0',
  profileprogress tinyint(2) NOT NULL DEFAULT '0',
  PRIMARY KEY (uid)
);
CREATE INDEX IF NOT EXISTS {{PRE}}common_member_status_lastactivity ON {{PRE}}common_member_status (lastactivity, invisible);

CREATE TABLE IF NOT EXISTS {{PRE}}common_member_count (
  uid mediumint(8) NOT NULL,
  extcredits1 int(10) NOT NULL DEFAULT '0',
  extcredits2 int(10) NOT NULL DEFAULT '0',
  extcredits3 int(10) NOT NULL DEFAULT '0',
  extcredits4 int(10) NOT NULL DEFAULT '0',
  extcredits5 int(10) NOT NULL DEFAULT '0',
  extcredits6 int(10) NOT NULL DEFAULT '0',
  extcredits7 int(10) NOT NULL DEFAULT '0',
  extcredits8 int(10) NOT NULL DEFAULT '0',
  friends smallint(6) NOT NULL DEFAULT '0',
  posts mediumint(8) NOT NULL DEFAULT '0',
  threads mediumint(8) NOT NULL DEFAULT '0',
  digestposts smallint(6) NOT NULL DEFAULT '0',
  doings smallint(6) NOT NULL DEFAULT '0',
  blogs smallint(6) NOT NULL DEFAULT '0',
  albums smallint(6) NOT NULL DEFAULT '0',
  sharings smallint(6) NOT NULL DEFAULT '0',
  attachsize int(10) NOT NULL DEFAULT '0',
  views mediumint(8) NOT NULL DEFAULT '0',
  oltime smallint(6) NOT NULL DEFAULT '0',
  todayattachs smallint(6) NOT NULL DEFAULT '0',
  todayattachsize int(10) NOT NULL DEFAULT '0',
  feeds mediumint(8) NOT NULL DEFAULT '0',
  follower mediumint(8) NOT NULL DEFAULT '0',
  following mediumint(8) NOT NULL DEFAULT '0',
  newfollower mediumint(8) NOT NULL DEFAULT '0',
  blacklist mediumint(8) NOT NULL DEFAULT '0',
  PRIMARY KEY (uid)
);
CREATE INDEX IF NOT EXISTS {{PRE}}common_member_count_posts ON {{PRE}}common_member_count (posts);

CREATE TABLE IF NOT EXISTS {{PRE}}common_member_profile (
  uid mediumint(8) NOT NULL,
  realname varchar(255) NOT NULL DEFAULT '',
  gender tinyint(1) NOT NULL DEFAULT '0',
  birthyear smallint(6) NOT NULL DEFAULT '0',
  birthmonth tinyint(3) NOT NULL DEFAULT '0',
  birthday tinyint(3) NOT NULL DEFAULT '0',
  constellation varchar(255) NOT NULL DEFAULT '',
  zodiac varchar(255) NOT NULL DEFAULT '',
  telephone varchar(255) NOT NULL DEFAULT '',
  mobile varchar(255) NOT NULL DEFAULT '',
  idcardtype varchar(255) NOT NULL DEFAULT '',
  idcard varchar(255) NOT NULL DEFAULT '',
  address varchar(255) NOT NULL DEFAULT '',
  zipcode varchar(255) NOT NULL DEFAULT '',
  nationality varchar(255) NOT NULL DEFAULT '',
  birthcountry varchar(255) NOT NULL DEFAULT '',
  birthprovince varchar(255) NOT NULL DEFAULT '',
  birthcity varchar(255) NOT NULL DEFAULT '',
  birthdist varchar(20) NOT NULL DEFAULT '',
  birthcommunity varchar(255) NOT NULL DEFAULT '',
  residecountry varchar(255) NOT NULL DEFAULT '',
  resideprovince varchar(255) NOT NULL DEFAULT '',
  residecity varchar(255) NOT NULL DEFAULT '',
  residedist varchar(20) NOT NULL DEFAULT '',
  residecommunity varchar(255) NOT NULL DEFAULT '',
  residesuite varchar(255) NOT NULL DEFAULT '',
  graduateschool varchar(255) NOT NULL DEFAULT '',
  company varchar(255) NOT NULL DEFAULT '',
  education varchar(255) NOT NULL DEFAULT '',
  occupation varchar(255) NOT NULL DEFAULT '',
  position varchar(255) NOT NULL DEFAULT '',
  revenue varchar(255) NOT NULL DEFAULT '',
  affectivestatus varchar(255) NOT NULL DEFAULT '',
  lookingfor varchar(255) NOT NULL DEFAULT '',
  bloodtype varchar(255) NOT NULL DEFAULT '',
  height varchar(255) NOT NULL DEFAULT '',
  weight varchar(255) NOT NULL DEFAULT '',
  alipay varchar(255) NOT NULL DEFAULT '',
  icq varchar(255) NOT NULL DEFAULT '',
  qq varchar(255) NOT NULL DEFAULT '',
  yahoo varchar(255) NOT NULL DEFAULT '',
  msn varchar(255) NOT NULL DEFAULT '',
  taobao varchar(255) NOT NULL DEFAULT '',
  site varchar(255) NOT NULL DEFAULT '',
  bio text NOT NULL,
  interest text NOT NULL,
  field1 text NOT NULL,
  field2 text NOT NULL,
  field3 text NOT NULL,
  field4 text NOT NULL,
  field5 text NOT NULL,
  field6 text NOT NULL,
  field7 text NOT NULL,
  field8 text NOT NULL,
  PRIMARY KEY (uid)
);

CREATE TABLE IF NOT EXISTS {{PRE}}common_member_field_forum (
  uid mediumint(8) NOT NULL,
  publishfeed tinyint(3) NOT NULL DEFAULT '0',
  customshow tinyint(3) NOT NULL DEFAULT '26',
  customstatus varchar(30) NOT NULL DEFAULT '',
  medals text NOT NULL,
  sightml text NOT NULL,
  groupterms text NOT NULL,
  authstr varchar(255) NOT NULL DEFAULT '',
  "groups" mediumtext NOT NULL,
  attentiongroup varchar(255) NOT NULL DEFAULT '',
  PRIMARY KEY (uid)
);

CREATE TABLE IF NOT EXISTS {{PRE}}common_member_field_home (
  uid mediumint(8) NOT NULL,
  spacename varchar(255) NOT NULL DEFAULT '',
  spacedescription varchar(255) NOT NULL DEFAULT '',
  domain char(15) NOT NULL DEFAULT '',
  addsize int(10) NOT NULL DEFAULT '0',
  addfriend smallint(6) NOT NULL DEFAULT '0',
  allowasfriend tinyint(1) NOT NULL DEFAULT '1',
  allowasfollow tinyint(1) NOT NULL DEFAULT '1',
  menunum smallint(6) NOT NULL DEFAULT '0',
  theme varchar(20) NOT NULL DEFAULT '',
  spacecss text NOT NULL,
  blockposition text NOT NULL,
  recentnote text NOT NULL,
  spacenote text NOT NULL,
  privacy text NOT NULL,
  feedfriend mediumtext NOT NULL,
  acceptemail text NOT NULL,
  magicgift text NOT NULL,
  stickblogs text NOT NULL,
  PRIMARY KEY (uid)
);
CREATE INDEX IF NOT EXISTS {{PRE}}common_member_field_home_domain ON {{PRE}}common_member_field_home (domain);

CREATE TABLE IF NOT EXISTS {{PRE}}common_member_connect (
  uid mediumint(8) NOT NULL DEFAULT '0',
  conuin char(40) NOT NULL DEFAULT '',
  conuinsecret char(16) NOT NULL DEFAULT '',
  conopenid char(32) COLLATE NOCASE NOT NULL DEFAULT '',
  conisfeed tinyint(1) NOT NULL DEFAULT '0',
  conispublishfeed tinyint(1) NOT NULL DEFAULT '0',
  conispublisht tinyint(1) NOT NULL DEFAULT '0',
  conisregister tinyint(1) NOT NULL DEFAULT '0',
  conisqzoneavatar tinyint(1) NOT NULL DEFAULT '0',
  conisqqshow tinyint(1) NOT NULL DEFAULT '0',
  conuintoken char(32) NOT NULL DEFAULT '',
  PRIMARY KEY (uid)
);
CREATE INDEX IF NOT EXISTS {{PRE}}common_member_connect_conuin ON {{PRE}}common_member_connect (conuin);
CREATE INDEX IF NOT EXISTS {{PRE}}common_member_connect_conopenid ON {{PRE}}common_member_connect (conopenid);

CREATE TABLE IF NOT EXISTS {{PRE}}common_connect_guest (
  conopenid char(32) COLLATE NOCASE NOT NULL DEFAULT '',
  conuin char(40) NOT NULL DEFAULT '',
  conuinsecret char(16) NOT NULL DEFAULT '',
  conqqnick char(100) NOT NULL DEFAULT '',
  conuintoken char(32) NOT NULL DEFAULT '',
  PRIMARY KEY (conopenid)
);

CREATE TABLE IF NOT EXISTS {{PRE}}connect_memberbindlog (
  mblid INTEGER PRIMARY KEY AUTOINCREMENT,
  uid mediumint(8) NOT NULL DEFAULT '0',
  uin char(40) COLLATE NOCASE NOT NULL,
  type tinyint(1) NOT NULL DEFAULT '0',
  dateline int(10) NOT NULL DEFAULT '0'
);
CREATE INDEX IF NOT EXISTS {{PRE}}connect_memberbindlog_uid ON {{PRE}}connect_memberbindlog (uid);
CREATE INDEX IF NOT EXISTS {{PRE}}connect_memberbindlog_uin ON {{PRE}}connect_memberbindlog (uin);
CREATE INDEX IF NOT EXISTS {{PRE}}connect_memberbindlog_dateline ON {{PRE}}connect_memberbindlog (dateline);

CREATE TABLE IF NOT EXISTS {{PRE}}common_uin_black (
  uin char(40) COLLATE NOCASE NOT NULL,
  uid mediumint(8) NOT NULL DEFAULT '0',
  dateline int(10) NOT NULL DEFAULT '0',
  PRIMARY KEY (uin),
  UNIQUE (uid)
);

CREATE TABLE IF NOT EXISTS {{PRE}}common_setting (
  skey varchar(190) COLLATE NOCASE NOT NULL DEFAULT '',
  svalue text NOT NULL,
  PRIMARY KEY (skey)
);

CREATE TABLE IF NOT EXISTS {{PRE}}common_syscache (
  cname varchar(32) NOT NULL,
  ctype tinyint(3) NOT NULL,
  dateline int(10) NOT NULL,
  data mediumblob NOT NULL,
  PRIMARY KEY (cname)
);

CREATE TABLE IF NOT EXISTS {{PRE}}common_plugin (
  pluginid INTEGER PRIMARY KEY AUTOINCREMENT,
  available tinyint(1) NOT NULL DEFAULT '0',
  adminid tinyint(3) NOT NULL DEFAULT '0',
  name varchar(40) NOT NULL DEFAULT '',
  identifier varchar(40) COLLATE NOCASE NOT NULL DEFAULT '',
  description varchar(255) NOT NULL DEFAULT '',
  datatables varchar(255) NOT NULL DEFAULT '',
  directory varchar(100) NOT NULL DEFAULT '',
  copyright varchar(100) NOT NULL DEFAULT '',
  modules text NOT NULL,
  version varchar(20) NOT NULL DEFAULT '',
  UNIQUE (identifier)
);

CREATE TABLE IF NOT EXISTS {{PRE}}common_usergroup (
  groupid INTEGER PRIMARY KEY AUTOINCREMENT,
  radminid tinyint(3) NOT NULL DEFAULT '0',
  type varchar(7) NOT NULL DEFAULT 'member' CHECK (type IN ('system','special','member')),
  system varchar(255) NOT NULL DEFAULT 'private',
  grouptitle varchar(255) NOT NULL DEFAULT '',
  creditshigher int(10) NOT NULL DEFAULT '0',
  creditslower int(10) NOT NULL DEFAULT '0',
  stars tinyint(3) NOT NULL DEFAULT '0',
  color varchar(255) NOT NULL DEFAULT '',
  icon varchar(255) NOT NULL DEFAULT '',
  allowvisit tinyint(1) NOT NULL DEFAULT '0',
  allowsendpm tinyint(1) NOT NULL DEFAULT '1',
  allowinvite tinyint(1) NOT NULL DEFAULT '0',
  allowmailinvite tinyint(1) NOT NULL DEFAULT '0',
  allowfollow tinyint(1) NOT NULL DEFAULT '0',
  maxinvitenum tinyint(3) NOT NULL DEFAULT '0',
  inviteprice smallint(6) NOT NULL DEFAULT '0',
  maxinviteday smallint(6) NOT NULL DEFAULT '0'
);
CREATE INDEX IF NOT EXISTS {{PRE}}common_usergroup_creditsrange ON {{PRE}}common_usergroup (creditshigher, creditslower);

CREATE TABLE IF NOT EXISTS {{PRE}}common_usergroup_field (
  groupid smallint(6) NOT NULL,
  readaccess tinyint(3) NOT NULL DEFAULT '0',
  allowpost tinyint(1) NOT NULL DEFAULT '0',
  allowreply tinyint(1) NOT NULL DEFAULT '0',
  allowpostpoll tinyint(1) NOT NULL DEFAULT '0',
  allowpostreward tinyint(1) NOT NULL DEFAULT '0',
  allowposttrade tinyint(1) NOT NULL DEFAULT '0',
  allowpostactivity tinyint(1) NOT NULL DEFAULT '0',
  allowdirectpost tinyint(1) NOT NULL DEFAULT '0',
  allowgetattach tinyint(1) NOT NULL DEFAULT '0',
  allowgetimage tinyint(1) NOT NULL DEFAULT '0',
  allowpostattach tinyint(1) NOT NULL DEFAULT '0',
  allowpostimage tinyint(1) NOT NULL DEFAULT '0',
  allowvote tinyint(1) NOT NULL DEFAULT '0',
  allowsearch tinyint(1) NOT NULL DEFAULT '0',
  allowcstatus tinyint(1) NOT NULL DEFAULT '0',
  allowinvisible tinyint(1) NOT NULL DEFAULT '0',
  allowtransfer tinyint(1) NOT NULL DEFAULT '0',
  allowsetreadperm tinyint(1) NOT NULL DEFAULT '0',
  allowsetattachperm tinyint(1) NOT NULL DEFAULT '0',
  allowposttag tinyint(1) NOT NULL DEFAULT '0',
  allowhidecode tinyint(1) NOT NULL DEFAULT '0',
  allowhtml tinyint(1) NOT NULL DEFAULT '0',
  allowanonymous tinyint(1) NOT NULL DEFAULT '0',
  allowsigbbcode tinyint(1) NOT NULL DEFAULT '0',
  allowsigimgcode tinyint(1) NOT NULL DEFAULT '0',
  allowmagics tinyint(3) NOT NULL,
  disableperiodctrl tinyint(1) NOT NULL DEFAULT '0',
  reasonpm tinyint(1) NOT NULL DEFAULT '0',
  maxprice smallint(6) NOT NULL DEFAULT '0',
  maxsigsize smallint(6) NOT NULL DEFAULT '0',
  maxattachsize int(10) NOT NULL DEFAULT '0',
  maxsizeperday int(10) NOT NULL DEFAULT '0',
  maxthreadsperhour tinyint(3) NOT NULL DEFAULT '0',
  maxpostsperhour tinyint(3) NOT NULL DEFAULT '0',
  attachextensions char(100) NOT NULL DEFAULT '',
  raterange char(150) NOT NULL DEFAULT '',
  loginreward char(150) NOT NULL DEFAULT '',
  mintradeprice smallint(6) NOT NULL DEFAULT '1',
  maxtradeprice smallint(6) NOT NULL DEFAULT '0',
  minrewardprice smallint(6) NOT NULL DEFAULT '1',
  maxrewardprice smallint(6) NOT NULL DEFAULT '0',
  magicsdiscount tinyint(1) NOT NULL,
  maxmagicsweight smallint(6) NOT NULL,
  allowpostdebate tinyint(1) NOT NULL DEFAULT '0',
  tradestick tinyint(3) NOT NULL,
  exempt tinyint(3) NOT NULL,
  maxattachnum smallint(6) NOT NULL DEFAULT '0',
  allowposturl tinyint(1) NOT NULL DEFAULT '3',
  allowrecommend tinyint(3) NOT NULL DEFAULT '1',
  allowpostrushreply tinyint(1) NOT NULL DEFAULT '0',
  maxfriendnum smallint(6) NOT NULL DEFAULT '0',
  maxspacesize int(10) NOT NULL DEFAULT '0',
  allowcomment tinyint(1) NOT NULL DEFAULT '0',
  allowcommentmod tinyint(1) NOT NULL DEFAULT '0',
  allowcommentarticle smallint(6) NOT NULL DEFAULT '0',
  allowcommentarticlemod tinyint(1) NOT NULL DEFAULT '0',
  searchinterval smallint(6) NOT NULL DEFAULT '0',
  searchignore tinyint(1) NOT NULL DEFAULT '0',
  allowblog tinyint(1) NOT NULL DEFAULT '0',
  allowdoing tinyint(1) NOT NULL DEFAULT '0',
  allowupload tinyint(1) NOT NULL DEFAULT '0',
  allowshare tinyint(1) NOT NULL DEFAULT '0',
  allowblogmod tinyint(1) NOT NULL DEFAULT '0',
  allowdoingmod tinyint(1) NOT NULL DEFAULT '0',
  allowuploadmod tinyint(1) NOT NULL DEFAULT '0',
  allowsharemod tinyint(1) NOT NULL DEFAULT '0',
  allowcss tinyint(1) NOT NULL DEFAULT '0',
  allowpoke tinyint(1) NOT NULL DEFAULT '0',
  allowfriend tinyint(1) NOT NULL DEFAULT '0',
  allowclick tinyint(1) NOT NULL DEFAULT '0',
  allowmagic tinyint(1) NOT NULL DEFAULT '0',
  allowstat tinyint(1) NOT NULL DEFAULT '0',
  allowstatdata tinyint(1) NOT NULL DEFAULT '0',
  magicdiscount tinyint(1) NOT NULL DEFAULT '0',
  domainlength smallint(6) NOT NULL DEFAULT '0',
  seccode tinyint(1) NOT NULL DEFAULT '1',
  disablepostctrl tinyint(1) NOT NULL DEFAULT '0',
  allowbuildgroup tinyint(3) NOT NULL DEFAULT '0',
  allowgroupdirectpost tinyint(3) NOT NULL DEFAULT '0',
  allowgroupposturl tinyint(3) NOT NULL DEFAULT '0',
  edittimelimit int(10) NOT NULL DEFAULT '0',
  allowpostarticle tinyint(1) NOT NULL DEFAULT '0',
  allowdownlocalimg tinyint(1) NOT NULL DEFAULT '0',
  allowdownremoteimg tinyint(1) NOT NULL DEFAULT '0',
  allowpostarticlemod tinyint(1) NOT NULL DEFAULT '0',
  allowspacediyhtml tinyint(1) NOT NULL DEFAULT '0',
  allowspacediybbcode tinyint(1) NOT NULL DEFAULT '0',
  allowspacediyimgcode tinyint(1) NOT NULL DEFAULT '0',
  allowcommentpost tinyint(1) NOT NULL DEFAULT '2',
  allowcommentitem tinyint(1) NOT NULL DEFAULT '0',
  allowcommentreply tinyint(1) NOT NULL DEFAULT '0',
  allowreplycredit tinyint(1) NOT NULL DEFAULT '0',
  ignorecensor tinyint(1) NOT NULL DEFAULT '0',
  allowsendallpm tinyint(1) NOT NULL DEFAULT '0',
  allowsendpmmaxnum smallint(6) NOT NULL DEFAULT '0',
  maximagesize mediumint(8) NOT NULL DEFAULT '0',
  allowmediacode tinyint(1) NOT NULL DEFAULT '0',
  allowbegincode tinyint(1) NOT NULL DEFAULT '0',
  allowat smallint(6) NOT NULL DEFAULT '0',
  allowsave tinyint(1) NOT NULL DEFAULT '1',
  allowsavereply tinyint(1) NOT NULL DEFAULT '1',
  allowsavenum int(10) NOT NULL DEFAULT '0',
  allowsetpublishdate tinyint(1) NOT NULL DEFAULT '0',
  allowfollowcollection tinyint(3) NOT NULL DEFAULT '0',
  allowcommentcollection tinyint(1) NOT NULL DEFAULT '0',
  allowcreatecollection smallint(6) NOT NULL DEFAULT '0',
  forcesecques tinyint(1) NOT NULL DEFAULT '0',
  forcelogin tinyint(3) NOT NULL DEFAULT '0',
  closead tinyint(1) NOT NULL DEFAULT '0',
  buildgroupcredits smallint(6) NOT NULL DEFAULT '0',
  allowimgcontent tinyint(1) NOT NULL DEFAULT '0',
  allowavatarupload tinyint(1) NOT NULL DEFAULT '0',
  allowviewprofile tinyint(1) NOT NULL DEFAULT '0',
  PRIMARY KEY (groupid)
);

CREATE TABLE IF NOT EXISTS {{UC}}members (
  uid INTEGER PRIMARY KEY AUTOINCREMENT,
  username char(15) COLLATE NOCASE NOT NULL DEFAULT '',
  password varchar(255) NOT NULL DEFAULT '',
  secmobicc varchar(3) NOT NULL DEFAULT '',
  secmobile varchar(12) NOT NULL DEFAULT '',
  email varchar(255) COLLATE NOCASE NOT NULL DEFAULT '',
  myid char(30) NOT NULL DEFAULT '',
  myidkey char(16) NOT NULL DEFAULT '',
  regip varchar(45) NOT NULL DEFAULT '',
  regdate int(10) NOT NULL DEFAULT '0',
  lastloginip int(10) NOT NULL DEFAULT '0',
  lastlogintime int(10) NOT NULL DEFAULT '0',
  salt varchar(20) NOT NULL DEFAULT '',
  secques char(8) NOT NULL DEFAULT '',
  UNIQUE (username)
);
CREATE INDEX IF NOT EXISTS {{UC}}members_email ON {{UC}}members (email);
CREATE INDEX IF NOT EXISTS {{UC}}members_secmobile ON {{UC}}members (secmobile, secmobicc);

CREATE TABLE IF NOT EXISTS {{UC}}memberfields (
  uid mediumint(8) NOT NULL,
  blacklist text NOT NULL,
  PRIMARY KEY (uid)
);

