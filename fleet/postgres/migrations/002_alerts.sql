-- Alerts: one row per raised condition, open until it clears. The
-- primary key on the open alert's key makes opening it once across hubs;
-- delivered_at, attempts and next_try are the webhook's progress:
-- a hub claims an undelivered alert by moving next_try past its backoff.
CREATE TABLE alerts (
	id           bigserial PRIMARY KEY,
	key          text NOT NULL,
	kind         text NOT NULL,
	kiosk        text NOT NULL REFERENCES kiosks (id),
	subject      text NOT NULL DEFAULT '',
	detail       text NOT NULL,
	opened_at    timestamptz NOT NULL,
	closed_at    timestamptz,
	delivered_at timestamptz,
	attempts     integer NOT NULL DEFAULT 0,
	next_try     timestamptz NOT NULL DEFAULT '-infinity'
);
CREATE UNIQUE INDEX alerts_open ON alerts (key) WHERE closed_at IS NULL;
