-- How each session's owner proved who they are: RFC 8176 method names,
-- separated by spaces ("pwd", "pwd otp"). Sessions from before second
-- factors were proved by a password.

ALTER TABLE sessions ADD COLUMN proof TEXT NOT NULL DEFAULT 'pwd';
