-- Issue 14 (QQ游客): pending records are replaced by (appid, openid).
CREATE INDEX IF NOT EXISTS {{P}}pending_openid ON {{P}}pending (appid, openid);
