-- Security review (issue 9). {{P}} = <prefix>qqconnect_.
-- claim: short-lived named locks that make a bind or register of one QQ
-- openid, one account or one username a critical section across every
-- instance, on InnoDB and MyISAM forums alike.
CREATE TABLE IF NOT EXISTS {{P}}claim (
  k varchar(191) NOT NULL,
  expires_at bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (k),
  KEY expires_at (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Discuz thread URLs with extra= are often longer than 255 characters.
ALTER TABLE {{P}}pending MODIFY referer varchar(2048) NOT NULL DEFAULT '';
ALTER TABLE {{P}}oauth_state MODIFY referer varchar(2048) NOT NULL DEFAULT '';

-- fp: a fingerprint of the administrator's password and adminid at sign-in;
-- a change ends the session.
ALTER TABLE {{P}}admin_session ADD COLUMN IF NOT EXISTS fp char(64) NOT NULL DEFAULT '';
