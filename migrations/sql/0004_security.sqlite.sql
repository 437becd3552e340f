-- Security review (issue 9). {{P}} = <prefix>qqconnect_. sqlite does not
-- enforce varchar lengths, so the referer columns need no change here.
CREATE TABLE IF NOT EXISTS {{P}}claim (
  k varchar(191) NOT NULL PRIMARY KEY,
  expires_at bigint NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS {{P}}claim_expires_at ON {{P}}claim (expires_at);
ALTER TABLE {{P}}admin_session ADD COLUMN fp char(64) NOT NULL DEFAULT '';
