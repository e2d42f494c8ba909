-- Session lifetimes, credential versions and sign-in throttling.

-- Moves on at every password change; older sessions are then dead.
ALTER TABLE users ADD COLUMN credential_version INTEGER NOT NULL DEFAULT 0;

ALTER TABLE sessions ADD COLUMN authenticated_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN remember INTEGER NOT NULL DEFAULT 0 CHECK (remember IN (0, 1));
ALTER TABLE sessions ADD COLUMN credential_version INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET authenticated_at = created_at, last_seen_at = created_at;

-- Consecutive failed sign-ins per username key, whether or not an account
-- has that key.
CREATE TABLE login_failures (
    username_key   TEXT    NOT NULL PRIMARY KEY,
    count          INTEGER NOT NULL CHECK (count > 0),
    last_failed_at INTEGER NOT NULL
) STRICT;
