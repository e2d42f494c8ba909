-- Sign-ins halfway: the password was right, the second step is to come.
-- Keyed by the SHA-256 digest of the client's token; each goes with its
-- account (ON DELETE CASCADE) and is purged with the expired sessions.

CREATE TABLE pending_sign_ins (
    id                 BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 32),
    user_id            TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_version INTEGER NOT NULL,
    remember           INTEGER NOT NULL,  -- 0 or 1
    return_to          TEXT,
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX pending_sign_ins_by_user ON pending_sign_ins (user_id);
CREATE INDEX pending_sign_ins_by_expiry ON pending_sign_ins (expires_at);
