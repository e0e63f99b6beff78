-- PostgreSQL server settings for live ingest at 100,000 events/s
-- (docs/feeds.md, "Throughput"). The benchmarks of docs/lookouts.md marked
-- "server configured for ingest" ran with exactly these. Apply as a
-- superuser, then restart the server (shared_buffers and wal_buffers take
-- effect only at start):
--
--   psql -U postgres -f bench/postgres-ingest.sql
--   pg_ctlcluster --skip-systemctl-redirect 15 main restart
--
-- Undo with ALTER SYSTEM RESET for each, and a restart.

-- The random-key indexes a feed writes (contacts by caller and by callee,
-- plate reads by plate, device blocks by device) stay in memory: at the
-- default 128MB they are evicted and read back for every batch. A quarter
-- of the machine's memory (23 GB here) is the usual share.
ALTER SYSTEM SET shared_buffers = '4GB';

-- Checkpoints by time, not by WAL volume: at the default 1GB a feed forced
-- one every few seconds, and after each checkpoint the first change to
-- every index page writes the whole page into the WAL again.
ALTER SYSTEM SET max_wal_size = '16GB';
ALTER SYSTEM SET checkpoint_timeout = '15min';

-- Large COPYs filled the default WAL buffers (4MB here), so backends wrote
-- WAL themselves; whole-page images compress well.
ALTER SYSTEM SET wal_buffers = '64MB';
ALTER SYSTEM SET wal_compression = 'lz4';

-- The WAL writer flushes every 10ms rather than 200ms, so that a small
-- commit (an alert, an audit entry) finds less of a COPY's WAL to flush
-- before its own.
ALTER SYSTEM SET wal_writer_delay = '10ms';

-- COPY writes its own dirty table pages out (a ring of buffers); without
-- this they pile up in the OS page cache and are written back in bursts,
-- during which a commit's WAL fsync stalled for 300 ms and more (an
-- alert's commit among them). With it each backend starts the writeback
-- every 256kB.
ALTER SYSTEM SET backend_flush_after = '256kB';
