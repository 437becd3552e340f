-- qqconnect's own tables (docs/architecture.md). {{P}} = <prefix>qqconnect_.
-- Index names are global in SQLite, hence the {{P}}<table>_ prefix.

CREATE TABLE IF NOT EXISTS {{P}}meta (
  k varchar(64) NOT NULL PRIMARY KEY,
  v text NOT NULL
);

CREATE TABLE IF NOT EXISTS {{P}}identity (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  uid int NOT NULL DEFAULT 0,
  appid varchar(32) NOT NULL DEFAULT '',
  openid varchar(64) NOT NULL DEFAULT '',
  unionid varchar(64) NULL DEFAULT NULL,
  nickname varchar(255) NOT NULL DEFAULT '',
  avatar_url varchar(512) NOT NULL DEFAULT '',
  token_expires_at bigint NOT NULL DEFAULT 0,
  created_at bigint NOT NULL DEFAULT 0,
  updated_at bigint NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS {{P}}identity_appid_openid ON {{P}}identity (appid, openid);
CREATE INDEX IF NOT EXISTS {{P}}identity_uid ON {{P}}identity (uid);
CREATE INDEX IF NOT EXISTS {{P}}identity_unionid ON {{P}}identity (unionid);

CREATE TABLE IF NOT EXISTS {{P}}oauth_state (
  state_hash char(64) NOT NULL PRIMARY KEY,
  browser_hash char(64) NOT NULL DEFAULT '',
  intent varchar(16) NOT NULL DEFAULT '',
  uid int NOT NULL DEFAULT 0,
  referer varchar(255) NOT NULL DEFAULT '',
  created_at bigint NOT NULL DEFAULT 0,
  expires_at bigint NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS {{P}}oauth_state_expires_at ON {{P}}oauth_state (expires_at);

CREATE TABLE IF NOT EXISTS {{P}}pending (
  token_hash char(64) NOT NULL PRIMARY KEY,
  browser_hash char(64) NOT NULL DEFAULT '',
  appid varchar(32) NOT NULL DEFAULT '',
  openid varchar(64) NOT NULL DEFAULT '',
  unionid varchar(64) NULL DEFAULT NULL,
  nickname varchar(255) NOT NULL DEFAULT '',
  avatar_url varchar(512) NOT NULL DEFAULT '',
  referer varchar(255) NOT NULL DEFAULT '',
  created_at bigint NOT NULL DEFAULT 0,
  expires_at bigint NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS {{P}}pending_expires_at ON {{P}}pending (expires_at);

CREATE TABLE IF NOT EXISTS {{P}}login_attempt (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind varchar(16) NOT NULL DEFAULT '',
  ip varchar(45) NOT NULL DEFAULT '',
  account varchar(64) NOT NULL DEFAULT '',
  success tinyint NOT NULL DEFAULT 0,
  created_at bigint NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS {{P}}login_attempt_kind_ip ON {{P}}login_attempt (kind, ip, created_at);
CREATE INDEX IF NOT EXISTS {{P}}login_attempt_kind_account ON {{P}}login_attempt (kind, account, created_at);
CREATE INDEX IF NOT EXISTS {{P}}login_attempt_created_at ON {{P}}login_attempt (created_at);
