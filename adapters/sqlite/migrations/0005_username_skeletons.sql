-- Look-alike usernames: each account's confusable skeleton (UTS #39, of its
-- username key), unique among the accounts that have one, so that a new
-- account cannot look like another.
--
-- SQL cannot compute a skeleton, so the rows stored before this migration
-- start without one (NULL: any number may) and the store fills them in when
-- it opens, in the order they were stored; a row whose skeleton an earlier
-- one holds keeps NULL, and keeps working.

ALTER TABLE users ADD COLUMN username_skeleton TEXT;

CREATE UNIQUE INDEX users_by_skeleton ON users (username_skeleton);
