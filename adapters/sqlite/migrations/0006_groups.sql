-- Groups and their members. A membership goes with its group and with its
-- account (ON DELETE CASCADE). Memberships are keyed by account first, so
-- that reading an account's groups is a range of the primary key; the
-- index by group serves member lists, counts and the cascade from groups.

CREATE TABLE groups (
    name TEXT NOT NULL PRIMARY KEY  -- lowercase ASCII, checked by the domain
) STRICT, WITHOUT ROWID;

CREATE TABLE group_members (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_name TEXT NOT NULL REFERENCES groups (name) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_name)
) STRICT, WITHOUT ROWID;

CREATE INDEX group_members_by_group ON group_members (group_name);
