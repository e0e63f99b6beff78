-- writ schema v6: the second-person rule for subject links. Linking an
-- entity to a case subject widens what every records grant naming that
-- subject reaches, so a link is created as requested and reaches nothing
-- until a supervisor who did not request it approves it. The entity's
-- records at the moment of the request are kept in subject_link_records;
-- subject_records (what the records read and the entity view follow) holds
-- the records of approved links only: approval copies them in, rejection or
-- revocation of an approved link takes them out. Links made before this
-- migration were never approved by a second person: they become requested,
-- keep their records in subject_link_records, and reach nothing until
-- approved. The CHECKs enforce the rule in the database as well as the code.

ALTER TABLE subject_links ADD COLUMN status TEXT NOT NULL DEFAULT 'requested'
	CHECK (status IN ('requested','approved','rejected','revoked'));
ALTER TABLE subject_links ADD COLUMN approved_by BIGINT REFERENCES users(id)
	CHECK (approved_by IS NULL OR approved_by <> linked_by);
ALTER TABLE subject_links ADD COLUMN approved_at BIGINT
	CHECK ((status IN ('approved','revoked')) = (approved_by IS NOT NULL AND approved_at IS NOT NULL));
ALTER TABLE subject_links ADD COLUMN rejected_by BIGINT REFERENCES users(id);
ALTER TABLE subject_links ADD COLUMN rejected_at BIGINT
	CHECK ((status IN ('rejected','revoked')) = (rejected_by IS NOT NULL AND rejected_at IS NOT NULL));
ALTER TABLE subject_links ADD COLUMN reject_reason TEXT NOT NULL DEFAULT '';

CREATE TABLE subject_link_records (
	link_id   BIGINT NOT NULL REFERENCES subject_links(id),
	record_id BIGINT NOT NULL REFERENCES records(id),
	PRIMARY KEY (link_id, record_id)
);

INSERT INTO subject_link_records (link_id, record_id) SELECT link_id, record_id FROM subject_records;
DELETE FROM subject_records;
