-- The admin toolbox (issue 5): audit log and server-side admin sessions.

CREATE TABLE IF NOT EXISTS {{P}}audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at bigint NOT NULL DEFAULT 0,
  actor_uid int NOT NULL DEFAULT 0,
  actor_name varchar(64) NOT NULL DEFAULT '',
  actor_ip varchar(45) NOT NULL DEFAULT '',
  user_agent varchar(255) NOT NULL DEFAULT '',
  source varchar(8) NOT NULL DEFAULT '',
  action varchar(32) NOT NULL DEFAULT '',
  target varchar(255) NOT NULL DEFAULT '',
  before_json text NOT NULL DEFAULT '',
  after_json text NOT NULL DEFAULT '',
  undo_data text NOT NULL DEFAULT '',
  result varchar(16) NOT NULL DEFAULT '',
  undo_of bigint NULL DEFAULT NULL,
  undone_by bigint NULL DEFAULT NULL
);
CREATE INDEX IF NOT EXISTS {{P}}audit_at ON {{P}}audit (at);
CREATE INDEX IF NOT EXISTS {{P}}audit_action ON {{P}}audit (action);

CREATE TABLE IF NOT EXISTS {{P}}admin_session (
  id_hash char(64) NOT NULL PRIMARY KEY,
  uid int NOT NULL DEFAULT 0,
  username varchar(64) NOT NULL DEFAULT '',
  csrf varchar(64) NOT NULL DEFAULT '',
  ip varchar(45) NOT NULL DEFAULT '',
  created_at bigint NOT NULL DEFAULT 0,
  last_seen bigint NOT NULL DEFAULT 0,
  reauth_at bigint NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS {{P}}admin_session_uid ON {{P}}admin_session (uid);
