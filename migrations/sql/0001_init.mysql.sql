-- qqconnect's own tables (docs/architecture.md). {{P}} = <prefix>qqconnect_.
-- Never touches a Discuz table. IF NOT EXISTS because MySQL DDL cannot be
-- rolled back: a migration interrupted half-way must be safe to re-run.

CREATE TABLE IF NOT EXISTS {{P}}meta (
  k varchar(64) NOT NULL,
  v text NOT NULL,
  PRIMARY KEY (k)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS {{P}}identity (
  id bigint unsigned NOT NULL AUTO_INCREMENT,
  uid int NOT NULL DEFAULT 0,
  appid varchar(32) NOT NULL DEFAULT '',
  openid varchar(64) NOT NULL DEFAULT '',
  unionid varchar(64) NULL DEFAULT NULL,
  nickname varchar(255) NOT NULL DEFAULT '',
  avatar_url varchar(512) NOT NULL DEFAULT '',
  token_expires_at bigint NOT NULL DEFAULT 0,
  created_at bigint NOT NULL DEFAULT 0,
  updated_at bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  UNIQUE KEY appid_openid (appid, openid),
  KEY uid (uid),
  KEY unionid (unionid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS {{P}}oauth_state (
  state_hash char(64) NOT NULL,
  browser_hash char(64) NOT NULL DEFAULT '',
  intent varchar(16) NOT NULL DEFAULT '',
  uid int NOT NULL DEFAULT 0,
  referer varchar(255) NOT NULL DEFAULT '',
  created_at bigint NOT NULL DEFAULT 0,
  expires_at bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (state_hash),
  KEY expires_at (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS {{P}}pending (
  token_hash char(64) NOT NULL,
  browser_hash char(64) NOT NULL DEFAULT '',
  appid varchar(32) NOT NULL DEFAULT '',
  openid varchar(64) NOT NULL DEFAULT '',
  unionid varchar(64) NULL DEFAULT NULL,
  nickname varchar(255) NOT NULL DEFAULT '',
  avatar_url varchar(512) NOT NULL DEFAULT '',
  referer varchar(255) NOT NULL DEFAULT '',
  created_at bigint NOT NULL DEFAULT 0,
  expires_at bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (token_hash),
  KEY expires_at (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS {{P}}login_attempt (
  id bigint unsigned NOT NULL AUTO_INCREMENT,
  kind varchar(16) NOT NULL DEFAULT '',
  ip varchar(45) NOT NULL DEFAULT '',
  account varchar(64) NOT NULL DEFAULT '',
  success tinyint NOT NULL DEFAULT 0,
  created_at bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  KEY kind_ip (kind, ip, created_at),
  KEY kind_account (kind, account, created_at),
  KEY created_at (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
