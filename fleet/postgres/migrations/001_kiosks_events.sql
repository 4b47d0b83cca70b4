-- Kiosks, their streams and events, and the projections the console reads.
CREATE TABLE kiosks (
	id           text PRIMARY KEY,
	name         text NOT NULL,
	regency      text NOT NULL,
	province     text NOT NULL,
	enrolled_at  timestamptz NOT NULL,
	revoked_at   timestamptz,
	last_seen    timestamptz,
	state        text NOT NULL DEFAULT '',
	unavailable  text[] NOT NULL DEFAULT '{}',
	reasons      text[] NOT NULL DEFAULT '{}',
	backlog      integer NOT NULL DEFAULT 0,
	backlog_prev integer NOT NULL DEFAULT 0
);
CREATE INDEX kiosks_region ON kiosks (province, regency);

-- One row per (kiosk, stream): the highest seq stored with no gap. Ingest
-- locks it, so hubs sharing the database take a stream's batches in turn.
CREATE TABLE streams (
	kiosk  text NOT NULL REFERENCES kiosks (id),
	stream text NOT NULL,
	acked  bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (kiosk, stream)
);

CREATE TABLE events (
	kiosk       text NOT NULL,
	stream      text NOT NULL,
	seq         bigint NOT NULL,
	at          timestamptz NOT NULL,
	received_at timestamptz NOT NULL,
	kind        text NOT NULL,
	data        jsonb NOT NULL,
	PRIMARY KEY (kiosk, stream, seq),
	FOREIGN KEY (kiosk, stream) REFERENCES streams (kiosk, stream)
);

CREATE TABLE printers (
	kiosk    text NOT NULL REFERENCES kiosks (id),
	printer  text NOT NULL,
	media    text NOT NULL,
	state    text NOT NULL,
	reasons  text[] NOT NULL DEFAULT '{}',
	supplies jsonb NOT NULL DEFAULT '{}',
	at       timestamptz NOT NULL,
	PRIMARY KEY (kiosk, printer)
);

CREATE TABLE prints_daily (
	kiosk         text NOT NULL REFERENCES kiosks (id),
	day           date NOT NULL,
	document_type text NOT NULL,
	outcome       text NOT NULL,
	count         integer NOT NULL,
	PRIMARY KEY (kiosk, day, document_type, outcome)
);

CREATE TABLE blank_balances (
	kiosk   text NOT NULL REFERENCES kiosks (id),
	printer text NOT NULL,
	balance integer NOT NULL,
	at      timestamptz NOT NULL,
	PRIMARY KEY (kiosk, printer)
);

CREATE TABLE blank_movements (
	kiosk   text NOT NULL,
	stream  text NOT NULL,
	seq     bigint NOT NULL,
	printer text NOT NULL,
	kind    text NOT NULL,
	count   integer NOT NULL,
	balance integer NOT NULL,
	cause   text NOT NULL DEFAULT '',
	at      timestamptz NOT NULL,
	PRIMARY KEY (kiosk, stream, seq),
	FOREIGN KEY (kiosk, stream, seq) REFERENCES events (kiosk, stream, seq)
);
CREATE INDEX blank_movements_at ON blank_movements (kiosk, printer, at);

CREATE TABLE jobs_waiting (
	kiosk         text NOT NULL REFERENCES kiosks (id),
	job_ref       text NOT NULL,
	document_type text NOT NULL DEFAULT '',
	state         text NOT NULL,
	since         timestamptz NOT NULL,
	PRIMARY KEY (kiosk, job_ref)
);
