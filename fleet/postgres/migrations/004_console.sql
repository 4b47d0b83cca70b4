-- The console's users and sessions. A user's scope is its text form
-- (fleet.Scope: all, province:32, regency:3273, kiosks:a,b); a session is
-- kept by the SHA-256 of its ID, never the ID itself.
CREATE TABLE console_users (
	name          text PRIMARY KEY,
	password_hash text NOT NULL,
	scope         text NOT NULL,
	created_at    timestamptz NOT NULL
);

CREATE TABLE console_sessions (
	id_hash    bytea PRIMARY KEY,
	name       text NOT NULL REFERENCES console_users (name) ON DELETE CASCADE,
	expires_at timestamptz NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
