-- writ schema v5: entity resolution. Runs link records; they never change
-- them. A run's scored pairs are resolution_links and its entities (of two
-- or more records) resolution_members; an entity's id is its smallest
-- record id. Investigators' decisions form an append-only ledger that every
-- run obeys; no code updates or deletes its rows. subject_links copy an
-- entity's records at the moment an investigator linked it to a case
-- subject, and subject_records is what makes those records readable under
-- grants naming the subject (records.subject_id is left as ingested).

CREATE TABLE resolution_runs (
	id          {{ID}},
	spec        TEXT NOT NULL,
	model       TEXT NOT NULL,
	stats       TEXT NOT NULL,
	records     BIGINT NOT NULL,
	links       BIGINT NOT NULL,
	entities    BIGINT NOT NULL,
	decisions   BIGINT NOT NULL,
	skipped     BIGINT NOT NULL,
	by_user     BIGINT REFERENCES users(id),
	by_name     TEXT NOT NULL,
	started_at  BIGINT NOT NULL,
	finished_at BIGINT NOT NULL
);

-- Distribution key for Citus: run_id.
CREATE TABLE resolution_links (
	run_id      BIGINT NOT NULL REFERENCES resolution_runs(id),
	a           BIGINT NOT NULL REFERENCES records(id),
	b           BIGINT NOT NULL REFERENCES records(id),
	probability {{REAL}} NOT NULL CHECK (probability BETWEEN 0 AND 1),
	log2_odds   {{REAL}} NOT NULL,
	entity      BIGINT NOT NULL DEFAULT 0,
	waterfall   TEXT NOT NULL,
	PRIMARY KEY (run_id, a, b),
	CHECK (a < b)
);
CREATE INDEX resolution_links_b ON resolution_links (run_id, b);

CREATE TABLE resolution_members (
	run_id    BIGINT NOT NULL REFERENCES resolution_runs(id),
	record_id BIGINT NOT NULL REFERENCES records(id),
	entity    BIGINT NOT NULL,
	PRIMARY KEY (run_id, record_id)
);
CREATE INDEX resolution_members_entity ON resolution_members (run_id, entity);

CREATE TABLE resolution_decisions (
	id         {{ID}},
	kind       TEXT NOT NULL CHECK (kind IN ('confirm','reject','split')),
	a          BIGINT REFERENCES records(id),
	b          BIGINT REFERENCES records(id),
	split_groups TEXT NOT NULL DEFAULT '',
	reason     TEXT NOT NULL CHECK (length(reason) > 0),
	case_id    BIGINT NOT NULL REFERENCES cases(id),
	decided_by BIGINT NOT NULL REFERENCES users(id),
	decided_at BIGINT NOT NULL,
	CHECK ((kind = 'split') = (a IS NULL AND b IS NULL))
);

-- Which records each decision names, for "decisions on these records".
CREATE TABLE resolution_decision_records (
	decision_id BIGINT NOT NULL REFERENCES resolution_decisions(id),
	record_id   BIGINT NOT NULL REFERENCES records(id),
	grp         INTEGER NOT NULL,
	PRIMARY KEY (decision_id, record_id)
);
CREATE INDEX resolution_decision_records_record ON resolution_decision_records (record_id);

CREATE TABLE subject_links (
	id         {{ID}},
	case_id    BIGINT NOT NULL REFERENCES cases(id),
	subject_id BIGINT NOT NULL REFERENCES subjects(id),
	run_id     BIGINT NOT NULL REFERENCES resolution_runs(id),
	entity     BIGINT NOT NULL,
	reason     TEXT NOT NULL CHECK (length(reason) > 0),
	linked_by  BIGINT NOT NULL REFERENCES users(id),
	linked_at  BIGINT NOT NULL
);

-- Distribution key for Citus: case_id.
CREATE TABLE subject_records (
	link_id    BIGINT NOT NULL REFERENCES subject_links(id),
	case_id    BIGINT NOT NULL REFERENCES cases(id),
	subject_id BIGINT NOT NULL REFERENCES subjects(id),
	record_id  BIGINT NOT NULL REFERENCES records(id),
	PRIMARY KEY (link_id, record_id)
);
CREATE INDEX subject_records_subject ON subject_records (subject_id, record_id);
