-- writ schema v1. Shared by SQLite and PostgreSQL: {{ID}}, {{BLOB}} and {{REAL}}
-- are replaced per dialect (sqlstore/dialect.go). Times are BIGINT unix
-- microseconds (UTC) in both, so comparisons and indexes behave the same.

CREATE TABLE users (
	id            {{ID}},
	username      TEXT NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 64),
	display_name  TEXT NOT NULL DEFAULT '',
	role          TEXT NOT NULL CHECK (role IN ('investigator','supervisor','auditor','admin')),
	active        BOOLEAN NOT NULL DEFAULT TRUE,
	password_hash TEXT NOT NULL,
	created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
	token_hash   {{BLOB}} PRIMARY KEY,
	user_id      BIGINT NOT NULL REFERENCES users(id),
	kind         TEXT NOT NULL CHECK (kind IN ('session','api')),
	name         TEXT NOT NULL DEFAULT '',
	csrf_token   TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	last_used_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id, kind);

CREATE TABLE cases (
	id          {{ID}},
	title       TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
	description TEXT NOT NULL DEFAULT '',
	status      TEXT NOT NULL CHECK (status IN ('open','closed','sealed')),
	created_by  BIGINT NOT NULL REFERENCES users(id),
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);

-- Distribution key for Citus: case_id.
CREATE TABLE case_roster (
	case_id  BIGINT NOT NULL REFERENCES cases(id),
	user_id  BIGINT NOT NULL REFERENCES users(id),
	role     TEXT NOT NULL CHECK (role IN ('lead','member')),
	added_by BIGINT NOT NULL REFERENCES users(id),
	added_at BIGINT NOT NULL,
	PRIMARY KEY (case_id, user_id)
);
CREATE INDEX case_roster_user ON case_roster (user_id);

CREATE TABLE subjects (
	id         {{ID}},
	case_id    BIGINT NOT NULL REFERENCES cases(id),
	name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	notes      TEXT NOT NULL DEFAULT '',
	created_by BIGINT NOT NULL REFERENCES users(id),
	created_at BIGINT NOT NULL
);
CREATE INDEX subjects_case ON subjects (case_id);

-- categories and selectors are JSON arrays; area is a JSON array of points or ''.
CREATE TABLE authorities (
	id            {{ID}},
	case_id       BIGINT NOT NULL REFERENCES cases(id),
	kind          TEXT NOT NULL CHECK (kind IN ('search_warrant','court_order','pen_register',
	                'geofence_step1','geofence_step2','geofence_step3','subpoena','consent','exigent')),
	issuing_body  TEXT NOT NULL,
	reference     TEXT NOT NULL,
	issued_at     BIGINT NOT NULL,
	expires_at    BIGINT NOT NULL CHECK (expires_at > issued_at),
	categories    TEXT NOT NULL,
	selectors     TEXT NOT NULL,
	window_start  BIGINT NOT NULL,
	window_end    BIGINT NOT NULL CHECK (window_end > window_start),
	area          TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL CHECK (status IN ('requested','approved','revoked')),
	requested_by  BIGINT NOT NULL REFERENCES users(id),
	approved_by   BIGINT REFERENCES users(id),
	approved_at   BIGINT,
	revoked_by    BIGINT REFERENCES users(id),
	revoked_at    BIGINT,
	revoke_reason TEXT NOT NULL DEFAULT '',
	created_at    BIGINT NOT NULL,
	-- the second-person rule, enforced by the database as well as the code
	CHECK (approved_by IS NULL OR approved_by <> requested_by),
	CHECK (status <> 'approved' OR approved_by IS NOT NULL)
);
CREATE INDEX authorities_case ON authorities (case_id, status);

CREATE TABLE agreements (
	id             {{ID}},
	name           TEXT NOT NULL,
	dataset        TEXT NOT NULL,
	parties        TEXT NOT NULL,
	purposes       TEXT NOT NULL,
	retention_days INTEGER NOT NULL CHECK (retention_days > 0),
	expires_at     BIGINT NOT NULL,
	created_by     BIGINT NOT NULL REFERENCES users(id),
	created_at     BIGINT NOT NULL
);

