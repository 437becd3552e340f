-- Issue 14 (QQ游客): the bind page replaces a QQ identity's pending records
-- by (appid, openid); without an index that DELETE locks every row it scans.
-- IF NOT EXISTS, as the other migrations: DDL cannot roll back.
ALTER TABLE {{P}}pending ADD INDEX IF NOT EXISTS idx_openid (appid, openid);
