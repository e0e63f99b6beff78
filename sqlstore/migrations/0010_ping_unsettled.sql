-- writ schema v10: the hours a batch wrote (hour, cell) blocks in that are
-- not settled yet (pingblocks_settle.go), one row per hour and batch. The
-- store kept them only in memory: after a crash, the hours ingest had not
-- passed stayed unsettled (read correctly, only slower) until someone ran
-- 'writ store settle'. Now a store opens with them pending again. A row per
-- batch, not per hour, so that batches never write the same row, and
-- settling deletes exactly the rows of the batches whose blocks it read
-- (a batch committed meanwhile keeps its row). Stores upgraded to v10 start
-- with none; 'writ store settle' covers what came before.
CREATE TABLE ping_unsettled (
	hour  BIGINT NOT NULL,
	batch BIGINT NOT NULL,
	PRIMARY KEY (hour, batch)
) {{WITHOUT_ROWID}};
