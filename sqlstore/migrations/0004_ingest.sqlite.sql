-- writ schema v4 (SQLite): ingest batches, quarantine, stream marks, dataset
-- fields; and the event tables lose UNIQUE (content_hash). Batches make
-- ingestion idempotent, and a unique index on a random hash made every
-- insert a random B-tree write (4x slower at 300,000 rows, worse beyond
-- memory). SQLite cannot drop a constraint, so the tables are rebuilt.

-- The marker of each committed ingest batch. (source_key, batch_no) is the
-- batch's identity: CommitBatch writes a batch's rows, its quarantined rows
-- and this marker in one transaction, and writes nothing if the marker
-- exists. source_key is "sha256:<hex>" of a file's bytes or "stream:<name>".
CREATE TABLE ingest_batches (
	id           {{ID}},
	source_key   TEXT NOT NULL,
	batch_no     BIGINT NOT NULL,
	batch_size   INTEGER NOT NULL CHECK (batch_size > 0),
	dataset      TEXT NOT NULL,
	source       TEXT NOT NULL,
	kind         TEXT NOT NULL CHECK (kind IN ('records','contacts','pings','plate_reads')),
	basis_kind   TEXT NOT NULL CHECK (basis_kind IN ('authority','agreement')),
	basis_id     BIGINT NOT NULL,
	rows_read    BIGINT NOT NULL,
	rows_stored  BIGINT NOT NULL,
	rows_quarantined BIGINT NOT NULL,
	committed_at BIGINT NOT NULL,
	UNIQUE (source_key, batch_no)
);

-- Input rows that could not be stored as they were, with the reason. raw is
-- the row as read (not necessarily UTF-8), truncated; raw_size its full size.
CREATE TABLE ingest_quarantine (
	id         {{ID}},
	batch_id   BIGINT NOT NULL REFERENCES ingest_batches(id),
	src_offset BIGINT NOT NULL,
	field      TEXT NOT NULL,
	reason     TEXT NOT NULL,
	detail     TEXT NOT NULL,
	raw        {{BLOB}} NOT NULL,
	raw_size   BIGINT NOT NULL
);
CREATE INDEX ingest_quarantine_batch ON ingest_quarantine (batch_id, id);

-- The high-water mark of each stream: the last sequence committed, moved in
-- the transaction that commits the batch ending there.
CREATE TABLE ingest_streams (
	name       TEXT PRIMARY KEY,
	seq        BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);

-- The fields of each records dataset; protected ones (DESIGN.md invariant 4)
-- must never be selectors, filters, facets, lookout conditions or sort keys.
CREATE TABLE dataset_fields (
	dataset   TEXT NOT NULL,
	field     TEXT NOT NULL,
	entity    TEXT NOT NULL,
	protected BOOLEAN NOT NULL,
	PRIMARY KEY (dataset, field)
);

CREATE TABLE contacts_v4 (
	id           INTEGER PRIMARY KEY,
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
INSERT INTO contacts_v4 SELECT id, caller, callee, started_at, duration_s, type, dataset, source, src_offset,
	content_hash, batch, basis_kind, basis_id FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_v4 RENAME TO contacts;
CREATE INDEX contacts_caller ON contacts (caller, started_at);
CREATE INDEX contacts_callee ON contacts (callee, started_at);

CREATE TABLE pings_v4 (
	id           INTEGER PRIMARY KEY,
	device       TEXT NOT NULL,
	at           BIGINT NOT NULL,
	lat          REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
	lon          REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
	accuracy_m   REAL NOT NULL DEFAULT 0,
	dataset      TEXT NOT NULL,
	source       TEXT NOT NULL,
	src_offset   BIGINT NOT NULL,
	content_hash TEXT NOT NULL,
	batch        TEXT NOT NULL,
	basis_kind   TEXT NOT NULL CHECK (basis_kind IN ('authority','agreement')),
	basis_id     BIGINT NOT NULL
);
INSERT INTO pings_v4 SELECT id, device, at, lat, lon, accuracy_m, dataset, source, src_offset,
	content_hash, batch, basis_kind, basis_id FROM pings;
DROP TABLE pings;
ALTER TABLE pings_v4 RENAME TO pings;
CREATE INDEX pings_device ON pings (device, at);
CREATE INDEX pings_time ON pings (at, lat, lon);

CREATE TABLE plate_reads_v4 (
	id           INTEGER PRIMARY KEY,
	plate        TEXT NOT NULL,
	camera       TEXT NOT NULL,
	at           BIGINT NOT NULL,
	lat          REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
	lon          REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
	dataset      TEXT NOT NULL,
	source       TEXT NOT NULL,
	src_offset   BIGINT NOT NULL,
	content_hash TEXT NOT NULL,
	batch        TEXT NOT NULL,
	basis_kind   TEXT NOT NULL CHECK (basis_kind IN ('authority','agreement')),
	basis_id     BIGINT NOT NULL
);
INSERT INTO plate_reads_v4 SELECT id, plate, camera, at, lat, lon, dataset, source, src_offset,
	content_hash, batch, basis_kind, basis_id FROM plate_reads;
DROP TABLE plate_reads;
ALTER TABLE plate_reads_v4 RENAME TO plate_reads;
CREATE INDEX plate_reads_plate ON plate_reads (plate, at);
