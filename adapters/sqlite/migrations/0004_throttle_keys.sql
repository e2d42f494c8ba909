-- Failed sign-ins are counted per throttle key: a username key (untrusted
-- clients) or `device:<nonce>` (one trusted device). Counts of usernames
-- with no account are purged a while after their latest failure.

ALTER TABLE login_failures RENAME COLUMN username_key TO throttle_key;
CREATE INDEX login_failures_by_last_failure ON login_failures (last_failed_at);
