-- Accounts and their sessions. Times are Unix milliseconds, UTC.

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,  -- hyphenated UUID
    username      TEXT    NOT NULL,              -- as its owner wrote it
    username_key  TEXT    NOT NULL UNIQUE,       -- case-folded NFKC: decides uniqueness
    password_hash TEXT    NOT NULL,              -- PHC string
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER
) STRICT;

CREATE TABLE sessions (
    id         BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 32),  -- SHA-256 of the token
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
