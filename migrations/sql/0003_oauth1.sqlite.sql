-- Qzone OAuth 1.0 (issue 6): an authorize request is then keyed by the
-- request token, whose secret is needed for the access-token call.
ALTER TABLE {{P}}oauth_state ADD COLUMN protocol varchar(8) NOT NULL DEFAULT 'oauth2';
ALTER TABLE {{P}}oauth_state ADD COLUMN request_secret varchar(128) NOT NULL DEFAULT '';
