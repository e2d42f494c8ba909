-- Second factors: an account's authenticator app (at most one, its key
-- sealed by the server) and its unspent recovery codes (SHA-256 digests).
-- Both go with their account (ON DELETE CASCADE).

CREATE TABLE totp_apps (
    user_id       TEXT    NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret        BLOB    NOT NULL,  -- sealed: nonce, ciphertext and tag
    added_at      INTEGER NOT NULL,
    confirmed_at  INTEGER,           -- NULL until a first code proved it
    last_accepted INTEGER            -- the last 30-second step accepted
) STRICT, WITHOUT ROWID;

CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    digest  BLOB NOT NULL CHECK (length(digest) = 32),
    PRIMARY KEY (user_id, digest)
) STRICT, WITHOUT ROWID;
