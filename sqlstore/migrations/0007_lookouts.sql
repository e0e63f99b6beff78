-- writ schema v7: lookouts (standing queries that alert), their alerts, and
-- webhook deliveries that failed every retry. A lookout's conditions live in
-- spec (JSON): they are matched in memory by package lookout, never queried.

CREATE TABLE lookouts (
	id             {{ID}},
	case_id        BIGINT NOT NULL REFERENCES cases(id),
	authority_id   BIGINT NOT NULL REFERENCES authorities(id),
	kind           TEXT NOT NULL CHECK (kind IN ('attribute','appears','area','hotlist','subject_change')),
	name           TEXT NOT NULL,
	purpose        TEXT NOT NULL,
	category       TEXT NOT NULL CHECK (category IN ('records','comms','location','plates')),
	spec           TEXT NOT NULL,
	webhook_url    TEXT NOT NULL,
	webhook_secret TEXT NOT NULL,
	rate_per_hour  INTEGER NOT NULL CHECK (rate_per_hour > 0),
	status         TEXT NOT NULL CHECK (status IN ('active','paused','ended')),
	created_by     BIGINT NOT NULL REFERENCES users(id),
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL
);
CREATE INDEX lookouts_case ON lookouts (case_id, id);

-- One alert per lookout and event: event_key is the event's data kind and
-- content hash, so a replayed batch or stream message fires once. An alert
-- is stored (to settle duplicates), then audited, then marked audited:
-- only audited alerts are listed or delivered.
CREATE TABLE lookout_alerts (
	id           {{ID}},
	lookout_id   BIGINT NOT NULL REFERENCES lookouts(id),
	case_id      BIGINT NOT NULL,
	authority_id BIGINT NOT NULL,
	kind         TEXT NOT NULL,
	event_kind   TEXT NOT NULL,
	event_key    TEXT NOT NULL,
	event_at     BIGINT NOT NULL,
	selector     TEXT NOT NULL,
	summary      TEXT NOT NULL,
	detail       TEXT NOT NULL,
	retro        BOOLEAN NOT NULL,
	suppressed   BOOLEAN NOT NULL,
	audited      BOOLEAN NOT NULL DEFAULT FALSE,
	created_at   BIGINT NOT NULL,
	UNIQUE (lookout_id, event_key)
);
CREATE INDEX lookout_alerts_case ON lookout_alerts (case_id, id);

CREATE TABLE lookout_dead_letters (
	id         {{ID}},
	alert_id   BIGINT NOT NULL REFERENCES lookout_alerts(id),
	lookout_id BIGINT NOT NULL REFERENCES lookouts(id),
	case_id    BIGINT NOT NULL,
	url        TEXT NOT NULL,
	attempts   INTEGER NOT NULL,
	last_error TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
