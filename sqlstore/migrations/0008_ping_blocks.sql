-- writ schema v8: pings in blocks (package pingblock, docs/pingblock.md).
-- One row per ping cost about 250 bytes on disk and capped SQLite ingest at
-- about 145,000 pings/s; a row per block of pings is what the B-trees see now.
-- Every ping is kept twice, once per access path:
--   ping_cell_blocks   (hour, S2 level-13 cell): area searches;
--   ping_device_blocks (device, day): trajectories and device selectors.
-- A block holds the pings of one key from one ingest batch (part numbers a
-- key's blocks within the batch), so writing a batch never reads another's
-- blocks, and the batch's marker, rows and blocks commit in one transaction.

-- The old table is kept under another name until sqlstore converts its rows
-- into blocks at open (pingblocks_legacy.go) and drops it.
ALTER TABLE pings RENAME TO pings_v1;

-- The ping side of an ingest batch. A ping's id is batch<<32 | (line - base).
-- own: the batch's pings carry their own provenance and exact values in
-- ping_rows (Insert methods, converted rows, values a block cannot hold
-- exactly); their blocks' line column holds the row's k instead.
-- rows_hash: SHA-256 over the batch's rows' content hashes in id order, each
-- followed by a newline (not own batches: a ping's own hash is not stored).
CREATE TABLE ping_batches (
	batch     BIGINT NOT NULL PRIMARY KEY,
	base      BIGINT NOT NULL,
	own       BOOLEAN NOT NULL,
	rows_hash {{BLOB}}
) {{WITHOUT_ROWID}};

-- cell is the level-13 S2 cell id shifted right by 35 bits (its constant low
-- bits dropped), so it fits a small positive integer and keeps cell order.
-- The block tables keep a rowid in SQLite (and a heap in PostgreSQL), with
-- the key as a separate unique index: blocks then go in at the end of the
-- table, in full pages, and only the small index entries land all over the
-- key space. Clustered on the key (WITHOUT ROWID), every batch split pages
-- across the day it covers, and the tables took 50-75% more than their
-- payload (measured: 31.0 against 24.4 bytes a ping in all).
-- A block written by a batch has batch = last and part >= 0. A block merged
-- by CompactPings (pingblocks_compact.go) holds pings of batches batch to
-- last, has part < 0, and holds in each ping's line column its id.
CREATE TABLE ping_cell_blocks (
	hour  BIGINT NOT NULL,
	cell  BIGINT NOT NULL,
	batch BIGINT NOT NULL,
	part  INTEGER NOT NULL,
	last  BIGINT NOT NULL,
	n     INTEGER NOT NULL,
	block {{BLOB}} NOT NULL,
	PRIMARY KEY (hour, cell, batch, part)
);

CREATE TABLE ping_device_blocks (
	device TEXT NOT NULL,
	day    BIGINT NOT NULL,
	batch  BIGINT NOT NULL,
	part   INTEGER NOT NULL,
	last   BIGINT NOT NULL,
	n      INTEGER NOT NULL,
	block  {{BLOB}} NOT NULL,
	PRIMARY KEY (device, day, batch, part)
);

-- The rows of own batches: exact values and provenance, by (batch, k).
CREATE TABLE ping_rows (
	batch        BIGINT NOT NULL,
	k            BIGINT NOT NULL,
	at           BIGINT NOT NULL,
	lat          {{REAL}} NOT NULL CHECK (lat BETWEEN -90 AND 90),
	lon          {{REAL}} NOT NULL CHECK (lon BETWEEN -180 AND 180),
	accuracy_m   {{REAL}} NOT NULL,
	dataset      TEXT NOT NULL,
	source       TEXT NOT NULL,
	src_offset   BIGINT NOT NULL,
	content_hash TEXT NOT NULL,
	batch_label  TEXT NOT NULL,
	basis_kind   TEXT NOT NULL CHECK (basis_kind IN ('authority','agreement')),
	basis_id     BIGINT NOT NULL,
	PRIMARY KEY (batch, k)
) {{WITHOUT_ROWID}};

-- pings: one row per stored ping, for counting (tests, operators); reads go
-- through the store, which decodes and clips the blocks.
CREATE VIEW pings AS
WITH RECURSIVE r (device, day, batch, part, k, n) AS (
	SELECT device, day, batch, part, 0, n FROM ping_device_blocks WHERE n > 0
	UNION ALL
	SELECT device, day, batch, part, k + 1, n FROM r WHERE k + 1 < n
)
SELECT device, day, batch, part, k FROM r;
