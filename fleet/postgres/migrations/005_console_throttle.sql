-- The console's login throttle, shared by every hub: one row per login
-- attempt not yet followed by a successful login of its key, kept under
-- an HMAC of the key ("account:<name>", "client:<address>") so that
-- addresses and names mistyped as passwords are not stored in clear. The
-- HMAC key is made here, once per database.
CREATE TABLE console_login_attempts (
	key_hmac bytea NOT NULL,
	at       timestamptz NOT NULL
);
CREATE INDEX console_login_attempts_key ON console_login_attempts (key_hmac, at);
CREATE INDEX console_login_attempts_at ON console_login_attempts (at);

CREATE TABLE console_throttle_key (
	id  integer PRIMARY KEY CHECK (id = 1),
	key bytea NOT NULL
);
INSERT INTO console_throttle_key VALUES (1, uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()));

-- The monthly blank-card report asks whether a kiosk sent anything in a
-- month: the UTC hours (on the kiosk's clock) in which it had an event.
-- The regions' zones are whole hours off UTC, so a month in any of them is
-- a range of these hours. One row per kiosk-hour costs ingest less than an
-- index entry per event.
CREATE TABLE kiosk_hours (
	kiosk text NOT NULL REFERENCES kiosks (id),
	hour  timestamptz NOT NULL,
	PRIMARY KEY (kiosk, hour)
);
INSERT INTO kiosk_hours SELECT DISTINCT kiosk, date_trunc('hour', at, 'UTC') FROM events;
