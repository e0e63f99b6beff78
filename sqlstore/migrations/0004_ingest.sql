-- writ schema v4: ingest batches, quarantine, stream marks, dataset fields.
-- Batches make ingestion idempotent, so the event tables carry no unique
-- index on content_hash (0001): a unique index on a random hash made every
-- insert a random B-tree write, 4x slower at 300,000 rows.

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