-- Case data. Every row carries provenance; ingest batches (0004) make loads
-- idempotent, so content_hash is not unique.
CREATE TABLE contacts (
	id           {{ID}},
	caller       TEXT NOT NULL,
	callee       TEXT NOT NULL,
	started_at   BIGINT NOT NULL,
	duration_s   INTEGER NOT NULL CHECK (duration_s >= 0),
	type         TEXT NOT NULL,
	dataset      TEXT NOT NULL,
	source       TEXT NOT NULL,
	src_offset   BIGINT NOT NULL,
	content_hash TEXT NOT NULL,
	batch        TEXT NOT NULL,
	basis_kind   TEXT NOT NULL CHECK (basis_kind IN ('authority','agreement')),
	basis_id     BIGINT NOT NULL
);
CREATE INDEX contacts_caller ON contacts (caller, started_at);
CREATE INDEX contacts_callee ON contacts (callee, started_at);

CREATE TABLE pings (
	id           {{ID}},
	device       TEXT NOT NULL,
	at           BIGINT NOT NULL,
	lat          {{REAL}} NOT NULL CHECK (lat BETWEEN -90 AND 90),
	lon          {{REAL}} NOT NULL CHECK (lon BETWEEN -180 AND 180),
	accuracy_m   {{REAL}} NOT NULL DEFAULT 0,
	dataset      TEXT NOT NULL,
	source       TEXT NOT NULL,
	src_offset   BIGINT NOT NULL,
	content_hash TEXT NOT NULL,
	batch        TEXT NOT NULL,
	basis_kind   TEXT NOT NULL CHECK (basis_kind IN ('authority','agreement')),
	basis_id     BIGINT NOT NULL
);
CREATE INDEX pings_device ON pings (device, at);
CREATE INDEX pings_time ON pings (at, lat, lon);

CREATE TABLE plate_reads (
	id           {{ID}},
	plate        TEXT NOT NULL,
	camera       TEXT NOT NULL,
	at           BIGINT NOT NULL,
	lat          {{REAL}} NOT NULL CHECK (lat BETWEEN -90 AND 90),
	lon          {{REAL}} NOT NULL CHECK (lon BETWEEN -180 AND 180),
	dataset      TEXT NOT NULL,
	source       TEXT NOT NULL,
	src_offset   BIGINT NOT NULL,
	content_hash TEXT NOT NULL,
	batch        TEXT NOT NULL,
	basis_kind   TEXT NOT NULL CHECK (basis_kind IN ('authority','agreement')),
	basis_id     BIGINT NOT NULL
);
CREATE INDEX plate_reads_plate ON plate_reads (plate, at);

-- Records come from registries and brokers about an entity. subject_id is
-- NULL until resolution links the record to a case subject. protected holds
-- the protected attributes (a JSON object) apart from fields, so that no
-- filter over fields can reach them. Ingest batches (0004) make loads
-- idempotent, so content_hash is not unique.
CREATE TABLE records (
	id           {{ID}},
	entity       TEXT NOT NULL CHECK (entity IN ('Person','Vehicle','Phone','Address','Company')),
	record_id    TEXT NOT NULL DEFAULT '',
	subject_id   BIGINT REFERENCES subjects(id),
	observed_at  BIGINT NOT NULL,
	fields       TEXT NOT NULL,
	protected    TEXT NOT NULL DEFAULT '{}',
	dataset      TEXT NOT NULL,
	source       TEXT NOT NULL,
	src_offset   BIGINT NOT NULL,
	content_hash TEXT NOT NULL,
	batch        TEXT NOT NULL,
	basis_kind   TEXT NOT NULL CHECK (basis_kind IN ('authority','agreement')),
	basis_id     BIGINT NOT NULL
);
CREATE INDEX records_subject ON records (subject_id, observed_at);
CREATE INDEX records_key ON records (dataset, record_id);

-- The audit log: data is the exact leaf bytes hashed into the Merkle tree;
-- audit_hashes holds the tree's stored hashes (tlog.StoredHashIndex order);
-- audit_checkpoints holds every signed tree head the log has issued.
CREATE TABLE audit_entries (
	idx  BIGINT PRIMARY KEY,
	data {{BLOB}} NOT NULL
);
CREATE TABLE audit_hashes (
	idx  BIGINT PRIMARY KEY,
	hash {{BLOB}} NOT NULL
);
CREATE TABLE audit_checkpoints (
	size       BIGINT PRIMARY KEY,
	note       TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
