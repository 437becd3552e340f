-- The admin toolbox (issue 5): audit log of every repair and admin action,
-- and server-side admin sessions. {{P}} = <prefix>qqconnect_.

CREATE TABLE IF NOT EXISTS {{P}}audit (
  id bigint unsigned NOT NULL AUTO_INCREMENT,
  at bigint NOT NULL DEFAULT 0,
  actor_uid int NOT NULL DEFAULT 0,
  actor_name varchar(64) NOT NULL DEFAULT '',
  actor_ip varchar(45) NOT NULL DEFAULT '',
  user_agent varchar(255) NOT NULL DEFAULT '',
  source varchar(8) NOT NULL DEFAULT '',
  action varchar(32) NOT NULL DEFAULT '',
  target varchar(255) NOT NULL DEFAULT '',
  before_json mediumtext NOT NULL,
  after_json mediumtext NOT NULL,
  undo_data mediumtext NOT NULL,
  result varchar(16) NOT NULL DEFAULT '',
  undo_of bigint unsigned NULL DEFAULT NULL,
  undone_by bigint unsigned NULL DEFAULT NULL,
  PRIMARY KEY (id),
  KEY at (at),
  KEY action (action)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS {{P}}admin_session (
  id_hash char(64) NOT NULL,
  uid int NOT NULL DEFAULT 0,
  username varchar(64) NOT NULL DEFAULT '',
  csrf varchar(64) NOT NULL DEFAULT '',
  ip varchar(45) NOT NULL DEFAULT '',
  created_at bigint NOT NULL DEFAULT 0,
  last_seen bigint NOT NULL DEFAULT 0,
  reauth_at bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (id_hash),
  KEY uid (uid),
  KEY last_seen (last_seen)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
