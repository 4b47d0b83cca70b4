-- The witness: each kiosk's audit logs' verifier keys (log name → note
-- vkey, registered at enrolment) and, per (kiosk, log), the latest
-- checkpoint the hub cosigned. Hubs advance a log under its row's lock.
ALTER TABLE kiosks ADD COLUMN audit_keys jsonb NOT NULL DEFAULT '{}';

CREATE TABLE witnessed (
	kiosk       text NOT NULL REFERENCES kiosks (id),
	log         text NOT NULL,
	size        bigint NOT NULL,
	hash        bytea NOT NULL,
	note        bytea NOT NULL,
	cosigned_at timestamptz NOT NULL,
	PRIMARY KEY (kiosk, log)
);
