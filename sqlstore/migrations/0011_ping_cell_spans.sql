-- writ schema v11: each merged (hour, cell) block's span and box, from its
-- header (pingblock.Header), in columns and in an index that covers them,
-- so a read near a track (PingsNear, co-location) decides which blocks to
-- fetch from the index alone. Before, it fetched every block of the cells
-- around the track and skipped two in three on their header: at 100M
-- pings, 22,000 blocks fetched for 7,600 read (docs/location-bench.md).
-- t0, t1: unix milliseconds, inclusive; lat0..lon1: 1e-6°, inclusive.
-- Only merged blocks (part < 0, written by settling) have them, and only
-- they are in the index: a batch's own blocks live until their hour is
-- settled, and indexing them too cost ingest a quarter of its rate
-- (measured at 100M pings: 378,000 against 530,000 pings/s). Reads fetch
-- a batch's own blocks, and merged blocks whose columns are NULL (a store
-- upgraded from v10, until 'writ store settle' fills them), and decide on
-- their header.
ALTER TABLE ping_cell_blocks ADD COLUMN t0 BIGINT;
ALTER TABLE ping_cell_blocks ADD COLUMN t1 BIGINT;
ALTER TABLE ping_cell_blocks ADD COLUMN lat0 INTEGER;
ALTER TABLE ping_cell_blocks ADD COLUMN lat1 INTEGER;
ALTER TABLE ping_cell_blocks ADD COLUMN lon0 INTEGER;
ALTER TABLE ping_cell_blocks ADD COLUMN lon1 INTEGER;
CREATE INDEX ping_cell_blocks_span ON ping_cell_blocks (hour, cell, t0, t1, lat0, lat1, lon0, lon1, batch, part) WHERE part < 0;
