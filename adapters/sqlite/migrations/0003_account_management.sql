-- Account management: disabled accounts, and where each session was signed
-- in from (for its owner's list of sessions).

ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));

ALTER TABLE sessions ADD COLUMN user_agent TEXT;  -- shortened, as the browser sent it
ALTER TABLE sessions ADD COLUMN client_ip TEXT;   -- as text
