-- Issue 14 (QQ游客): the bind page replaces a QQ identity's pending records
-- by (appid, openid); without an index that DELETE locks every row it scans.
ALTER TABLE {{P}}pending ADD INDEX idx_openid (appid, openid);
